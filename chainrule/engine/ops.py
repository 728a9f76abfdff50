"""The one table of operations.

Every operation is registered once, here, with:
- its forward function ``forward(m, *args, **kw)``;
- for elementwise ops, one local derivative per argument ``local(m, ans, *args)`` (the
  vector-Jacobian product is then ``unbroadcast(g * local)``), otherwise one VJP per
  argument ``vjp(g, ans, *args, **kw)`` (numpy arrays in, gradient of the argument's shape out);
- the forward formula and the local-derivative formula as text (the template language
  is documented in :mod:`chainrule.engine.formulas`);
- ``torch=``: how PyTorch writes it, a :class:`~chainrule.engine.spelling.Torch` template of
  Python source over the arguments ``{0}``, ``{1}`` (and ``{dim}``, ``{keepdim}``... for axis
  keywords; :mod:`chainrule.engine.spelling`). Write the plain expression and never
  parenthesise a placeholder: the exporter substitutes argument *trees* and prints with
  operator precedence. ``torch=Torch("torch.tanh({0})")``, ``Torch("{0} - {1}")``,
  ``Torch("torch.mean(torch.square({0} - {1}))")``, ``Torch("F.softsign({0})")`` (``F`` is
  ``torch.nn.functional``). The PyTorch export, its round-trip tests and the differential
  tests' torch twin of a new elementwise op all read it;
- what the gradient-health diagnostics need to know: ``kink=`` (where the op is not
  differentiable: ``"zero"`` at a 0 argument, ``"tie"`` where its arguments are equal,
  ``"extreme"`` where a reduction's extreme is tied), ``saturates=True`` (a squashing op whose
  slope vanishes far from 0), ``restricted_domain=True`` (a pole or a domain edge, where NaN
  and infinities come from).

Adding an op: one registration here (with ``torch=``) and its cases in
``tests/engine/test_ops.py``; an elementwise op then gets its random-program generator and
torch twin from this table (``tests/support/random_expr.py``), a whole-tensor op also needs a
generator there (its shapes).

Registration reads like a sentence, one helper per kind of op: :func:`elementwise`
(``local=``, one function per argument) and :func:`tensor_op` (``vjp=``).

``m`` is a math namespace: :data:`SCALAR` (Python floats and :mod:`math`, much faster than
numpy on 0-d values; bench/README.md) or :data:`ARRAY` (numpy). Elementwise ops are written once against
that namespace so the scalar fast path and the tensor path cannot disagree.

The parser, the evaluator, the backward pass, ``GET /api/ops`` and the front-end legend all
read this table; nothing else switches on op names.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, SimpleNamespace
from typing import Any, Final

import numpy as np

from chainrule.config import LIMITS, env_name
from chainrule.engine.formulas import Pieces, compile_template, fill_formula
from chainrule.engine.spelling import Torch


class OpError(Exception):
    """An operation rejected its arguments; the evaluator adds the source position."""

    def __init__(self, code: str, message: str, reason: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason  # the error's params.reason, for a message in the user's language
        self.params = params  # and what that message names


# --------------------------------------------------------------------------- namespaces


def _scalar_sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _array_sigmoid(x: Any) -> Any:
    # Two branches so neither exp overflows: the classic stable logistic.
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _scalar_max(a: float, b: float) -> float:
    return a if (a >= b or a != a) else b


def _scalar_min(a: float, b: float) -> float:
    return a if (a <= b or a != a) else b


# At NaN the slopes follow torch's backward: sign (abs) is 0, step (relu) is 1, because
# torch masks with x > 0, x < 0 and x <= 0, all false for NaN.
def _scalar_sign(x: float) -> float:
    return float((x > 0) - (x < 0))


def _scalar_step(x: float) -> float:
    return 0.0 if x <= 0 else 1.0


def _scalar_where(cond: bool, a: float, b: float) -> float:
    return a if cond else b


def _array_step(x: Any) -> Any:
    return (~(np.asarray(x) <= 0)).astype(np.float64)


def _array_sign(x: Any) -> Any:
    return np.nan_to_num(np.sign(x), nan=0.0)


_ERF_UFUNC: Final = np.frompyfunc(math.erf, 1, 1)  # numpy has no erf; math's is exact to 1 ulp


def _array_erf(x: Any) -> Any:
    return np.asarray(_ERF_UFUNC(x), dtype=np.float64)


# The two math namespaces every elementwise op is written against (``m`` in the table), as
# plain namespaces rather than classes of static methods, which compiled code cannot read.
#: Python-float math: the fast path for 0-d values. Raising falls back to ARRAY.
SCALAR: Final = SimpleNamespace(
    exp=math.exp, log=math.log, sqrt=math.sqrt, sin=math.sin, cos=math.cos, tanh=math.tanh,
    abs=abs, pow=math.pow, sigmoid=_scalar_sigmoid, maximum=_scalar_max, minimum=_scalar_min,
    sign=_scalar_sign, step=_scalar_step, where=_scalar_where, erf=math.erf, log1p=math.log1p)
#: numpy math for tensors (and for scalars the fast path could not handle).
ARRAY: Final = SimpleNamespace(
    exp=np.exp, log=np.log, sqrt=np.sqrt, sin=np.sin, cos=np.cos, tanh=np.tanh, abs=np.abs,
    pow=np.power, sigmoid=_array_sigmoid, maximum=np.maximum, minimum=np.minimum,
    sign=_array_sign, where=np.where, step=_array_step, erf=_array_erf, log1p=np.log1p)


# --------------------------------------------------------------------------- helpers


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` down to ``shape``: the adjoint of numpy broadcasting (one helper for all)."""
    grad = np.asarray(grad)
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    kept = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if kept:
        grad = grad.sum(axis=kept, keepdims=True)
    return grad.reshape(shape)


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """Normalise an ``axis=`` argument (None, int or tuple) to a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, tuple) else (axis,)
    out = []
    for a in items:
        if not isinstance(a, int) or isinstance(a, bool):
            raise OpError("bad_value", f"axis must be an integer or a tuple of integers, got {a!r}")
        if not -ndim <= a < max(ndim, 1):
            raise OpError("shape_mismatch", f"axis {a} is out of range for a {ndim}-d tensor", "axis",
                          axis=a, ndim=ndim)
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def _expand(g: Any, x_shape: tuple[int, ...], axis: Any, keepdims: bool) -> Any:
    """Broadcast the gradient of a reduction back over the reduced axes."""
    g = np.asarray(g)
    if not keepdims and len(x_shape):
        g = np.expand_dims(g, _axes(axis, len(x_shape)))
    return np.broadcast_to(g, x_shape)


def check_elements(shape: tuple[int, ...]) -> None:
    """Refuse, before allocating, a result larger than max_tensor_elements."""
    size = math.prod(shape)
    if size > LIMITS.max_tensor_elements:
        raise OpError("limit_exceeded",
                      f"the result would have {size} elements; the limit is "
                      f"{LIMITS.max_tensor_elements} (set {env_name('max_tensor_elements')})")


# --------------------------------------------------------------------------- the table


NO_KWARGS: Final[Mapping[str, Any]] = MappingProxyType({})
#: The kinds of non-differentiable point an op may have (``Op.kink``).
KINKS: Final = ("", "zero", "tie", "extreme", "slope", "window")
NO_TORCH: Final = Torch("")  # refused at registration: every op says how torch writes it
Fn = Callable[..., Any]


@dataclass(frozen=True)
class Op:
    """One operation: forward, derivative (local or VJP) per argument, and its formulas."""

    name: str
    arity: int
    forward: Fn
    formula: str  # templates: see chainrule.engine.formulas
    local_formulas: tuple[str, ...]
    description: str
    local: tuple[Fn, ...] | None = None  # elementwise: d(result)/d(argument k), per k
    vjp: tuple[Fn, ...] | None = None  # otherwise: the vector-Jacobian product, per argument
    symbol: str | None = None  # the infix operator (+ - * / ** @), if any
    callable: bool = True  # whether the text may call it by name
    kwargs: Mapping[str, Any] = field(default_factory=lambda: NO_KWARGS)  # keyword args, defaults
    # Keyword arguments that may also follow the tensors positionally, in order, as literals:
    # reshape(x, (2, -1)), leaky_relu(x, 0.01).
    positional: tuple[str, ...] = ()
    # Ops whose node needs an Op of its own: ``variant(count, kwargs)`` gives the Op for a call
    # with ``count`` tensors (concat's tuple) and these keyword arguments (an index's key, shown
    # in its formula). The registered Op describes the function in the table.
    variant: Fn | None = None
    tensor_tuple: bool = False  # the tensors come as one tuple: concat((a, b), axis=0)
    torch: Torch = NO_TORCH  # how PyTorch writes it (chainrule.engine.spelling)
    kink: str = ""  # "", "zero", "tie" or "extreme": where it is not differentiable
    saturates: bool = False  # a squashing op: its slope vanishes far from 0
    restricted_domain: bool = False  # a pole or a domain edge (log, sqrt, division)
    # The templates compiled once (chainrule.engine.formulas): labelling a graph fills them per node.
    formula_pieces: Pieces = field(init=False, repr=False, compare=False)
    local_formula_pieces: tuple[Pieces, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "formula_pieces", compile_template(self.formula, self.arity))
        object.__setattr__(self, "local_formula_pieces",
                           tuple(compile_template(f, self.arity) for f in self.local_formulas))

    @property
    def elementwise(self) -> bool:
        return self.local is not None

    def describe(self) -> dict[str, Any]:
        """The op as ``GET /api/ops`` shows it."""
        args = [f"a{i}" for i in range(self.arity)]
        return {
            "name": self.name,
            "symbol": self.symbol,
            "arity": self.arity,
            "callable": self.callable,
            "keyword_args": dict(self.kwargs),
            "elementwise": self.elementwise,
            "formula": fill_formula(self.formula, args),
            "local_formulas": [fill_formula(f, args) for f in self.local_formulas],
            "description": self.description,
        }


OPS: dict[str, Op] = {}
OPERATORS: dict[str, Op] = {}  # binary operator symbol -> op


def _register(op: Op) -> Op:
    assert op.name not in OPS, op.name
    assert len(op.local or op.vjp or ()) == op.arity == len(op.local_formulas), op.name
    assert op.kink in KINKS, op.name
    op.torch.check(op.arity, tuple(op.kwargs))
    OPS[op.name] = op
    if op.symbol and op.arity == 2:
        OPERATORS[op.symbol] = op
    return op


def elementwise(name: str, *, forward: Fn, local: tuple[Fn, ...], formula: str,
                local_formulas: tuple[str, ...], description: str, torch: Torch,
                symbol: str | None = None, callable: bool = True, kink: str = "",
                saturates: bool = False, restricted_domain: bool = False) -> Op:
    """Register an elementwise op: ``forward(m, *args)`` and ``local[k](m, ans, *args)``, the
    derivative of the result by argument k, both written against a math namespace ``m``."""
    return _register(Op(name=name, arity=len(local), forward=forward, formula=formula,
                        local_formulas=local_formulas, description=description, local=local,
                        symbol=symbol, callable=callable, torch=torch, kink=kink,
                        saturates=saturates, restricted_domain=restricted_domain))


def tensor_op(name: str, *, forward: Fn, vjp: tuple[Fn, ...], formula: str,
              local_formulas: tuple[str, ...], description: str, torch: Torch,
              symbol: str | None = None, kwargs: Mapping[str, Any] = NO_KWARGS,
              kink: str = "", positional: tuple[str, ...] = (), callable: bool = True,
              variant: Fn | None = None, tensor_tuple: bool = False, register: bool = True) -> Op:
    """Register a whole-tensor op: ``forward(m, *args, **kwargs)`` and ``vjp[k](g, ans,
    *args, **kwargs)``, the gradient of argument k given the result's gradient ``g``.
    ``register=False`` builds the Op of one call of a variant without registering it."""
    op = Op(name=name, arity=len(vjp), forward=forward, formula=formula,
            local_formulas=local_formulas, description=description, vjp=vjp, symbol=symbol,
            kwargs=MappingProxyType(dict(kwargs)), torch=torch, kink=kink, positional=positional,
            callable=callable, variant=variant, tensor_tuple=tensor_tuple)
    return _register(op) if register else op


# Elementwise arithmetic (operators). Kept as their own primitives, not derived
# (a - b is not a + (-b)) so that the graph a student sees matches what they typed.
elementwise("add", forward=lambda m, a, b: a + b,
            torch=Torch("{0} + {1}"),
            local=(lambda m, y, a, b: 1.0, lambda m, y, a, b: 1.0),
            formula="{p0} + {p1}", local_formulas=("1", "1"), description="sum",
            symbol="+", callable=False)
elementwise("sub", forward=lambda m, a, b: a - b,
            torch=Torch("{0} - {1}"),
            local=(lambda m, y, a, b: 1.0, lambda m, y, a, b: -1.0),
            formula="{p0} - {p1}", local_formulas=("1", "-1"), description="difference",
            symbol="-", callable=False)
elementwise("mul", forward=lambda m, a, b: a * b,
            torch=Torch("{0} * {1}"),
            local=(lambda m, y, a, b: b, lambda m, y, a, b: a),
            formula="{p0} * {p1}", local_formulas=("{1}", "{0}"), description="product",
            symbol="*", callable=False)
elementwise("div", forward=lambda m, a, b: a / b,
            torch=Torch("{0} / {1}"), restricted_domain=True,
            local=(lambda m, y, a, b: 1.0 / b, lambda m, y, a, b: -a / (b * b)),
            formula="{p0} / {p1}", local_formulas=("1/{p1}", "-{p0}/{p1}^2"),
            description="quotient", symbol="/", callable=False)


def _pow_local_base(m: Any, y: Any, a: Any, b: Any) -> Any:
    # torch: b * a**(b-1), defined as 0 where b == 0 (so 0**0, inf**0, NaN**0 have slope 0)
    return m.where(b == 0, 0.0, b * m.pow(a, b - 1.0))


def _pow_local_exponent(m: Any, y: Any, a: Any, b: Any) -> Any:
    # torch: a**b * log(a), defined as 0 where a == 0 and b >= 0; NaN for a < 0. Where a == 0
    # and b < 0, a**b is infinite and torch's inf * log(0) is -a**b, written so (no log(0))
    return m.where(a == 0, m.where(b >= 0, 0.0, -y), y * m.log(m.where(a == 0, 1.0, a)))


elementwise("pow", forward=lambda m, a, b: m.pow(a, b),
            torch=Torch("{0} ** {1}"),
            local=(_pow_local_base, _pow_local_exponent),
            formula="{p0}^{p1}", local_formulas=("{p1}·{p0}^({p1} - 1)", "{p0}^{p1}·ln({p0})"),
            description="power", symbol="**", callable=False)
elementwise("neg", forward=lambda m, a: -a, local=(lambda m, y, a: -1.0,),
            torch=Torch("-{0}"),
            formula="-{p0}", local_formulas=("-1",), description="negation", callable=False)

# Elementwise functions. PyTorch's conventions at kinks: d|x|/dx = 0 and d relu/dx = 0 at 0.
elementwise("relu", forward=lambda m, x: m.maximum(x, 0.0), local=(lambda m, y, x: m.step(x),),
            torch=Torch("torch.relu({0})"), kink="zero",
            formula="relu({0})", local_formulas=("[{0} > 0]",),
            description="rectified linear unit max(x, 0)")
elementwise("sigmoid", forward=lambda m, x: m.sigmoid(x), local=(lambda m, y, x: y * (1.0 - y),),
            torch=Torch("torch.sigmoid({0})"), saturates=True,
            formula="sigmoid({0})", local_formulas=("sigmoid({0})·(1 - sigmoid({0}))",),
            description="logistic 1/(1+e^-x)")
elementwise("tanh", forward=lambda m, x: m.tanh(x), local=(lambda m, y, x: 1.0 - y * y,),
            torch=Torch("torch.tanh({0})"), saturates=True,
            formula="tanh({0})", local_formulas=("1 - tanh({0})^2",), description="hyperbolic tangent")
elementwise("exp", forward=lambda m, x: m.exp(x), local=(lambda m, y, x: y,),
            torch=Torch("torch.exp({0})"),
            formula="exp({0})", local_formulas=("exp({0})",), description="exponential")
elementwise("log", forward=lambda m, x: m.log(x), local=(lambda m, y, x: 1.0 / x,),
            torch=Torch("torch.log({0})"), restricted_domain=True,
            formula="log({0})", local_formulas=("1/{p0}",), description="natural logarithm")
elementwise("sqrt", forward=lambda m, x: m.sqrt(x), local=(lambda m, y, x: 0.5 / y,),
            torch=Torch("torch.sqrt({0})"), restricted_domain=True,
            formula="sqrt({0})", local_formulas=("1/(2·sqrt({0}))",), description="square root")
elementwise("abs", forward=lambda m, x: m.abs(x), local=(lambda m, y, x: m.sign(x),),
            torch=Torch("torch.abs({0})"), kink="zero",
            formula="abs({0})", local_formulas=("sign({0})",), description="absolute value")
elementwise("sin", forward=lambda m, x: m.sin(x), local=(lambda m, y, x: m.cos(x),),
            torch=Torch("torch.sin({0})"),
            formula="sin({0})", local_formulas=("cos({0})",), description="sine")
elementwise("cos", forward=lambda m, x: m.cos(x), local=(lambda m, y, x: -m.sin(x),),
            torch=Torch("torch.cos({0})"),
            formula="cos({0})", local_formulas=("-sin({0})",), description="cosine")
elementwise("square", forward=lambda m, x: x * x, local=(lambda m, y, x: 2.0 * x,),
            torch=Torch("torch.square({0})"),
            formula="{p0}^2", local_formulas=("2·{p0}",), description="square")


def _tie_local(m: Any, a: Any, b: Any, loses: Any) -> Any:
    # torch.maximum/minimum: the gradient is split in half between tied arguments, and kept
    # by an argument unless it loses (so both keep it beside a NaN, as in torch)
    return m.where(a == b, 0.5, m.where(loses, 0.0, 1.0))


elementwise("maximum", forward=lambda m, a, b: m.maximum(a, b),
            torch=Torch("torch.maximum({0}, {1})"), kink="tie",
            local=(lambda m, y, a, b: _tie_local(m, a, b, a < b),
                   lambda m, y, a, b: _tie_local(m, b, a, b < a)),
            formula="maximum({0}, {1})",
            local_formulas=("[{0} > {1}] (½ at a tie)", "[{1} > {0}] (½ at a tie)"),
            description="elementwise maximum")
elementwise("minimum", forward=lambda m, a, b: m.minimum(a, b),
            torch=Torch("torch.minimum({0}, {1})"), kink="tie",
            local=(lambda m, y, a, b: _tie_local(m, a, b, a > b),
                   lambda m, y, a, b: _tie_local(m, b, a, b > a)),
            formula="minimum({0}, {1})",
            local_formulas=("[{0} < {1}] (½ at a tie)", "[{1} < {0}] (½ at a tie)"),
            description="elementwise minimum")


# --------------------------------------------------------------------------- linear algebra


def _matmul(m: Any, a: Any, b: Any) -> Any:
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        raise OpError("shape_mismatch", "matmul needs tensors of at least 1 dimension, got a scalar",
                      "matmul_scalar")
    a, b = np.asarray(a), np.asarray(b)
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise OpError("shape_mismatch",
                      f"inner dimensions differ: {list(a.shape)} @ {list(b.shape)}", "matmul_inner")
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise OpError("shape_mismatch",
                      f"batch dimensions differ: {list(a.shape)} @ {list(b.shape)}") from None
    check_elements(batch + a.shape[-2:-1] + b.shape[-1:] if b.ndim > 1 else batch + a.shape[-2:-1])
    return np.matmul(a, b)


def _dot(m: Any, a: Any, b: Any) -> Any:
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        raise OpError("shape_mismatch", "dot takes tensors of at most 2 dimensions; use matmul (@)")
    return _matmul(m, a, b)


def _promoted(a: Any, b: Any, g: Any) -> tuple[Any, Any, Any]:
    """Promote 1-d matmul operands to 2-d (as numpy does), and the gradient to match."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if b.ndim == 1:
        b, g = b[:, None], g[..., None]
    if a.ndim == 1:
        a, g = a[None, :], np.expand_dims(g, -2)
    return a, b, g


def _matmul_vjp_a(g: Any, y: Any, a: Any, b: Any) -> Any:
    a2, b2, g2 = _promoted(a, b, g)
    return unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(np.shape(a))


def _matmul_vjp_b(g: Any, y: Any, a: Any, b: Any) -> Any:
    a2, b2, g2 = _promoted(a, b, g)
    return unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(np.shape(b))


tensor_op("matmul", forward=_matmul, vjp=(_matmul_vjp_a, _matmul_vjp_b),
          torch=Torch("{0} @ {1}"),
          formula="{p0} @ {p1}", local_formulas=("{p1}^T", "{p0}^T"),
          description="matrix product (@)", symbol="@")
tensor_op("dot", forward=_dot, vjp=(_matmul_vjp_a, _matmul_vjp_b),
          torch=Torch("torch.matmul({0}, {1})"),
          formula="dot({0}, {1})", local_formulas=("{p1}^T", "{p0}^T"),
          description="dot product of vectors or matrices")


def _transpose(m: Any, x: Any, axes: Any = None) -> Any:
    if axes is not None and (not isinstance(axes, tuple) or sorted(axes) != list(range(np.ndim(x)))):
        raise OpError("bad_value", f"axes must be a permutation of 0..{np.ndim(x) - 1}, got {axes!r}")
    return np.transpose(x, axes)


tensor_op("transpose", forward=_transpose,
          torch=Torch("{0}.permute({order})"),
          vjp=(lambda g, y, x, axes=None: np.transpose(g, None if axes is None
                                                       else tuple(np.argsort(axes))),),
          formula="{p0}^T", local_formulas=("transpose back",), description="transpose (x.T)",
          kwargs={"axes": None}, positional=("axes",))


# --------------------------------------------------------------------------- reductions

_REDUCE_KW: Final[Mapping[str, Any]] = MappingProxyType({"axis": None, "keepdims": False})


def _count(x: Any, axis: Any) -> int:
    shape = np.shape(x)
    return int(np.prod([shape[a] for a in _axes(axis, len(shape))], dtype=np.int64))


def _reduce(fn: Callable[..., Any]) -> Callable[..., Any]:
    def forward(m: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        axes = _axes(axis, np.ndim(x))
        if np.size(x) == 0:
            raise OpError("shape_mismatch", "cannot reduce an empty tensor")
        return fn(x, axis=axes, keepdims=bool(keepdims))
    return forward


def _extreme_vjp(g: Any, y: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    # torch.amax / full torch.max(): the gradient is split evenly between tied extremes.
    shape = np.shape(x)
    hits = (np.asarray(x) == _expand(y, shape, axis, keepdims)).astype(np.float64)
    counts = hits.sum(axis=_axes(axis, len(shape)), keepdims=True)
    return hits / counts * _expand(g, shape, axis, keepdims)


tensor_op("sum", forward=_reduce(np.sum),
          torch=Torch("torch.sum({0}, dim={dim}, keepdim={keepdim})"),
          vjp=(lambda g, y, x, axis=None, keepdims=False:
               np.array(_expand(g, np.shape(x), axis, keepdims)),),
          formula="sum({0})", local_formulas=("1 (broadcast back)",),
          description="sum of elements", kwargs=_REDUCE_KW)
tensor_op("mean", forward=_reduce(np.mean),
          torch=Torch("torch.mean({0}, dim={dim}, keepdim={keepdim})"),
          vjp=(lambda g, y, x, axis=None, keepdims=False:
               _expand(g, np.shape(x), axis, keepdims) / _count(x, axis),),
          formula="mean({0})", local_formulas=("1/N (broadcast back)",),
          description="mean of elements", kwargs=_REDUCE_KW)
tensor_op("max", forward=_reduce(np.max), vjp=(_extreme_vjp,),
          torch=Torch("torch.amax({0}, dim={dim}, keepdim={keepdim})"), kink="extreme",
          formula="max({0})", local_formulas=("[x = max] (split at ties)",),
          description="largest element", kwargs=_REDUCE_KW)
tensor_op("min", forward=_reduce(np.min), vjp=(_extreme_vjp,),
          torch=Torch("torch.amin({0}, dim={dim}, keepdim={keepdim})"), kink="extreme",
          formula="min({0})", local_formulas=("[x = min] (split at ties)",),
          description="smallest element", kwargs=_REDUCE_KW)


def _logsumexp(m: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    axes = _axes(axis, np.ndim(x))
    if np.size(x) == 0:
        raise OpError("shape_mismatch", "cannot reduce an empty tensor")
    peak = np.max(x, axis=axes, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    out = np.log(np.sum(np.exp(x - peak), axis=axes, keepdims=True)) + peak
    return out if keepdims else np.squeeze(out, axis=axes)


def _softmax(m: Any, x: Any, axis: Any = -1) -> Any:
    axes = _axes(axis, np.ndim(x))
    z = np.exp(x - np.max(x, axis=axes, keepdims=True))
    return z / np.sum(z, axis=axes, keepdims=True)


def _log_softmax(m: Any, x: Any, axis: Any = -1) -> Any:
    return x - _logsumexp(m, x, axis=axis, keepdims=True)


tensor_op("logsumexp", forward=_logsumexp,
          torch=Torch("torch.logsumexp({0}, dim={dims}, keepdim={keepdim})"),
          vjp=(lambda g, y, x, axis=None, keepdims=False:
               _expand(g, np.shape(x), axis, keepdims)
               * np.exp(x - _expand(y, np.shape(x), axis, keepdims)),),
          formula="logsumexp({0})", local_formulas=("softmax({0})",),
          description="log of the sum of exponentials (stable)", kwargs=_REDUCE_KW)
tensor_op("softmax", forward=_softmax,
          torch=Torch("torch.softmax({0}, dim={dims})",
                several_axes="torch.exp({0} - torch.logsumexp({0}, dim={dims}, keepdim=True))"),
          vjp=(lambda g, y, x, axis=-1:
               y * (g - np.sum(g * y, axis=_axes(axis, np.ndim(x)), keepdims=True)),),
          formula="softmax({0})", local_formulas=("diag(s) - s·s^T",),
          description="normalised exponentials along an axis (default the last)",
          kwargs={"axis": -1})
tensor_op("log_softmax", forward=_log_softmax,
          torch=Torch("torch.log_softmax({0}, dim={dims})",
                several_axes="{0} - torch.logsumexp({0}, dim={dims}, keepdim=True)"),
          vjp=(lambda g, y, x, axis=-1:
               g - np.exp(y) * np.sum(g, axis=_axes(axis, np.ndim(x)), keepdims=True),),
          formula="log_softmax({0})", local_formulas=("I - softmax({0})",),
          description="log of softmax along an axis (default the last)", kwargs={"axis": -1})


# --------------------------------------------------------------------------- losses


def _mse(m: Any, pred: Any, target: Any) -> Any:
    check_elements(np.broadcast_shapes(np.shape(pred), np.shape(target)))
    return np.mean(np.square(np.subtract(pred, target)))


def _mse_vjp(sign: float) -> Callable[..., Any]:
    def vjp(g: Any, y: Any, pred: Any, target: Any) -> Any:
        diff = np.subtract(pred, target)
        grad = sign * 2.0 * g * diff / max(diff.size, 1)
        return unbroadcast(grad, np.shape(pred if sign > 0 else target))
    return vjp


tensor_op("mse", forward=_mse, vjp=(_mse_vjp(1.0), _mse_vjp(-1.0)),
          torch=Torch("torch.mean(torch.square({0} - {1}))"),
          formula="mse({0}, {1})", local_formulas=("2·({p0} - {p1})/N", "-2·({p0} - {p1})/N"),
          description="mean squared error mean((pred - target)^2)")


def _ce_parts(logits: Any, target: Any) -> tuple[Any, Any, int]:
    """(log-probabilities, the target class of each example or None for probabilities,
    examples). Class-index targets never build a one-hot matrix: the loss picks
    log-probabilities at :func:`_at_targets` and the gradient subtracts 1 there."""
    logits, target = np.asarray(logits, dtype=np.float64), np.asarray(target, dtype=np.float64)
    if logits.ndim == 0:
        raise OpError("shape_mismatch", "cross_entropy needs logits with a class axis (last axis)")
    # log_softmax over the last axis with array methods: this runs on every training step,
    # where numpy's function wrappers cost more than the arithmetic on a small batch
    peak = logits.max(axis=-1, keepdims=True)
    if not np.isfinite(peak).all():
        peak = np.where(np.isfinite(peak), peak, 0.0)
    shifted = logits - peak
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    n = max(int(np.prod(logits.shape[:-1])), 1)
    if target.shape == logits.shape:
        return logp, None, n
    if target.shape == logits.shape[:-1]:
        classes = logits.shape[-1]
        if not ((target >= 0) & (target < classes) & (target == np.floor(target))).all():
            raise OpError("bad_value", f"class indices must be integers in 0..{classes - 1}")
        return logp, target.astype(np.intp), n
    raise OpError("shape_mismatch",
                  f"target shape {list(target.shape)} fits neither logits "
                  f"{list(logits.shape)} (probabilities) nor {list(logits.shape[:-1])} (class indices)")


def _at_targets(classes: Any) -> tuple[Any, ...]:
    """The index of each example's target class in an array shaped like the logits.

    An index into the array itself, never into a ``reshape(-1)`` of it: reshaping a
    non-contiguous array (a transpose, some matmul results) makes a copy, and a write into
    the copy is lost."""
    return (*np.indices(classes.shape, sparse=True), classes)


def _cross_entropy(m: Any, logits: Any, target: Any) -> Any:
    logp, classes, n = _ce_parts(logits, target)
    if classes is not None:
        return -logp[_at_targets(classes)].sum() / n
    # torch's sum(target * log_softmax), except that a 0 target drops its term (not 0 * -inf)
    return -np.sum(target * np.where(target != 0, logp, 0.0)) / n


def _ce_vjp_logits(g: Any, y: Any, logits: Any, target: Any) -> Any:
    logp, classes, n = _ce_parts(logits, target)
    grad = np.exp(logp)  # softmax
    if classes is not None:
        grad[_at_targets(classes)] -= 1.0
    else:
        grad = grad * np.sum(target, axis=-1, keepdims=True) - target
    return grad * (g / n)


def _ce_vjp_target(g: Any, y: Any, logits: Any, target: Any) -> Any:
    if np.shape(target) != np.shape(logits):
        return np.zeros(np.shape(target))  # class indices are not differentiable
    logp, _, n = _ce_parts(logits, target)
    return -g * logp / n


tensor_op("cross_entropy", forward=_cross_entropy, vjp=(_ce_vjp_logits, _ce_vjp_target),
          torch=Torch("F.cross_entropy({0}, {1})", targets=1),
          formula="cross_entropy({0}, {1})",
          local_formulas=("(softmax({0}) - {1})/N", "-log_softmax({0})/N (0 for class indices)"),
          description="mean softmax cross-entropy; target: class indices or probabilities")


__all__ = ["ARRAY", "OPERATORS", "OPS", "SCALAR", "Op", "OpError", "elementwise", "tensor_op",
           "unbroadcast"]
