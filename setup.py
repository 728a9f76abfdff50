"""Builds the engine's hot modules to C with mypyc (the compiler mypy and black ship with).

Everything else about the package is in pyproject.toml. The compiled modules are the same
source, type-checked by mypy, run as C: the end-to-end analysis of a small graph is ~1.7x
faster (bench/README.md). Without a C compiler, or with ``CHAINRULE_PURE_PYTHON=1``, the
package installs as plain Python and behaves the same, only slower.

An editable install (``pip install -e .``, what ``make`` does) puts the compiled modules
beside their sources; ``app/engine/native.py`` refuses to load them once a source has
changed, and ``make`` rebuilds them when it sees a newer source.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

ENGINE = Path(__file__).parent / "app" / "engine"


def _load_native() -> Any:
    """app/engine/native.py on its own (the list of compiled modules, the stamp): importing
    the package would need its dependencies, which a build environment does not have."""
    spec = importlib.util.spec_from_file_location("chainrule_native", ENGINE / "native.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


native = _load_native()


class OptionalBuildExt(build_ext):
    """Compile if possible; fall back to pure Python (with a warning) if not, as PyYAML and
    MarkupSafe do. Writes the stamp that lets ``native.py`` detect stale compiled modules."""

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
            stamp_dir = Path(self.get_ext_fullpath("app.engine.parser")).parent
            native.write_stamp(stamp_dir, ENGINE)


def compiled_extensions() -> list[object]:
    if os.environ.get("CHAINRULE_PURE_PYTHON") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("chainrule: mypyc is not installed; installing the engine as pure Python",
              file=sys.stderr)
        return []
    # Not the project's mypy configuration: its pydantic plugin is not in the build
    # environment, and numpy/pydantic types are opaque objects to compiled code anyway.
    options = ["--config-file=", "--ignore-missing-imports"]
    files = [f"app/engine/{name}.py" for name in native.COMPILED]
    return list(mypycify(options + files, opt_level="3", group_name="app.engine._mypyc"))


setup(ext_modules=compiled_extensions(), cmdclass={"build_ext": OptionalBuildExt})
