"""Program: forward and backward passes, long chains, wide fan-in, reuse, scalar/tensor paths."""

from __future__ import annotations

import dataclasses
import math
import time
from collections import OrderedDict

import numpy as np
import pytest

from chainrule import ChainruleError, analyze
from chainrule.engine import programs as programs_module
from chainrule.engine.autodiff import compile_program
from chainrule.engine.programs import ProgramCache


def test_100k_node_chain_without_recursion_error() -> None:
    """33,334 statements h = tanh(h*w + b): ~100,000 nodes, checked against a hand recurrence."""
    steps = 33_334
    source = "h = x\n" + "h = tanh(h*w + b)\n" * steps
    program = compile_program(source)
    assert len(program.graph.nodes) >= 100_000
    x, w, b = 0.3, 0.9, 0.05
    run = program.run({"x": x, "w": w, "b": b})
    hs = [x]
    for _ in range(steps):
        hs.append(math.tanh(hs[-1] * w + b))
    assert math.isclose(run.loss, hs[-1], rel_tol=1e-12)
    # reverse recurrence: dh_{k+1}/dh_k = (1 - h_{k+1}^2) w
    gh, gw, gb = 1.0, 0.0, 0.0
    for k in range(steps, 0, -1):
        d = gh * (1.0 - hs[k] ** 2)
        gw += d * hs[k - 1]
        gb += d
        gh = d * w
    assert math.isclose(run.input_grads["w"], gw, rel_tol=1e-9, abs_tol=1e-15)
    assert math.isclose(run.input_grads["b"], gb, rel_tol=1e-9, abs_tol=1e-15)
    assert math.isclose(run.input_grads["x"], gh, rel_tol=1e-9, abs_tol=1e-300)


def test_deep_chain_end_to_end() -> None:
    """A deep chain through analyze(): every node rendered, no RecursionError."""
    source = "h = x\n" + "h = tanh(h*w + b)\n" * 7_000
    result = analyze(source, {"x": 0.3, "w": 0.9, "b": 0.05})
    assert len(result["nodes"]) >= 21_000
    assert result["backward_order"][0] == result["output"]


def test_10k_term_flat_sum() -> None:
    n = 10_000
    source = " + ".join(f"x{i}*y{i}" for i in range(n))
    values = {f"x{i}": float(i % 7) for i in range(n)} | {f"y{i}": 0.5 + i % 3 for i in range(n)}
    result = analyze(source, values)
    want = sum((i % 7) * (0.5 + i % 3) for i in range(n))
    assert math.isclose(result["value"], want, rel_tol=1e-12)
    for i in (0, 1, 4_999, 9_999):
        assert math.isclose(result["gradients"][f"x{i}"], 0.5 + i % 3)
        assert math.isclose(result["gradients"][f"y{i}"], float(i % 7))


def test_long_flat_product_and_subtraction_chain() -> None:
    source = "x" + " - x" * 5_000 + " + 2*x" * 2_000
    result = analyze(source, {"x": 1.5})
    assert math.isclose(result["gradients"]["x"], 1 - 5_000 + 4_000)


def test_program_is_reusable_with_new_values() -> None:
    program = compile_program("loss = (w*x - y)**2")
    for w, x, y in [(1.0, 2.0, 3.0), (-0.5, 4.0, 0.0), (2.0, 2.0, 4.0)]:
        run = program.run({"w": w, "x": x, "y": y})
        r = w * x - y
        assert math.isclose(run.loss, r * r)
        assert math.isclose(run.input_grads["w"], 2 * r * x, abs_tol=1e-12)
        assert math.isclose(run.input_grads["y"], -2 * r, abs_tol=1e-12)


def test_scalar_and_tensor_paths_agree() -> None:
    """The same expression on scalars (Python-float fast path) and on 1-element tensors."""
    expr = "y = sigmoid(a*b) + tanh(a - b)**2 + exp(-a)/sqrt(b) + log(b)*maximum(a, b) + abs(a)"
    a, b = 0.7, 1.3
    scalar = analyze(expr, {"a": a, "b": b})
    tensor = analyze(expr, {"a": [a], "b": [b]})
    assert math.isclose(scalar["value"], tensor["value"][0], rel_tol=1e-13)
    for name in ("a", "b"):
        assert math.isclose(scalar["gradients"][name], tensor["gradients"][name][0], rel_tol=1e-12)


def test_constants_have_no_gradient_and_inputs_always_do() -> None:
    result = analyze("y = 3 * x + 2", {"x": 1.0})
    for node in result["nodes"]:
        if node["op"] == "const":
            assert node["grad"] is None
        else:
            assert node["grad"] is not None


def test_expression_of_constants_only() -> None:
    result = analyze("2 ** 3 + 1", {})
    assert math.isclose(result["value"], 9.0)
    assert result["gradients"] == {}


@pytest.mark.parametrize(("expr", "values"), [
    ("x / y", {"x": 1.0, "y": 0.0}), ("1 / x", {"x": 0.0}), ("log(x)", {"x": 0.0}),
    ("sqrt(x)", {"x": 0.0}), ("x ** -1", {"x": 0.0}), ("x / y", {"x": 0.0, "y": 0.0}),
])
def test_scalar_division_by_zero_is_a_value_not_a_crash(expr: str, values: dict[str, float]) -> None:
    """The scalar fast path falls back to numpy: inf/NaN with warnings, like the tensor path."""
    scalar = analyze(expr, values)
    tensor = analyze(expr, {k: [v] for k, v in values.items()})
    assert scalar["value"] == tensor["value"][0]
    assert scalar["warnings"]
    for name in values:
        assert scalar["gradients"][name] == tensor["gradients"][name][0]


@pytest.mark.parametrize(("expr", "values", "code"), [
    ("x + y", {"x": [1.0, 2.0], "y": [1.0, 2.0, 3.0]}, "shape_mismatch"),
    ("x @ y", {"x": [[1.0, 2.0]], "y": [[1.0, 2.0]]}, "shape_mismatch"),
    ("x @ y", {"x": 1.0, "y": [1.0]}, "shape_mismatch"),
    ("sum(x, axis=2)", {"x": [[1.0]]}, "shape_mismatch"),
    ("softmax(x)", {"x": 1.0}, "shape_mismatch"),
    ("cross_entropy(l, t)", {"l": [[1.0, 2.0]], "t": [5]}, "bad_value"),
    ("cross_entropy(l, t)", {"l": [[1.0, 2.0]], "t": [0.5]}, "bad_value"),
    ("cross_entropy(l, t)", {"l": [[1.0, 2.0]], "t": [[1.0, 0.0, 0.0]]}, "shape_mismatch"),
    ("transpose(x, axes=(0, 0))", {"x": [[1.0]]}, "bad_value"),
    ("dot(x, y)", {"x": [[[1.0]]], "y": [1.0]}, "shape_mismatch"),
])
def test_op_errors_carry_code_and_position(expr: str, values: dict[str, object], code: str) -> None:
    source = "a = 1\n  " + expr
    with pytest.raises(ChainruleError) as info:
        analyze(source, values)
    assert info.value.code == code, info.value
    assert info.value.line == 2
    assert info.value.col is not None and info.value.col >= 3


def test_backward_visits_only_what_it_needs_quickly() -> None:
    """A graph with a big tensor input off the differentiated path stays cheap and correct."""
    values = {"x": 2.0, "big": {"init": "ones", "shape": [500, 500]}}
    t0 = time.perf_counter()
    result = analyze("y = x * x\nz = sum(big * 2)", values, output="y")
    assert time.perf_counter() - t0 < 2.0
    assert math.isclose(result["gradients"]["x"], 4.0)
    assert np.all(np.asarray(result["gradients"]["big"]) == 0.0)


# --------------------------------------------------------------------------- the program cache


def _unique_text(tag: str) -> str:
    return f"y = w*x + b  # {tag} {time.perf_counter_ns()}"


def test_a_text_is_cached_from_its_second_use() -> None:
    cache = ProgramCache()
    text = _unique_text("twice")
    first, second, third = (cache.get(text) for _ in range(3))
    assert first is not second, "a text seen once is not kept"
    assert second is third, "from the second use on, the compiled program is reused"
    assert cache.get(text, output="y") is not third, "the output is part of the key"


def test_one_off_texts_do_not_push_cached_programs_out() -> None:
    cache = ProgramCache(entries=8, seen_entries=16)
    kept = _unique_text("kept")
    cache.get(kept)
    program = cache.get(kept)
    for k in range(cache.entries * 4):
        cache.get(_unique_text(f"one-off {k}"))
    assert cache.get(kept) is program


def test_least_recently_used_programs_leave_first() -> None:
    cache = ProgramCache(entries=2)
    a, b, c = (_unique_text(t) for t in "abc")
    for text in (a, a, b, b):
        cache.get(text)
    program_a = cache.get(a)  # a is now the most recently used
    cache.get(c)
    cache.get(c)  # c comes in, b (least recently used) goes
    assert cache.get(a) is program_a
    assert [key[0] for key in cache._programs] == [c, a]  # b, least recently used, went


def test_large_programs_are_never_cached() -> None:
    cache = ProgramCache(max_nodes=100)
    text = " + ".join(f"x{k}" for k in range(100)) + "  # large"
    programs = [cache.get(text) for _ in range(3)]
    assert programs[1] is not programs[2]


def test_a_cached_program_is_not_reused_under_other_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ProgramCache()
    text = _unique_text("limits")
    cache.get(text)
    program = cache.get(text)
    monkeypatch.setattr(programs_module, "LIMITS", dataclasses.replace(programs_module.LIMITS, max_nodes=50))
    assert cache.get(text) is not program


def test_the_engine_keeps_no_state_between_calls() -> None:
    """No module of chainrule/engine holds a mutable cache: every module-level dict, list or set
    is a registry filled at import (the op table) and never written after."""
    import importlib
    import pkgutil

    import chainrule.engine
    from chainrule.engine.ops import OPERATORS, OPS
    registries = {id(OPS), id(OPERATORS)}
    for info in pkgutil.iter_modules(chainrule.engine.__path__):
        module = importlib.import_module(f"chainrule.engine.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, dict | list | set | OrderedDict) and not name.startswith("__"):
                assert id(value) in registries, f"chainrule.engine.{info.name}.{name} is module-level mutable state"
