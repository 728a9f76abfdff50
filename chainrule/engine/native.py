"""Which engine modules run compiled (mypyc, see setup.py), and whether they match their sources.

An editable install leaves the compiled modules beside their sources, and Python imports them
in preference: after an edit of ``parser.py`` the old parser would go on running, silently.
So the build records a hash of every source it compiled, and :func:`engine_kind` refuses to
load compiled modules whose source has changed since.

Standard library only: setup.py imports this file before the package can be imported.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
from pathlib import Path

#: The modules compiled to C: the per-node work of parsing, building, running and rendering,
#: and the op table whose functions the run calls for every node and edge.
COMPILED = ("formulas", "ops", "parser", "graph", "autodiff", "analysis", "encode", "ops_nn")
STAMP = "_compiled.json"
HERE = Path(__file__).parent


class StaleBuildError(ImportError):
    """Compiled engine modules that no longer match their sources."""


def source_hashes(src_dir: Path) -> dict[str, str]:
    return {name: hashlib.sha256((src_dir / f"{name}.py").read_bytes()).hexdigest()
            for name in COMPILED}


def write_stamp(target_dir: Path, src_dir: Path) -> None:
    """Record what was compiled (called by setup.py after a successful build)."""
    (target_dir / STAMP).write_text(json.dumps(source_hashes(src_dir), indent=1) + "\n")


def compiled_modules(directory: Path = HERE) -> list[str]:
    """The modules of COMPILED that have an extension module beside them."""
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    return [name for name in COMPILED
            if any((directory / f"{name}{suffix}").exists() for suffix in suffixes)]


def engine_kind(directory: Path = HERE) -> str:
    """``"compiled"`` or ``"python"``; raises :class:`StaleBuildError` for a stale build."""
    found = compiled_modules(directory)
    if not found:
        return "python"
    how = ("rebuild the compiled modules with `make native` (pip install -e .), or remove them with "
           "`make pure` to run the engine as plain Python")
    if len(found) < len(COMPILED):
        raise StaleBuildError(f"only some engine modules are compiled ({', '.join(found)}): {how}")
    try:
        recorded = json.loads((directory / STAMP).read_text())
    except (OSError, ValueError):
        recorded = {}
    current = source_hashes(directory)
    changed = [f"chainrule/engine/{name}.py" for name in COMPILED if recorded.get(name) != current[name]]
    if changed:
        raise StaleBuildError(f"{', '.join(changed)} changed since the engine was compiled: {how}")
    return "compiled"
