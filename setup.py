"""Builds the engine's hot modules to C with mypyc (the compiler mypy and black ship with).

Everything else about the package is in pyproject.toml. The compiled modules are the same
source, type-checked by mypy, run as C: the end-to-end analysis of a small graph is ~1.7x
faster (bench/README.md). Without a C compiler, or with ``CHAINRULE_PURE_PYTHON=1``, the
package installs as plain Python and behaves the same, only slower.

An editable install (``pip install -e .``, what ``make`` does) puts the compiled modules
beside their sources; ``chainrule/engine/native.py`` refuses to load them once a source has
changed, and ``make`` rebuilds them when it sees a newer source.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).parent
ENGINE = ROOT / "chainrule" / "engine"
#: The front end's folders, left where they are in the checkout and copied into the wheel as
#: chainrule/_frontend/<name> (chainrule/assets.py finds them in either place).
FRONTEND = ("static", "templates")
BUNDLES = ROOT / "static" / "build"


def _load_native() -> Any:
    """chainrule/engine/native.py on its own (the list of compiled modules, the stamp): importing
    the package would need its dependencies, which a build environment does not have."""
    spec = importlib.util.spec_from_file_location("chainrule_native", ENGINE / "native.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


native = _load_native()
STARTED = time.monotonic()


def say(message: str) -> None:
    """Progress of the build, on stderr (``python -m build`` and ``pip install -v`` show it)."""
    print(f"chainrule: {message}", file=sys.stderr, flush=True)


def _parallel(compile_files: Any) -> Any:
    """A compiler's ``compile`` that hands its C files to one process per core: mypyc writes a
    file per module (``multi_file``), and one after another they take twice as long on two."""

    def compile_all(sources: list[str], *args: Any, **kwargs: Any) -> list[str]:
        if len(sources) < 2:
            return list(compile_files(sources, *args, **kwargs))
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            parts = pool.map(lambda source: compile_files([source], *args, **kwargs), sources)
            return [obj for part in parts for obj in part]

    return compile_all


class OptionalBuildExt(build_ext):
    """Compile if possible; fall back to pure Python (with a warning) if not, as PyYAML and
    MarkupSafe do. Writes the stamp that lets ``native.py`` detect stale compiled modules."""

    def build_extensions(self) -> None:
        self.compiler.compile = _parallel(self.compiler.compile)
        sources = sum(len(ext.sources) for ext in self.extensions)
        say(f"compiling {sources} C files on {os.cpu_count() or 1} cores")
        super().build_extensions()

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, no Python headers, ...
            for ext in self.extensions:  # nothing half-built may reach the wheel
                Path(self.get_ext_fullpath(ext.name)).unlink(missing_ok=True)
            print(f"chainrule: could not compile the engine ({exc}); installing it as pure "
                  "Python (slower, same results)", file=sys.stderr)
            return
        if self.extensions:
            stamp_dir = Path(self.get_ext_fullpath("chainrule.engine.parser")).parent
            native.write_stamp(stamp_dir, ENGINE)
            say(f"compiled the engine in {time.monotonic() - STARTED:.0f} s")


def _bundle_inputs() -> list[Path]:
    """What static/build/ is made from: the npm lock, the build script, our own modules."""
    inputs = [ROOT / "package.json", ROOT / "package-lock.json", ROOT / "scripts" / "build-static.mjs"]
    inputs += sorted((ROOT / "static" / "js").rglob("*.js"))
    inputs += sorted((ROOT / "static" / "css").rglob("*.css"))
    return [p for p in inputs if p.exists()]


def build_frontend() -> None:
    """Build static/build/ from the npm packages (``npm ci`` when node_modules is missing, then
    scripts/build-static.mjs), unless it is already newer than everything it is made from: an
    sdist carries it built, so a wheel built from the sdist needs no Node."""
    marker = BUNDLES / ".built"
    node, npm = shutil.which("node"), shutil.which("npm")
    if marker.exists():
        built = marker.stat().st_mtime
        stale = [p for p in _bundle_inputs() if p.stat().st_mtime > built]
        if not stale:
            return
        if node is None:
            print(f"chainrule: static/build/ is older than {stale[0].relative_to(ROOT)} but Node is "
                  "not installed to rebuild it; packaging it as it is", file=sys.stderr)
            return
    if node is None or npm is None:
        raise SystemExit("chainrule: building the front end (static/build/) needs Node.js >= 20 and "
                         "npm; install them, or build from the sdist, which carries it built")
    if not (ROOT / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True)
    subprocess.run([node, str(ROOT / "scripts" / "build-static.mjs")], cwd=ROOT, check=True)


class BuildPyWithFrontend(build_py):
    """The Python packages, plus the built front end copied into the wheel as chainrule/_frontend/."""

    def run(self) -> None:
        build_frontend()
        super().run()
        if self.editable_mode:  # an editable install serves the checkout's folders
            return
        for name in FRONTEND:
            shutil.copytree(ROOT / name, Path(self.build_lib) / "chainrule" / "_frontend" / name,
                            dirs_exist_ok=True)


class SdistWithFrontend(sdist):
    """An sdist that carries static/build/ built (MANIFEST.in grafts static/ and templates/)."""

    def run(self) -> None:
        build_frontend()
        super().run()


def compiled_extensions() -> list[object]:
    if os.environ.get("CHAINRULE_PURE_PYTHON") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("chainrule: mypyc is not installed; installing the engine as pure Python",
              file=sys.stderr)
        return []
    # Not the project's mypy configuration (its pydantic plugin is not in the build
    # environment). Third-party packages are not read (--no-site-packages): numpy's, orjson's
    # and pydantic's types are opaque objects to compiled code anyway, and type-checking
    # numpy's stubs was nine tenths of the build's time. Modules outside the engine are
    # followed for their types only (--follow-imports=silent).
    options = ["--config-file=", "--ignore-missing-imports", "--no-site-packages", "--follow-imports=silent"]
    files = [f"chainrule/engine/{name}.py" for name in native.COMPILED]
    say(f"compiling the engine with mypyc: {len(files)} modules ({', '.join(native.COMPILED)}), type-checked "
        "and translated to C, then compiled; CHAINRULE_PURE_PYTHON=1 skips this")
    try:
        extensions = list(mypycify(options + files, opt_level="3", multi_file=True,
                                   group_name="chainrule.engine._mypyc"))
        for extension in extensions:
            # mypyc writes a module's C file to build/ but the group's header to the group's
            # folder (build/chainrule/engine) when the group name has dots
            extension.include_dirs.append(os.path.join("build", "chainrule", "engine"))
        return extensions
    except (Exception, SystemExit) as exc:  # mypyc exits on a type error it cannot compile past
        print(f"chainrule: mypyc could not translate the engine ({exc}); installing it as pure "
              "Python (slower, same results)", file=sys.stderr)
        return []


setup(ext_modules=compiled_extensions(),
      cmdclass={"build_ext": OptionalBuildExt, "build_py": BuildPyWithFrontend, "sdist": SdistWithFrontend})
