"""The compiled engine (setup.py, mypyc): detection of stale builds, and the same answers as
the pure-Python engine it is compiled from."""

from __future__ import annotations

import importlib.machinery
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chainrule import ChainruleError, analyze
from chainrule.engine import ENGINE_KIND, native
from chainrule.examples import EXAMPLES
from tests.engine.test_parser import random_expression
from tests.teaching.test_warning_words import BAD as TYPED_MISTAKES

ROOT = Path(__file__).resolve().parents[2]



def engine_dir(tmp_path: Path, compiled: tuple[str, ...] = native.COMPILED) -> Path:
    """A copy of the engine's sources, with (empty) extension files for ``compiled``."""
    target = tmp_path / "engine"
    target.mkdir()
    for name in native.COMPILED:
        shutil.copy(native.HERE / f"{name}.py", target / f"{name}.py")
    for name in compiled:
        (target / f"{name}{importlib.machinery.EXTENSION_SUFFIXES[0]}").touch()
    return target


def test_no_extension_modules_is_the_python_engine(tmp_path: Path) -> None:
    assert native.engine_kind(engine_dir(tmp_path, compiled=())) == "python"


def test_extension_modules_matching_their_stamp_are_the_compiled_engine(tmp_path: Path) -> None:
    directory = engine_dir(tmp_path)
    native.write_stamp(directory, directory)
    assert native.engine_kind(directory) == "compiled"


def test_a_source_edited_after_compiling_is_refused(tmp_path: Path) -> None:
    directory = engine_dir(tmp_path)
    native.write_stamp(directory, directory)
    with (directory / "graph.py").open("a") as f:
        f.write("\n# an edit\n")
    with pytest.raises(native.StaleBuildError, match=r"chainrule/engine/graph\.py changed .*make native"):
        native.engine_kind(directory)


def test_extension_modules_without_a_stamp_are_refused(tmp_path: Path) -> None:
    with pytest.raises(native.StaleBuildError, match="changed since the engine was compiled"):
        native.engine_kind(engine_dir(tmp_path))


def test_a_partly_compiled_engine_is_refused(tmp_path: Path) -> None:
    directory = engine_dir(tmp_path, compiled=("parser", "graph"))
    native.write_stamp(directory, directory)
    with pytest.raises(native.StaleBuildError, match="only some engine modules are compiled"):
        native.engine_kind(directory)


def test_the_tests_run_the_engine_users_run() -> None:
    """`make test` compiles the engine, so the suite tests what `make serve` serves;
    CHAINRULE_PURE_PYTHON=1 (set for installs without a C compiler) tests the fallback."""
    want = "python" if os.environ.get("CHAINRULE_PURE_PYTHON") == "1" else "compiled"
    assert want == ENGINE_KIND, (
        f"the engine is {ENGINE_KIND}: run `make native`, or set CHAINRULE_PURE_PYTHON=1 "
        "to test the pure-Python engine")


# A copy of the package without the extension modules runs the same source as plain Python.
PURE_RUNNER = """
import json, sys
from chainrule import ChainruleError, analyze
from chainrule.engine import ENGINE_KIND
assert ENGINE_KIND == "python", ENGINE_KIND
out = []
for expression, values in json.load(sys.stdin):
    try:
        out.append(analyze(expression, values, check=True))
    except ChainruleError as exc:
        out.append(exc.to_dict())
print(json.dumps(out))
"""


def cases() -> list[tuple[str, dict[str, object]]]:
    rng = random.Random(7)
    out = [(e["expression"], e["values"]) for e in EXAMPLES]
    for _ in range(150):
        out.append((random_expression(rng, 4), {"a": rng.uniform(-3, 3), "b": rng.uniform(-3, 3),
                                               "c": rng.uniform(0.1, 3)}))
    out += [("y = w*x +", {}), ("loss = abs(", {}), ("x @ y", {"x": [1.0, 2.0], "y": [1.0]})]
    out += [(expression, values) for expression, values, _, _ in TYPED_MISTAKES]  # every error path
    return out


def test_no_compiled_function_binds_one_name_to_two_exception_types() -> None:
    """mypyc gives a local one type: `except OpError as exc` then `except ValueError as exc`
    in one function made the compiled engine raise TypeError (a 500) on a broadcasting error."""
    import ast

    found = []
    for name in native.COMPILED:
        tree = ast.parse((ROOT / "chainrule" / "engine" / f"{name}.py").read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            types: dict[str, set[str]] = {}
            for node in ast.walk(function):
                if isinstance(node, ast.ExceptHandler) and node.name and node.type is not None:
                    types.setdefault(node.name, set()).add(ast.unparse(node.type))
            found += [f"{name}.{function.name}: {var} as {sorted(t)}" for var, t in types.items() if len(t) > 1]
    assert found == []


@pytest.mark.skipif(ENGINE_KIND != "compiled", reason="the engine under test is not compiled")
def test_compiled_and_pure_engines_give_the_same_json(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "chainrule", tmp_path / "chainrule",
                    ignore=shutil.ignore_patterns("*.so", native.STAMP, "__pycache__"))
    todo = cases()
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    pure = subprocess.run([sys.executable, "-c", PURE_RUNNER], input=json.dumps(todo), env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert pure.returncode == 0, pure.stderr[-2000:]
    theirs = json.loads(pure.stdout)
    ours = []
    for expression, values in todo:
        try:
            ours.append(analyze(expression, values, check=True))
        except ChainruleError as exc:
            ours.append(exc.to_dict())
    assert len(ours) == len(theirs)
    for (expression, _), a, b in zip(todo, json.loads(json.dumps(ours)), theirs, strict=True):
        assert a == b, expression
