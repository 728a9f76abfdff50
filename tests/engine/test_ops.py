"""The op table, op by op: every VJP against central finite differences.

CASES maps every op in ``OPS`` to input generators (several shapes, broadcasting, kwargs);
a guard test fails when an op has no case. Each case is checked twice: on the table
directly (``unbroadcast(g * local)`` or ``vjp``) and end to end through ``analyze``.
Inputs stay away from kinks; the kink conventions (PyTorch's) have their own tests.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from chainrule import analyze
from chainrule.engine import compile_program
from chainrule.engine.autodiff import _non_finite_warnings
from chainrule.engine.ops import ARRAY, OPS, SCALAR, Op, unbroadcast
from chainrule.engine.ops_nn import key_text
from chainrule.engine.values import resolve_values

Rng = np.random.Generator
Gen = Callable[[Rng], tuple[Any, ...]]


# --------------------------------------------------------------------------- input makers


def _v(x: Any) -> Any:
    """A 0-d result becomes a Python float, as the engine stores scalars."""
    return float(x) if np.ndim(x) == 0 else np.asarray(x, dtype=np.float64)


def normal(shape: tuple[int, ...]) -> Callable[[Rng], Any]:
    return lambda rng: _v(rng.normal(size=shape))


def away(shape: tuple[int, ...], lo: float = 0.25, hi: float = 2.0) -> Callable[[Rng], Any]:
    """Values with |x| in [lo, hi]: far from the kinks of abs/relu and the pole of 1/x."""
    return lambda rng: _v(rng.choice([-1.0, 1.0], size=shape) * rng.uniform(lo, hi, size=shape))


def positive(shape: tuple[int, ...], lo: float = 0.3, hi: float = 3.0) -> Callable[[Rng], Any]:
    return lambda rng: _v(rng.uniform(lo, hi, size=shape))


def uniform(shape: tuple[int, ...], lo: float, hi: float) -> Callable[[Rng], Any]:
    return lambda rng: _v(rng.uniform(lo, hi, size=shape))


def distinct(shape: tuple[int, ...]) -> Callable[[Rng], Any]:
    """All elements at least 0.3 apart: no ties for max/min reductions."""
    n = math.prod(shape)
    return lambda rng: _v((rng.permutation(n) * 0.3 + rng.uniform(0, 0.05, n) - n * 0.15)
                          .reshape(shape))


def args(*makers: Callable[[Rng], Any]) -> Gen:
    return lambda rng: tuple(m(rng) for m in makers)


def separated(sa: tuple[int, ...], sb: tuple[int, ...]) -> Gen:
    """Two arrays whose broadcast elements differ by more than 0.2 (no maximum/minimum ties)."""
    def gen(rng: Rng) -> tuple[Any, ...]:
        while True:
            a, b = rng.normal(size=sa), rng.normal(size=sb)
            if np.min(np.abs(np.subtract(a, b))) > 0.2:
                return _v(a), _v(b)
    return gen


def class_indices(batch: tuple[int, ...], classes: int) -> Callable[[Rng], Any]:
    return lambda rng: _v(rng.integers(0, classes, size=batch).astype(np.float64))


def probabilities(shape: tuple[int, ...]) -> Callable[[Rng], Any]:
    """Strictly positive rows summing to 1 (0 would sit on the where(p > 0) kink)."""
    def gen(rng: Rng) -> Any:
        p = rng.uniform(0.2, 1.0, size=shape)
        return p / p.sum(axis=-1, keepdims=True)
    return gen


# --------------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    gen: Gen
    kwargs: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    constant_args: tuple[int, ...] = ()  # arguments with no gradient (class indices)


BINARY_SHAPES: list[tuple[tuple[int, ...], tuple[int, ...]]] = [
    ((), ()), ((3,), ()), ((), (3,)), ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)),
    ((3,), (2, 3)), ((2, 3), (2, 3)), ((4, 1, 3), (2, 1)),
]
UNARY_SHAPES: list[tuple[int, ...]] = [(), (3,), (2, 3), (2, 1, 3)]


def _shape_id(*shapes: tuple[int, ...]) -> str:
    return "|".join("x".join(map(str, s)) or "scalar" for s in shapes)


def binary(make_a: Callable[[tuple[int, ...]], Callable[[Rng], Any]],
           make_b: Callable[[tuple[int, ...]], Callable[[Rng], Any]]) -> list[Case]:
    return [Case(args(make_a(sa), make_b(sb)), id=_shape_id(sa, sb)) for sa, sb in BINARY_SHAPES]


def unary(make: Callable[[tuple[int, ...]], Callable[[Rng], Any]]) -> list[Case]:
    return [Case(args(make(s)), id=_shape_id(s)) for s in UNARY_SHAPES]


REDUCE_KWARGS: list[tuple[tuple[int, ...], dict[str, Any]]] = [
    ((), {}), ((4,), {}), ((2, 3), {}), ((2, 3), {"axis": 0}), ((2, 3), {"axis": -1}),
    ((2, 3), {"axis": 1, "keepdims": True}), ((2, 3), {"keepdims": True}),
    ((2, 3, 4), {"axis": (0, 2)}), ((2, 3, 4), {"axis": (-1, 0), "keepdims": True}),
    ((4,), {"axis": 0, "keepdims": True}),
]
SOFTMAX_KWARGS: list[tuple[tuple[int, ...], dict[str, Any]]] = [
    ((4,), {}), ((2, 3), {}), ((2, 3), {"axis": 0}), ((2, 3), {"axis": -1}),
    ((2, 3), {"axis": (0, 1)}), ((2, 3, 4), {"axis": 1}),
]


def reductions(make: Callable[[tuple[int, ...]], Callable[[Rng], Any]],
               table: list[tuple[tuple[int, ...], dict[str, Any]]]) -> list[Case]:
    return [Case(args(make(s)), kw, id=f"{_shape_id(s)}-{kw}") for s, kw in table]


MATMUL_SHAPES: list[tuple[tuple[int, ...], tuple[int, ...]]] = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)), ((2, 1, 2, 3), (4, 3, 2)), ((5, 2, 3), (3,)),
]
DOT_SHAPES: list[tuple[tuple[int, ...], tuple[int, ...]]] = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
]

CASES: dict[str, list[Case]] = {
    "add": binary(normal, normal),
    "sub": binary(normal, normal),
    "mul": binary(normal, normal),
    "div": binary(normal, away),
    "pow": binary(lambda s: positive(s, 0.5, 2.0), lambda s: uniform(s, -2.0, 2.0)),
    "neg": unary(normal),
    "relu": unary(away),
    "sigmoid": unary(lambda s: uniform(s, -4.0, 4.0)),
    "tanh": unary(normal),
    "exp": unary(normal),
    "log": unary(positive),
    "sqrt": unary(positive),
    "abs": unary(away),
    "sin": unary(lambda s: uniform(s, -4.0, 4.0)),
    "cos": unary(lambda s: uniform(s, -4.0, 4.0)),
    "square": unary(normal),
    "maximum": [Case(separated(sa, sb), id=_shape_id(sa, sb)) for sa, sb in BINARY_SHAPES],
    "minimum": [Case(separated(sa, sb), id=_shape_id(sa, sb)) for sa, sb in BINARY_SHAPES],
    "matmul": [Case(args(normal(sa), normal(sb)), id=_shape_id(sa, sb)) for sa, sb in MATMUL_SHAPES],
    "dot": [Case(args(normal(sa), normal(sb)), id=_shape_id(sa, sb)) for sa, sb in DOT_SHAPES],
    "transpose": [
        Case(args(normal((2, 3))), id="2x3"), Case(args(normal((3,))), id="3"),
        Case(args(normal((2, 3, 4))), id="2x3x4"),
        Case(args(normal((2, 3, 4))), {"axes": (1, 2, 0)}, id="2x3x4-axes"),
    ],
    "sum": reductions(normal, REDUCE_KWARGS),
    "mean": reductions(normal, REDUCE_KWARGS),
    "max": reductions(distinct, REDUCE_KWARGS),
    "min": reductions(distinct, REDUCE_KWARGS),
    "logsumexp": reductions(normal, REDUCE_KWARGS),
    "softmax": reductions(normal, SOFTMAX_KWARGS),
    "log_softmax": reductions(normal, SOFTMAX_KWARGS),
    "mse": [Case(args(normal(sa), normal(sb)), id=_shape_id(sa, sb))
            for sa, sb in [((3,), (3,)), ((2, 3), (2, 3)), ((2, 3), (3,)), ((), ()), ((2, 3), ())]],
    "cross_entropy": [
        Case(args(normal((4, 3)), class_indices((4,), 3)), id="indices-4x3", constant_args=(1,)),
        Case(args(normal((3,)), class_indices((), 3)), id="index-3", constant_args=(1,)),
        Case(args(normal((2, 2, 3)), class_indices((2, 2), 3)), id="indices-2x2x3",
             constant_args=(1,)),
        Case(args(normal((4, 3)), probabilities((4, 3))), id="probs-4x3"),
        Case(args(normal((3,)), probabilities((3,))), id="probs-3"),
    ],
}



def mask(shape: tuple[int, ...]) -> Callable[[Rng], Any]:
    """Zeros and nonzeros (where's mask reads nonzero as true)."""
    return lambda rng: _v(rng.choice([0.0, 1.0, -2.0], size=shape))


def rows(shape: tuple[int, ...], count: int) -> Callable[[Rng], Any]:
    """Row numbers in 0..count-1, each batch repeating one (embedding's repeated index)."""
    def gen(rng: Rng) -> Any:
        idx = rng.integers(0, count, size=shape).astype(np.float64)
        if idx.size > 1:
            idx.reshape(-1)[-1] = idx.reshape(-1)[0]
        return _v(idx)
    return gen


CASES.update({
    "reshape": [Case(args(normal((2, 3))), {"shape": (3, 2)}, id="2x3-3x2"),
                Case(args(normal((2, 3, 4))), {"shape": (4, -1)}, id="2x3x4-4x-1"),
                Case(args(normal((6,))), {"shape": (1, 2, 3)}, id="6-1x2x3")],
    "flatten": [Case(args(normal((2, 3, 4))), id="2x3x4"),
                Case(args(normal((2, 3, 2, 2))), {"start_axis": 1}, id="2x3x2x2-1"),
                Case(args(normal((2, 3, 2, 2))), {"start_axis": 1, "end_axis": 2}, id="1-2")],
    "index": [Case(args(normal((3,))), {"key": (1,)}, id="3-[1]"),
              Case(args(normal((2, 3))), {"key": (-1,)}, id="2x3-[-1]"),
              Case(args(normal((2, 3))), {"key": (slice(None), 0)}, id="2x3-[:,0]"),
              Case(args(normal((5, 2))), {"key": (slice(1, 3),)}, id="5x2-[1:3]"),
              Case(args(normal((5, 3, 2))), {"key": (slice(None, None, 2), slice(1, None))},
                   id="5x3x2-[::2,1:]")],
    "concat": [Case(args(normal((2, 3)), normal((1, 3))), id="rows"),
               Case(args(normal((2, 3)), normal((2, 2))), {"axis": 1}, id="columns"),
               Case(args(normal((2, 2, 3)), normal((2, 2, 1))), {"axis": -1}, id="3-d")],
    "stack": [Case(args(normal(()), normal(())), id="scalars"),
              Case(args(normal((2, 3)), normal((2, 3))), {"axis": 1}, id="2x3-axis1"),
              Case(args(normal((3,)), normal((3,))), {"axis": -1}, id="3-last")],
    "where": [Case(args(mask(sm), normal(sa), normal(sb)), id=_shape_id(sm, sa, sb),
                   constant_args=(0,))
              for sm, sa, sb in [((), (), ()), ((3,), (3,), ()), ((2, 3), (3,), (2, 1)),
                                 ((3,), (2, 3), (2, 3))]],
    "gelu": unary(lambda s: uniform(s, -4.0, 4.0)),
    "softplus": unary(lambda s: uniform(s, -5.0, 5.0))
    + [Case(args(uniform((3,), 21.0, 30.0)), id="above-threshold")],
    "leaky_relu": unary(away) + [Case(args(away((2, 3))), {"negative_slope": 0.2}, id="0.2")],
    "var": reductions(normal, REDUCE_KWARGS[1:]),
    "std": reductions(normal, REDUCE_KWARGS[1:]),
    "layer_norm": [Case(args(normal((4,))), id="4"), Case(args(normal((2, 5))), id="2x5"),
                   Case(args(normal((2, 3, 4))), {"axis": (1, 2)}, id="2x3x4-(1,2)"),
                   Case(args(normal((3, 4))), {"axis": 0, "eps": 0.1}, id="3x4-0-eps")],
    "batch_norm": [Case(args(normal((4, 3))), id="4x3"),
                   Case(args(normal((3, 2, 2, 2))), {"eps": 0.01}, id="nchw")],
    "embedding": [Case(args(normal((5, 3)), rows((4,), 5)), id="5x3-4", constant_args=(1,)),
                  Case(args(normal((4, 2)), rows((2, 3), 4)), id="4x2-2x3", constant_args=(1,)),
                  Case(args(normal((4, 2)), rows((), 4)), id="scalar-index", constant_args=(1,))],
    "conv2d": [Case(args(normal((2, 3, 5, 5)), normal((4, 3, 3, 3))), id="3x3"),
               Case(args(normal((1, 2, 6, 5)), normal((3, 2, 2, 3))), {"stride": 2}, id="stride2"),
               Case(args(normal((2, 1, 4, 4)), normal((2, 1, 3, 3))), {"stride": 2, "padding": 1},
                    id="stride2-pad1"),
               Case(args(normal((1, 2, 3, 3)), normal((1, 2, 2, 2))), {"padding": (1, 0)},
                    id="pad(1,0)")],
    "max_pool2d": [Case(args(distinct((2, 2, 4, 4))), {"kernel_size": 2}, id="2"),
                   Case(args(distinct((1, 5, 5))), {"kernel_size": 3, "stride": 1}, id="3-overlap"),
                   Case(args(distinct((1, 1, 5, 4))), {"kernel_size": 2}, id="2-ragged")],
    "avg_pool2d": [Case(args(normal((2, 2, 4, 4))), {"kernel_size": 2}, id="2"),
                   Case(args(normal((1, 5, 5))), {"kernel_size": 3, "stride": 1}, id="3-overlap"),
                   Case(args(normal((1, 1, 5, 4))), {"kernel_size": 2, "stride": 3}, id="2-s3")],
})

PARAMS = [pytest.param(name, case, id=f"{name}-{case.id}")
          for name, cases in CASES.items() for case in cases]


def test_every_op_has_cases() -> None:
    """Guard: a new op in the table without test inputs fails here."""
    missing = sorted(set(OPS) - set(CASES))
    assert not missing, f"ops without VJP test cases: {missing}"
    stale = sorted(set(CASES) - set(OPS))
    assert not stale, f"cases for ops that no longer exist: {stale}"
    assert all(CASES[name] for name in OPS)


# --------------------------------------------------------------------------- the table directly


def table_vjp(op: Op, k: int, g: Any, ans: Any, xs: tuple[Any, ...], kw: dict[str, Any]) -> Any:
    """The table's gradient of sum(g * op(xs)) w.r.t. xs[k]."""
    if op.local is not None:
        return unbroadcast(np.multiply(g, op.local[k](ARRAY, ans, *xs)), np.shape(xs[k]))
    assert op.vjp is not None
    return op.vjp[k](np.asarray(g), ans, *xs, **kw)


def numeric_vjp(f: Callable[..., Any], xs: tuple[Any, ...], k: int, g: Any) -> np.ndarray:
    """Central finite differences of sum(g * f(xs)) w.r.t. xs[k], element by element."""
    base = np.array(xs[k], dtype=np.float64)
    out = np.zeros_like(base)
    for idx in np.ndindex(base.shape):
        h = 1e-6 * max(1.0, abs(float(base[idx])))
        total = []
        for step in (h, -h):
            moved = base.copy()
            moved[idx] += step
            arg = _v(moved)
            shifted = list(xs)
            shifted[k] = arg
            total.append(float(np.sum(np.multiply(g, f(*shifted)))))
        out[idx] = (total[0] - total[1]) / (2 * h)
    return out


@pytest.mark.parametrize(("name", "case"), PARAMS)
def test_vjp_matches_finite_differences(name: str, case: Case) -> None:
    op = OPS[name]
    rng = np.random.default_rng(zlib.crc32(f"{name}-{case.id}".encode()))
    xs = case.gen(rng)
    ans = op.forward(ARRAY, *xs, **case.kwargs)
    g = _v(rng.normal(size=np.shape(ans)))

    def f(*a: Any) -> Any:
        return op.forward(ARRAY, *a, **case.kwargs)

    for k in range(op.arity):
        if k in case.constant_args:
            continue
        got = table_vjp(op, k, g, ans, xs, case.kwargs)
        assert np.shape(got) == np.shape(xs[k]), f"arg {k}: gradient shape {np.shape(got)}"
        want = numeric_vjp(f, xs, k, g)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7, err_msg=f"{name} arg {k}")


@pytest.mark.parametrize(("name", "case"), [p for p in PARAMS if p.values[1].constant_args])
def test_class_index_targets_get_zero_gradient(name: str, case: Case) -> None:
    op = OPS[name]
    xs = case.gen(np.random.default_rng(0))
    ans = op.forward(ARRAY, *xs, **case.kwargs)
    for k in case.constant_args:
        got = table_vjp(op, k, 1.0, ans, xs, case.kwargs)
        assert np.shape(got) == np.shape(xs[k])
        assert np.all(np.asarray(got) == 0)


# --------------------------------------------------------------------------- end to end


ARGS = ["a", "b", "c"]


def expression_for(name: str, n_args: int, kwargs: dict[str, Any]) -> str:
    op = OPS[name]
    names = ARGS[:n_args]
    if name == "neg":
        return "-a"
    if name == "index":
        return f"a[{key_text(kwargs['key'])}]"
    if op.tensor_tuple:
        kw = "".join(f", {k}={v!r}" for k, v in kwargs.items())
        return f"{name}(({', '.join(names)}){kw})"
    if not op.callable:
        assert op.symbol is not None
        return f"a {op.symbol} b"
    kw = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    return f"{name}({', '.join(names)}{kw})"


def _json(x: Any) -> Any:
    return x.tolist() if isinstance(x, np.ndarray) else x


@pytest.mark.parametrize(("name", "case"), PARAMS)
def test_op_end_to_end_through_analyze(name: str, case: Case) -> None:
    """analyze() differentiates sum(op(...)) as the table does, on the scalar and tensor paths."""
    op = OPS[name]
    rng = np.random.default_rng(zlib.crc32(f"e2e-{name}-{case.id}".encode()))
    xs = case.gen(rng)
    expr = expression_for(name, op.arity, case.kwargs)
    values = dict(zip(ARGS, map(_json, xs), strict=False))
    result = analyze(expr, values)
    ans = op.forward(ARRAY, *xs, **case.kwargs)
    np.testing.assert_allclose(np.asarray(result["value"], dtype=float), ans, rtol=1e-12, atol=1e-12)
    g = _v(np.ones(np.shape(ans)))
    for k, arg in enumerate(ARGS[:op.arity]):
        if k in case.constant_args:
            continue
        want = numeric_vjp(lambda *a: op.forward(ARRAY, *a, **case.kwargs), xs, k, g)
        got = np.asarray(result["gradients"][arg], dtype=float)
        assert got.shape == np.shape(xs[k])
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7, err_msg=f"{expr} d/d{arg}")


# --------------------------------------------------------------------------- inf and NaN


@pytest.mark.parametrize("scale", [1e300, -1e300, 1e-320, 0.0])
@pytest.mark.parametrize(("name", "case"), PARAMS)
def test_every_op_reports_the_inf_and_nan_it_makes(name: str, case: Case, scale: float) -> None:
    """Arrays are scanned for inf/NaN only after numpy reports a floating-point event, so
    every op must raise one whenever it makes inf or NaN out of finite inputs (np.einsum,
    for one, does not): the run's warnings must equal those of a full scan."""
    op = OPS[name]
    xs = case.gen(np.random.default_rng(zlib.crc32(f"inf-{name}-{case.id}".encode())))
    scaled = [x if k in case.constant_args else np.multiply(x, scale) for k, x in enumerate(xs)]
    values = dict(zip(ARGS, map(_json, scaled), strict=False))
    program = compile_program(expression_for(name, op.arity, case.kwargs))
    run = program.run(resolve_values(values, program.input_names))
    full_scan = (_non_finite_warnings(program.graph, run.values, "value", True, skip_inputs=True)
                 + _non_finite_warnings(program.graph, run.grads, "gradient", True))
    assert [w for w in run.warnings if "finite" in w] == full_scan


def test_an_inf_scalar_spreading_into_a_tensor_is_reported() -> None:
    """Python floats overflow to inf silently (no numpy event): the arrays it reaches are
    still reported."""
    result = analyze("s = a * a; y = sum(s * t)", {"a": 1e200, "t": [1.0, 2.0]})
    flagged = [w for w in result["warnings"] if "not finite" in w]
    assert any("'s'" in w for w in flagged)
    assert any("(mul, node n3)" in w for w in flagged), flagged


# --------------------------------------------------------------------------- scalar fast path

ELEMENTWISE = sorted(name for name, op in OPS.items() if op.elementwise)


def _scalar_args(name: str, rng: Rng) -> tuple[float, ...]:
    case = next(c for c in CASES[name] if all(s == () for s in [np.shape(x) for x in c.gen(rng)]))
    xs = case.gen(rng)
    assert all(type(x) is float for x in xs)
    return xs  # type: ignore[return-value]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_scalar_and_array_namespaces_agree(name: str) -> None:
    """The Python-float fast path and numpy give the same forward and local derivatives."""
    op = OPS[name]
    assert op.local is not None
    rng = np.random.default_rng(7)
    for _ in range(25):
        xs = _scalar_args(name, rng)
        y_s = op.forward(SCALAR, *xs)
        y_a = op.forward(ARRAY, *(np.float64(x) for x in xs))
        assert type(y_s) in (float, int), f"{name}: SCALAR forward returned {type(y_s)}"
        assert math.isclose(y_s, float(y_a), rel_tol=1e-13, abs_tol=1e-15)
        for k in range(op.arity):
            l_s = op.local[k](SCALAR, y_s, *xs)
            l_a = op.local[k](ARRAY, y_a, *(np.float64(x) for x in xs))
            assert math.isclose(float(l_s), float(l_a), rel_tol=1e-12, abs_tol=1e-15), (name, k)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_scalar_local_matches_finite_differences(name: str) -> None:
    op = OPS[name]
    assert op.local is not None
    rng = np.random.default_rng(11)
    for _ in range(25):
        xs = _scalar_args(name, rng)
        y = op.forward(SCALAR, *xs)
        for k in range(op.arity):
            h = 1e-6 * max(1.0, abs(xs[k]))
            up, down = list(xs), list(xs)
            up[k] += h
            down[k] -= h
            numeric = (op.forward(SCALAR, *up) - op.forward(SCALAR, *down)) / (2 * h)
            local = op.local[k](SCALAR, y, *xs)
            assert math.isclose(local, numeric, rel_tol=1e-6, abs_tol=1e-8), (name, k, xs)


@pytest.mark.parametrize(
    ("name", "x", "want"),
    [("sigmoid", -800.0, 0.0), ("sigmoid", 800.0, 1.0), ("exp", 800.0, math.inf),
     ("log", 0.0, -math.inf), ("sqrt", -1.0, math.nan), ("log", -1.0, math.nan),
     ("sqrt", 0.0, 0.0)],
)
def test_scalar_edge_values_match_numpy(name: str, x: float, want: float) -> None:
    """Where math raises (overflow, domain), the engine falls back to numpy's inf/NaN."""
    result = analyze(f"{name}(x)", {"x": x})
    got = result["value"]
    if math.isnan(want):
        assert got == "NaN"
    elif math.isinf(want):
        assert got == ("Infinity" if want > 0 else "-Infinity")
    else:
        assert math.isclose(got, want, abs_tol=1e-300)


# --------------------------------------------------------------------------- kink conventions


def test_abs_has_zero_slope_at_zero() -> None:
    assert analyze("abs(x)", {"x": 0.0})["gradients"]["x"] == 0.0
    assert analyze("sum(abs(x))", {"x": [0.0, -2.0, 3.0]})["gradients"]["x"] == [0.0, -1.0, 1.0]


def test_relu_has_zero_slope_at_zero() -> None:
    assert analyze("relu(x)", {"x": 0.0})["gradients"]["x"] == 0.0
    assert analyze("sum(relu(x))", {"x": [0.0, -2.0, 3.0]})["gradients"]["x"] == [0.0, 0.0, 1.0]


@pytest.mark.parametrize("fn", ["maximum", "minimum"])
def test_elementwise_maximum_minimum_split_ties_in_half(fn: str) -> None:
    scalar = analyze(f"{fn}(a, b)", {"a": 1.5, "b": 1.5})["gradients"]
    assert scalar == {"a": 0.5, "b": 0.5}
    tensor = analyze(f"sum({fn}(a, b))", {"a": [1.0, 2.0, 3.0], "b": [1.0, 0.0, 5.0]})["gradients"]
    big = fn == "maximum"
    assert tensor["a"] == [0.5, 1.0 if big else 0.0, 0.0 if big else 1.0]
    assert tensor["b"] == [0.5, 0.0 if big else 1.0, 1.0 if big else 0.0]
    # broadcast tie: b is tied with two elements of a; its halves are summed
    bcast = analyze(f"sum({fn}(a, b))", {"a": [2.0, 2.0, 1.0], "b": 2.0})["gradients"]
    assert bcast["b"] == pytest.approx(0.5 + 0.5 + (1.0 if big else 0.0))
    assert bcast["a"] == [0.5, 0.5, 0.0 if big else 1.0]


@pytest.mark.parametrize("fn", ["max", "min"])
def test_max_min_reductions_split_ties_evenly(fn: str) -> None:
    """torch.amax/amin: the gradient is divided evenly among tied extremes."""
    x = [3.0, 1.0, 3.0, 3.0] if fn == "max" else [1.0, 3.0, 1.0, 1.0]
    grad = analyze(f"{fn}(x)", {"x": x})["gradients"]["x"]
    assert grad == pytest.approx([1 / 3, 0.0, 1 / 3, 1 / 3])
    rows = [[2.0, 2.0, 0.0], [5.0, 1.0, 4.0]] if fn == "max" else [[0.0, 0.0, 2.0], [1.0, 5.0, 4.0]]
    grad = analyze(f"sum({fn}(x, axis=1))", {"x": rows})["gradients"]["x"]
    np.testing.assert_allclose(grad, [[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]], rtol=1e-12)
    grad = analyze(f"sum({fn}(x, axis=0, keepdims=True))", {"x": rows})["gradients"]["x"]
    np.testing.assert_allclose(np.sum(grad, axis=0), [1.0, 1.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(grad, [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]] if fn == "max"
                               else [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]], rtol=1e-12)


def test_pow_conventions_at_zero() -> None:
    """torch: d(a**b)/da = 0 where b == 0; d(a**b)/db = 0 where a == 0 and b >= 0."""
    g = analyze("a ** b", {"a": 0.0, "b": 0.0})["gradients"]
    assert g == {"a": 0.0, "b": 0.0}
    g = analyze("a ** b", {"a": 0.0, "b": 2.0})["gradients"]
    assert g == {"a": 0.0, "b": 0.0}
    g = analyze("sum(a ** b)", {"a": [0.0, 2.0], "b": [0.0, 3.0]})["gradients"]
    assert g["a"] == pytest.approx([0.0, 12.0])
    assert g["b"] == pytest.approx([0.0, 8 * math.log(2.0)])


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("grad_shape", "shape"),
    [((2, 3), (3,)), ((2, 3), (1, 3)), ((2, 3), (2, 1)), ((4, 2, 3), ()), ((4, 2, 3), (2, 1)),
     ((3,), (3,))],
)
def test_unbroadcast_is_the_adjoint_of_broadcasting(grad_shape: tuple[int, ...],
                                                    shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(3)
    g, x = rng.normal(size=grad_shape), rng.normal(size=shape)
    # <g, broadcast(x)> == <unbroadcast(g), x>
    lhs = float(np.sum(g * np.broadcast_to(x, grad_shape)))
    red = unbroadcast(g, shape)
    assert red.shape == shape
    assert math.isclose(lhs, float(np.sum(red * x)), rel_tol=1e-12, abs_tol=1e-12)


def test_every_op_describes_itself() -> None:
    for name, op in OPS.items():
        d = op.describe()
        assert d["name"] == name
        assert d["arity"] == op.arity == len(d["local_formulas"])
        assert "{" not in d["formula"] and all("{" not in f for f in d["local_formulas"])


# --------------------------------------------------------------------------- NaN, as torch


NAN = math.nan


@pytest.mark.parametrize(("expression", "values"), [
    ("abs(a)", {"a": NAN}), ("relu(a)", {"a": NAN}),
    ("maximum(a, b)", {"a": NAN, "b": 1.0}), ("maximum(a, b)", {"a": 1.0, "b": NAN}),
    ("minimum(a, b)", {"a": NAN, "b": 1.0}), ("minimum(a, b)", {"a": NAN, "b": NAN}),
    ("a ** b", {"a": NAN, "b": 0.0}), ("a ** b", {"a": math.inf, "b": 0.0}),
    ("a ** b", {"a": 0.0, "b": -1.0}), ("a ** b", {"a": -0.0, "b": -3.0}),
    ("a ** b", {"a": 0.0, "b": -math.inf}), ("a ** b", {"a": 0.0, "b": NAN}),
    ("sum(abs(a))", {"a": [NAN, -1.0]}), ("sum(relu(a))", {"a": [NAN, -1.0]}),
    ("sum(maximum(a, b))", {"a": [NAN, 1.0], "b": 1.0}),
])
def test_slopes_at_nan_are_torchs(expression: str, values: dict[str, Any]) -> None:
    """torch's backward masks with comparisons that are all false at NaN: |x|' = 0, relu' = 1,
    maximum/minimum pass the gradient to both arguments, d(a**0)/da = 0 (a training step
    that went NaN then takes torch's next gradient)."""
    torch = pytest.importorskip("torch")
    leaves = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in values.items()}
    fn = {"abs": torch.abs, "relu": torch.relu, "maximum": torch.maximum, "minimum": torch.minimum,
          "sum": torch.sum}
    out = eval(expression, {**fn}, leaves)  # our own expression, over torch tensors
    out.backward()
    result = analyze(expression, {n: _api_number(v) for n, v in values.items()})
    for name, leaf in leaves.items():
        got = np.asarray(_from_api(result["gradients"][name]), dtype=float)
        np.testing.assert_array_equal(got, leaf.grad.numpy(), err_msg=f"{expression} d/d{name}")


def _api_number(v: Any) -> Any:
    if isinstance(v, list):
        return [_api_number(x) for x in v]
    return "NaN" if v != v else {math.inf: "Infinity", -math.inf: "-Infinity"}.get(v, v)


def _from_api(v: Any) -> Any:
    if isinstance(v, list):
        return [_from_api(x) for x in v]
    return {"NaN": NAN, "Infinity": math.inf, "-Infinity": -math.inf}.get(v, v) if isinstance(v, str) else v
