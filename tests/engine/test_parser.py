"""The whitelist parser: Python's precedence and associativity, statements, output rules, errors.

The differential test evaluates the same text with Python itself (``eval`` with a restricted
namespace, in the TEST only: the test writes the text) and compares with chainrule.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest

from chainrule import ChainruleError, analyze
from chainrule.engine.graph import build_graph


def value(expr: str, **values: Any) -> Any:
    return analyze(expr, values)["value"]


# --------------------------------------------------------------------------- precedence


@pytest.mark.parametrize(("expr", "values", "want"), [
    ("-x**2", {"x": 3.0}, -9.0),
    ("-2**2", {}, -4.0),
    ("(-2)**2", {}, 4.0),
    ("2**-1", {}, 0.5),
    ("x**-y", {"x": 2.0, "y": 2.0}, 0.25),
    ("a**b**c", {"a": 2.0, "b": 3.0, "c": 2.0}, 512.0),
    ("a**-b**c", {"a": 2.0, "b": 1.0, "c": 3.0}, 0.5),
    ("a - b - c", {"a": 10.0, "b": 3.0, "c": 2.0}, 5.0),
    ("a - (b - c)", {"a": 10.0, "b": 3.0, "c": 2.0}, 9.0),
    ("a / b * c", {"a": 8.0, "b": 2.0, "c": 4.0}, 16.0),
    ("a / b / c", {"a": 8.0, "b": 2.0, "c": 4.0}, 1.0),
    ("a + b * c", {"a": 1.0, "b": 2.0, "c": 3.0}, 7.0),
    ("-a * b", {"a": 2.0, "b": 3.0}, -6.0),
    ("- -a", {"a": 2.0}, 2.0),
    ("+a - +b", {"a": 2.0, "b": 3.0}, -1.0),
    ("2 * -x", {"x": 4.0}, -8.0),
    ("x - -2", {"x": 1.0}, 3.0),
    ("1e-3 * 1E3 + .5 + 2.", {}, 3.5),
])
def test_precedence_and_associativity_match_python(expr: str, values: dict[str, float],
                                                   want: float) -> None:
    assert math.isclose(value(expr, **values), want, rel_tol=1e-12)
    assert math.isclose(eval(expr, {"__builtins__": {}}, dict(values)), want, rel_tol=1e-12)


def test_matmul_precedence_and_transpose() -> None:
    x, w, b = [[1.0, 2.0]], [[1.0, 3.0], [0.0, 1.0]], [10.0, 20.0]
    np.testing.assert_allclose(value("x @ W + b", x=x, W=w, b=b), [[11.0, 25.0]])
    np.testing.assert_allclose(value("b + x @ W", x=x, W=w, b=b), [[11.0, 25.0]])
    np.testing.assert_allclose(value("2 * x @ W", x=x, W=w), [[2.0, 10.0]])  # (2*x) @ W
    np.testing.assert_allclose(value("x @ W.T", x=x, W=w), [[7.0, 2.0]])
    np.testing.assert_allclose(value("x.T", x=x), [[1.0], [2.0]])
    np.testing.assert_allclose(value("x.T.T", x=x), x)
    np.testing.assert_allclose(value("(x @ W).T", x=x, W=w), [[1.0], [5.0]])
    np.testing.assert_allclose(value("-x.T", x=x), [[-1.0], [-2.0]])


# --------------------------------------------------------------------------- differential


def _real_abs(v: Any) -> Any:
    if isinstance(v, complex):  # Python's (-2) ** 0.5 is complex; chainrule's is NaN
        raise ValueError("complex")
    return abs(v)


NAMESPACE: dict[str, Any] = {
    "__builtins__": {}, "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "sin": math.sin,
    "cos": math.cos, "tanh": math.tanh, "abs": _real_abs, "square": lambda v: v * v,
    "relu": lambda v: max(v, 0.0), "sigmoid": lambda v: 1.0 / (1.0 + math.exp(-v)),
    "maximum": max, "minimum": min,
}
UNARY_FNS = ["exp", "log", "sqrt", "sin", "cos", "tanh", "abs", "square", "relu", "sigmoid"]
BINARY_OPS = ["+", "-", "*", "/", "**"]
NUMBERS = ["2", "0.5", "3", "1e-1", ".5", "1.", "1.5e0"]


def random_expression(rng: random.Random, depth: int) -> str:
    """Unparenthesised operator chains (precedence is the parser's job), calls and groups."""
    if depth <= 0 or rng.random() < 0.25:
        return rng.choice(["a", "b", "c", *NUMBERS])
    kind = rng.random()
    if kind < 0.5:
        parts = [random_expression(rng, depth - 1)]
        for _ in range(rng.randint(1, 3)):
            parts += [rng.choice(BINARY_OPS), random_expression(rng, depth - 1)]
        return " ".join(parts)
    if kind < 0.65:
        return rng.choice(["-", "+", "- "]) + random_expression(rng, depth - 1)
    if kind < 0.85:
        fn = rng.choice(UNARY_FNS + ["maximum", "minimum"])
        n = 2 if fn in ("maximum", "minimum") else 1
        return f"{fn}(" + ", ".join(random_expression(rng, depth - 1) for _ in range(n)) + ")"
    return "(" + random_expression(rng, depth - 1) + ")"


def python_value(expr: str, env: dict[str, float]) -> float | None:
    try:
        v = eval(expr, NAMESPACE, dict(env))
    except (ArithmeticError, ValueError, TypeError):
        return None
    if not isinstance(v, float | int) or not math.isfinite(v) or abs(v) > 1e100:
        return None
    return float(v)


def test_differential_against_python_eval() -> None:
    rng = random.Random(20261126)
    compared = 0
    for _ in range(600):
        expr = random_expression(rng, 4)
        env = {k: rng.uniform(-3, 3) for k in "abc"}
        want = python_value(expr, env)
        if want is None:
            continue
        used = {k: v for k, v in env.items() if k in build_graph(expr).inputs}
        got = analyze(expr, used)["value"]
        assert isinstance(got, float), (expr, env, got)
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), (expr, env, got, want)
        compared += 1
    assert compared > 250


# --------------------------------------------------------------------------- layout of source


def test_newlines_inside_parentheses_comments_and_semicolons() -> None:
    source = (
        "# a comment line\n"
        "y = (w *   # trailing comment inside parentheses\n"
        "     x\n"
        "     + b)   # and after\n"
        "\n"
        "z = y * 2; loss = z - 1  ;\n"
        "   \n"
    )
    result = analyze(source, {"w": 3.0, "x": 2.0, "b": 1.0})
    assert math.isclose(result["value"], 13.0)
    assert result["output_name"] == "loss"
    assert math.isclose(result["gradients"]["w"], 4.0)


def test_line_continuation_and_call_arguments_across_lines() -> None:
    source = "y = w * \\\n  x\nloss = maximum(\n  y,\n  3\n)"
    assert math.isclose(analyze(source, {"w": 2.0, "x": 1.0})["value"], 3.0)


def test_keyword_arguments() -> None:
    x = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    np.testing.assert_allclose(value("sum(x, axis=0)", x=x), [5.0, 7.0, 9.0])
    np.testing.assert_allclose(value("sum(x, axis=-1)", x=x), [6.0, 15.0])
    np.testing.assert_allclose(value("sum(x, axis=(0, 1))", x=x), 21.0)
    np.testing.assert_allclose(value("mean(x, axis=1, keepdims=True)", x=x), [[2.0], [5.0]])
    np.testing.assert_allclose(value("max(x, keepdims=True)", x=x), [[6.0]])
    np.testing.assert_allclose(value("sum(softmax(x, axis=0), axis=0)", x=x), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(value("sum(x, axis=None)", x=x), 21.0)


# --------------------------------------------------------------------------- output selection


def test_output_is_the_last_assigned_name() -> None:
    result = analyze("a = x + 1\nb = a * 2\n", {"x": 1.0})
    assert result["output_name"] == "b" and math.isclose(result["value"], 4.0)


def test_explicit_output_wins() -> None:
    result = analyze("a = x + 1\nb = a * 2", {"x": 1.0}, output="a")
    assert result["output_name"] == "a" and math.isclose(result["value"], 2.0)
    assert math.isclose(result["gradients"]["x"], 1.0)


def test_lone_expression_is_the_output() -> None:
    result = analyze("x * 3", {"x": 2.0})
    assert result["output_name"] is None and math.isclose(result["value"], 6.0)


def test_last_assigned_name_beats_a_trailing_lone_expression() -> None:
    result = analyze("a = x + 1\nx * 100", {"x": 1.0})
    assert result["output_name"] == "a" and math.isclose(result["value"], 2.0)


def test_reassignment_uses_the_latest_binding() -> None:
    result = analyze("h = x\nh = h * 2\nh = h + 1", {"x": 3.0})
    assert math.isclose(result["value"], 7.0) and math.isclose(result["gradients"]["x"], 2.0)
    assert [n["name"] for n in result["nodes"] if n["op"] == "input"] == ["x"]


def test_assigned_names_are_not_inputs() -> None:
    graph = build_graph("y = w*x + b\nloss = abs(y_true - y)")
    assert graph.input_names == ["w", "x", "b", "y_true"]


def test_runtime_errors_point_past_newlines_inside_brackets() -> None:
    with pytest.raises(ChainruleError) as info:
        analyze("y = (a +\n  b)\nz = y @ y", {"a": 1.0, "b": 2.0})
    assert (info.value.code, info.value.line, info.value.col) == ("shape_mismatch", 3, 7)


@pytest.mark.parametrize("output", ["nope", "x2", ""])
def test_unknown_output_name(output: str) -> None:
    with pytest.raises(ChainruleError) as info:
        analyze("y = x * 2", {"x": 1.0}, output=output)
    assert info.value.code == "unknown_name"


# --------------------------------------------------------------------------- errors and positions


@pytest.mark.parametrize(("source", "code", "line", "col"), [
    ("x = 1\ny = 2\nz = x $ y", "syntax_error", 3, 7),
    ("a = 1\n\n    import os", "syntax_error", 3, 5),
    ("x = 1\n\ny = x.__class__", "syntax_error", 3, 6),
    ("a = 1\n  b = [1, 2]", "syntax_error", 2, 7),
    ("a = 1\nb = 'text'", "syntax_error", 2, 5),
    ("y = foo(x)", "unknown_function", 1, 5),
    ("a = 1\nb = 2\nc = open('f')", "syntax_error", 3, 10),
    ("a = 1\nb = 2\nc = exec(a)", "unknown_function", 3, 5),
    ("a = 1\nb = 2\nc = __import__(a)", "unknown_function", 3, 5),
    ("y = (x + 1", "syntax_error", 1, 11),
    ("y = x +", "syntax_error", 1, 8),
    ("y = x + )", "syntax_error", 1, 9),
    ("x + 1 = y", "syntax_error", 1, 7),
    ("y = sum(x, axis=1.5)", "syntax_error", 1, 17),
    ("y = sum(x, foo=1)", "syntax_error", 1, 12),
    ("y = sum(x, axis=0, axis=1)", "syntax_error", 1, 20),
    ("y = sum(axis=0, x)", "syntax_error", 1, 17),
    ("y = maximum(x)", "syntax_error", 1, 5),
    ("y = relu(x, x)", "syntax_error", 1, 5),
    ("y = (x)(2)", "syntax_error", 1, 8),
    ("y = x.y", "syntax_error", 1, 6),
    ("y = 2 x", "syntax_error", 1, 7),
    ("y = x if x else 1", "syntax_error", 1, 7),
    ("y = x ^ 2", "syntax_error", 1, 7),
    ("y = x % 2", "syntax_error", 1, 7),
    ("y = x < 2", "syntax_error", 1, 7),
    ("y = x\n  = 2", "syntax_error", 2, 3),
    # after newlines dropped inside brackets, positions still count them
    ("y = (a +\n  b)\nz = y *", "syntax_error", 3, 8),
    ("y = f(\n", "unknown_function", 1, 5),
    ("y = exp(\n", "syntax_error", 2, 1),
    ("y = (a # (\n + b) + \n", "syntax_error", 2, 9),
    ("y = a  # a '(' in a comment\nz = y + )", "syntax_error", 2, 9),
    ("y = __x", "syntax_error", 1, 5),
    ("lambda = 1", "syntax_error", 1, 1),
    ("y = None", "syntax_error", 1, 5),
    ("y = \u0663 + 1", "syntax_error", 1, 5),  # numbers are ASCII digits (float() would take these)
    ("   \n# only a comment\n", "syntax_error", None, None),
    ("", "syntax_error", None, None),
])
def test_errors_carry_code_line_and_column(source: str, code: str, line: int | None,
                                           col: int | None) -> None:
    with pytest.raises(ChainruleError) as info:
        build_graph(source)
    err = info.value
    assert err.code == code, err
    assert err.line is not None and err.col is not None, err
    if line is not None:
        assert (err.line, err.col) == (line, col), err
    body = err.to_dict()["error"]
    assert body["code"] == code and body["line"] == err.line and body["col"] == err.col
    assert f"line {err.line}" in err.message


def test_error_column_counts_characters_not_bytes() -> None:
    with pytest.raises(ChainruleError) as info:
        build_graph("é = 1\nπ = é $ 2")
    assert (info.value.line, info.value.col) == (2, 7)


def test_unicode_identifiers_are_names() -> None:
    assert math.isclose(analyze("π2 = θ * 2", {"θ": 1.5})["value"], 3.0)


def test_builder_gets_one_node_per_free_name_however_often_used() -> None:
    graph = build_graph("y = x*x*x + x/x - x")
    assert [n.kind for n in graph.nodes].count("input") == 1


# --------------------------------------------------------------------------- round 3 forms


X = np.arange(24.0).reshape(2, 3, 4)


@pytest.mark.parametrize(("text", "want"), [
    ("x[1]", X[1]), ("x[-1]", X[-1]), ("x[:, 0]", X[:, 0]), ("x[1:3]", X[1:3]),
    ("x[::2, 1:]", X[::2, 1:]), ("x[0, -1, 1:3]", X[0, -1, 1:3]), ("x[:, :, ::3]", X[:, :, ::3]),
    ("x[0][1]", X[0][1]), ("x[0,]", X[0]), ("x[:-1, 1::2]", X[:-1, 1::2]), ("(x * 2)[1, 2, 3]", 46.0),
    ("exp(x)[0, 0, 0]", 1.0), ("x.T[0]", X.T[0]), ("x[\n  1,\n  2]", X[1, 2]),
])
def test_indexing_is_numpys_basic_indexing(text: str, want: Any) -> None:
    np.testing.assert_array_equal(value(text, x=X.tolist()), want)


def test_an_index_binds_tighter_than_power_and_minus() -> None:
    assert value("-x[1] ** 2", x=[1.0, 3.0]) == -9.0
    assert value("x ** y[0]", x=2.0, y=[3.0]) == 8.0


@pytest.mark.parametrize(("text", "want"), [
    ("reshape(x, (2, -1))", np.arange(6.0).reshape(2, 3)),
    ("reshape(x, shape=(3, 2))", np.arange(6.0).reshape(3, 2)),
    ("transpose(reshape(x, (1, 2, 3)), (2, 0, 1))", np.arange(6.0).reshape(1, 2, 3).transpose(2, 0, 1)),
    ("concat((x, x * 2), axis=0)", np.concatenate([np.arange(6.0), 2 * np.arange(6.0)])),
    ("concat((x,), 0)", np.arange(6.0)),
    ("stack((x, x + 1), 1)", np.stack([np.arange(6.0), np.arange(6.0) + 1], axis=1)),
    ("stack((\n  x,\n  x,\n))", np.stack([np.arange(6.0)] * 2)),
    ("leaky_relu(x - 3, 0.5)", np.where(np.arange(6.0) > 3, np.arange(6.0) - 3, (np.arange(6.0) - 3) * 0.5)),
    ("leaky_relu(x - 3, negative_slope=-1e-1)",
     np.where(np.arange(6.0) > 3, np.arange(6.0) - 3, (np.arange(6.0) - 3) * -0.1)),
    ("max_pool2d(reshape(x, (1, 2, 3)), 2, 1)", [[[4.0, 5.0]]]),
])
def test_positional_literals_and_tuples_of_tensors(text: str, want: Any) -> None:
    np.testing.assert_allclose(value(text, x=list(range(6))), want)


@pytest.mark.parametrize(("text", "code", "col", "says"), [
    ("y = [1, 2]", "syntax_error", 5, "list literals"),
    ("y = x[i]", "syntax_error", 7, "embedding(E, idx)"),
    ("y = x[1.5]", "syntax_error", 7, "integers and slices"),
    ("y = x[(1)]", "syntax_error", 7, "integers and slices"),
    ("y = x[]", "syntax_error", 7, "an integer or a slice"),
    ("y = x[1:2:3:4]", "syntax_error", 12, "expected ',', ':' or ']'"),
    ("y = x[1", "syntax_error", 8, "expected ',', ':' or ']'"),
    ("y = 1:2", "syntax_error", 6, "end of the statement"),
    ("y = :", "syntax_error", 5, "only inside brackets"),
    ("y = concat(a, b)", "syntax_error", 12, "tuple of tensors"),
    ("y = concat((a))", "syntax_error", 12, "(a,)"),
    ("y = stack(())", "syntax_error", 11, "tuple of tensors"),
    ("y = reshape(x, y)", "syntax_error", 16, "shape must be an integer or a tuple"),
    ("y = reshape(x, (2, y))", "syntax_error", 20, "shape must be an integer"),
    ("y = sum(x, 0)", "syntax_error", 5, "takes 1 positional argument, got 2"),
    ("y = leaky_relu(x, 0.1, 0.2)", "syntax_error", 5, "takes 1 positional argument"),
    ("y = transpose(x, (1, 0), axes=(0, 1))", "syntax_error", 26, "given twice"),
    ("y = conv2d(x, W, stride=1.5)", "syntax_error", 25, "stride must be an integer"),
    ("y = max_pool2d(x, kernel_size=2, 1)", "syntax_error", 34, "positional argument after"),
])
def test_round_3_syntax_errors(text: str, code: str, col: int, says: str) -> None:
    with pytest.raises(ChainruleError) as info:
        build_graph(text)
    assert info.value.code == code
    assert info.value.col == col, info.value.message
    assert says in info.value.message


@pytest.mark.parametrize(("text", "values", "code", "says"), [
    ("y = x[3]", {"x": [1.0, 2.0]}, "shape_mismatch", "index 3 is out of range for axis 0 of size 2"),
    ("y = x[0, 0]", {"x": [1.0, 2.0]}, "shape_mismatch", "2 indices for a tensor of shape [2]"),
    ("y = x[0]", {"x": 1.0}, "shape_mismatch", "a scalar cannot be indexed"),
    ("y = x[::-1]", {"x": [1.0, 2.0]}, "bad_value", "step must be positive"),
    ("y = reshape(x, (4, -1))", {"x": [1.0, 2.0, 3.0]}, "shape_mismatch", "cannot reshape"),
    ("y = reshape(x)", {"x": [1.0]}, "bad_value", "needs a shape"),
    ("y = concat((a, b), axis=1)", {"a": [[1.0]], "b": [1.0]}, "shape_mismatch", "differ outside"),
    ("y = stack((a, b))", {"a": [1.0], "b": [1.0, 2.0]}, "shape_mismatch", "one shape"),
    ("y = embedding(E, i)", {"E": [[1.0], [2.0]], "i": [2]}, "bad_value", "integers in 0..1"),
    ("y = conv2d(x, W)", {"x": [[1.0]], "W": [[1.0]]}, "shape_mismatch", "(N, C, H, W)"),
    ("y = max_pool2d(x)", {"x": [[[1.0]]]}, "bad_value", "needs a kernel size"),
    ("y = max_pool2d(x, 3)", {"x": [[[1.0, 2.0], [3.0, 4.0]]]}, "shape_mismatch", "larger than"),
    ("y = batch_norm(x)", {"x": [[1.0, 2.0]]}, "bad_value", "more than one value per channel"),
    ("y = layer_norm(x, axis=2)", {"x": [1.0, 2.0]}, "shape_mismatch", "out of range"),
])
def test_round_3_value_errors_name_the_op_and_position(text: str, values: dict[str, Any], code: str,
                                                       says: str) -> None:
    with pytest.raises(ChainruleError) as info:
        analyze(text, values)
    assert info.value.code == code
    assert says in info.value.message and "(line 1, column" in info.value.message


def test_each_index_and_join_labels_itself() -> None:
    graph = build_graph("q = h[:, 0:4]\ny = h[1] + concat((q, q), axis=1)[0]")
    labels = graph.labels()
    formulas = [f for f in graph.formulas() if f]
    assert "h[:, 0:4]" in formulas and "h[1]" in labels and "concat((q, q))" in formulas
@pytest.mark.parametrize(("text", "reason", "params"), [
    ("y = w*", "incomplete", {}),
    ("y = w +* 2", "unexpected", {"found": "*"}),
    ("y = (w + 1", "unclosed", {"column": 5}),
    ("y = w x", "extra", {"found": "x"}),
    ("", "empty", {}),
    ("w + 1 = y", "assign_target", {}),
    ("y = w $ 2", "stray", {"char": "$"}),
])
def test_a_syntax_error_names_its_reason_for_a_translation(text: str, reason: str, params: dict) -> None:
    """A page says a syntax error in its own language from reason + params, not the message."""
    with pytest.raises(ChainruleError) as caught:
        build_graph(text)
    assert caught.value.code == "syntax_error"
    assert caught.value.params == {"reason": reason, **params}
