"""Random chainrule programs with a PyTorch twin: the differential tests' generator.

One expression tree is built once and rendered twice: as chainrule text (statements,
operators with Python's precedence, calls with keyword arguments, comments, ``;`` or
newlines, line continuations...) and as a float64 torch computation. Every documented form
of the grammar (docs/api.md, "Expressions") has a generator here; ``GENERATORS``
is keyed by the op names of ``chainrule.engine.ops.OPS`` and a test fails when an op has none.

Inputs are kept away from kinks and poles, so any mismatch with torch is a bug: the
arguments of ``abs``/``relu`` are at least ``KINK_MARGIN`` from 0, those of ``maximum``/
``minimum`` and the extremes of ``max``/``min`` reductions are not tied, ``log``/``sqrt``/
a power's base are positive, a divisor is away from 0, and every intermediate value is
bounded. Each op node is drawn, evaluated with torch, and drawn again when it breaks a
rule (falling back to a fresh input, which always obeys it).

Typical use::

    rng = np.random.default_rng(seed)
    case = random_case(rng)                  # Case(expression, values, output, ...)
    problem = compare_with_torch(case)       # None, or what differs
    if problem:
        print(reproduction(shrink(case)))   # a minimal failing program, ready to paste

``case.torch_output(tensors)`` computes the program's output from a dict of input tensors
(for exports to PyTorch); :func:`torch_reference` gives the loss and every input's gradient.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from chainrule.engine.ops import OPS
from chainrule.export.pytorch import torch_source

Shape = tuple[int, ...]
Rng = np.random.Generator

KINK_MARGIN = 1e-3  # |x| for abs/relu, |a - b| for maximum/minimum, the gap to a tied extreme
POSITIVE_FLOOR = 0.05  # log, sqrt, the base of a power, |divisor|
VALUE_BOUND = 1e3  # every intermediate value stays within +-VALUE_BOUND
EXP_CEILING = 6.0  # exp's argument
RTOL = 1e-6
ATOL_SCALE = 1e-9  # absolute tolerance = ATOL_SCALE * max(1, largest magnitude compared)

# Python's precedence levels, lowest first (what needs parentheses where).
SUM, PRODUCT, UNARY, POWER, PRIMARY = 1, 2, 3, 4, 5

#: Input names: plain, with digits and underscores, capitals, non-ASCII, and names that are
#: also function names or the transpose attribute (a name is a call only before '(').
NAMES = ("x", "w", "b", "y", "W1", "b_2", "h", "α", "z_in", "T", "exp", "sum", "_k", "e")
LABEL_NAMES = ("labels", "t", "cls")
STATEMENT_NAMES = ("h", "z", "a1", "out", "y_hat", "s", "u", "loss")


# --------------------------------------------------------------------------- the tree


@dataclass(eq=False)
class Expr:
    """A node of the program tree: an input, a constant, a reference to an earlier
    statement, or an op (a name in ``OPS``, or ``"pos"`` for unary plus) over ``args``."""

    kind: str  # "input" | "const" | "ref" | "op"
    value: torch.Tensor  # float64, computed while the tree is drawn
    name: str = ""  # input / ref name, or the op name
    text: str = ""  # a constant's source text
    args: tuple[Expr, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    style: str = ""  # how an op is written: "operator", "call", ".T", ...
    statement: int = -1  # for a ref: the statement it names

    @property
    def shape(self) -> Shape:
        return tuple(self.value.shape)


@dataclass
class Statement:
    name: str | None  # None: a lone expression
    expr: Expr


@dataclass
class Case:
    """A random program: chainrule text and values, with everything needed to run it in torch."""

    expression: str
    values: dict[str, Any]  # JSON-ready: floats and nested lists
    output: str | None  # the ``output`` request field (None: the default output)
    statements: list[Statement]
    inputs: dict[str, torch.Tensor]
    class_inputs: frozenset[str]  # class-index inputs: not differentiable
    output_statement: int
    seed: int | None = None

    def torch_output(self, tensors: dict[str, torch.Tensor]) -> torch.Tensor:
        """The program's output computed by torch from ``tensors`` (one per input name)."""
        done: list[torch.Tensor] = []
        for st in self.statements:
            done.append(evaluate(st.expr, tensors, done))
            if len(done) > self.output_statement:
                break
        return done[self.output_statement]

    @property
    def ops(self) -> set[str]:
        """Every op the program uses."""
        found: set[str] = set()
        for st in self.statements:
            for node in walk(st.expr):
                if node.kind == "op":
                    found.add(node.name)
        return found


def walk(e: Expr) -> list[Expr]:
    """Every node of the tree under ``e`` (``e`` first)."""
    out, todo = [], [e]
    while todo:
        node = todo.pop()
        out.append(node)
        todo.extend(node.args)
    return out


# --------------------------------------------------------------------------- torch twins


def _dims(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    return tuple(sorted(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,))))


def _reduce(fn: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    def run(x: torch.Tensor, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
        if x.ndim == 0:
            return x * 1.0
        return fn(x, dim=_dims(axis, x.ndim), keepdim=keepdims)
    return run


def _softmax_like(log: bool) -> Callable[..., torch.Tensor]:
    def run(x: torch.Tensor, axis: Any = -1) -> torch.Tensor:
        shifted = x - torch.logsumexp(x, dim=_dims(axis, x.ndim), keepdim=True)
        return shifted if log else torch.exp(shifted)
    return run


def _transpose(x: torch.Tensor, axes: Any = None) -> torch.Tensor:
    return x.permute(*(range(x.ndim - 1, -1, -1) if axes is None else axes))


def _cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    logp = torch.log_softmax(logits, dim=-1)
    n = max(math.prod(logits.shape[:-1]), 1)
    if target.shape == logits.shape:
        return -(target * logp).sum() / n
    picked = logp.gather(-1, target.to(torch.int64).unsqueeze(-1))
    return -picked.sum() / n


def _pow(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.pow(a, b)


def _torch_layer_norm(x: torch.Tensor, axis: Any = -1, eps: float = 1e-5) -> torch.Tensor:
    start = min(_dims(axis, x.ndim))  # the generator normalises trailing axes only
    return F.layer_norm(x, x.shape[start:], eps=eps)


def _torch_batch_norm(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    return F.batch_norm(x, None, None, training=True, eps=eps)


def _torch_var(x: torch.Tensor, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    return torch.var(x, dim=_dims(axis, x.ndim), correction=0, keepdim=keepdims)


def _torch_std(x: torch.Tensor, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    return torch.std(x, dim=_dims(axis, x.ndim), correction=0, keepdim=keepdims)


def _torch_flatten(x: torch.Tensor, start_axis: int = 0, end_axis: int = -1) -> torch.Tensor:
    return torch.flatten(x, start_axis, end_axis)


def _torch_pool(fn: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    def run(x: torch.Tensor, kernel_size: int, stride: int | None = None) -> torch.Tensor:
        return fn(x, kernel_size, stride)
    return run


#: Each op's torch float64 computation, by chainrule op name.
TORCH: dict[str, Callable[..., torch.Tensor]] = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": _pow,
    "neg": torch.neg, "pos": lambda x: x,
    "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "exp": torch.exp,
    "log": torch.log, "sqrt": torch.sqrt, "abs": torch.abs, "sin": torch.sin, "cos": torch.cos,
    "square": torch.square, "maximum": torch.maximum, "minimum": torch.minimum,
    "matmul": torch.matmul, "dot": torch.matmul, "transpose": _transpose,
    "sum": _reduce(torch.sum), "mean": _reduce(torch.mean), "max": _reduce(torch.amax),
    "min": _reduce(torch.amin), "logsumexp": _reduce(torch.logsumexp),
    "softmax": _softmax_like(False), "log_softmax": _softmax_like(True),
    "mse": lambda p, t: torch.mean(torch.square(p - t)), "cross_entropy": _cross_entropy,
    "reshape": lambda x, shape: x.reshape(shape), "flatten": _torch_flatten,
    "index": lambda x, key: x[key],
    "concat": lambda *xs, axis=0: torch.cat(xs, dim=axis),
    "stack": lambda *xs, axis=0: torch.stack(xs, dim=axis),
    "where": lambda c, a, b: torch.where(c != 0, a, b),
    "gelu": F.gelu, "softplus": F.softplus,
    "leaky_relu": lambda x, negative_slope=0.01: F.leaky_relu(x, negative_slope),
    "var": _torch_var, "std": _torch_std,
    "layer_norm": _torch_layer_norm, "batch_norm": _torch_batch_norm,
    "embedding": lambda table, idx: F.embedding(idx.to(torch.int64), table),
    "conv2d": lambda x, w, stride=1, padding=0: F.conv2d(x, w, stride=stride, padding=padding),
    "max_pool2d": _torch_pool(F.max_pool2d), "avg_pool2d": _torch_pool(F.avg_pool2d),
}


def _spelled_twin(name: str) -> Callable[..., torch.Tensor]:
    """The torch twin of an op without a hand-written one (and without keyword arguments):
    its spelling in the op table (``Op.torch``), as the PyTorch export writes it, over tensors."""
    names = [f"a{k}" for k in range(OPS[name].arity)]
    source = f"lambda {', '.join(names)}: {torch_source(OPS[name], names)}"
    twin: Callable[..., torch.Tensor] = eval(  # our own table's text, not a user's
        compile(source, f"<torch twin of {name}>", "eval"), {"torch": torch, "F": torch.nn.functional})
    return twin


TORCH.update({name: _spelled_twin(name) for name, op in OPS.items()
              if name not in TORCH and not op.kwargs})


def evaluate(e: Expr, tensors: dict[str, torch.Tensor], done: Sequence[torch.Tensor]) -> torch.Tensor:
    """``e`` in torch: inputs from ``tensors``, references from the statements ``done``."""
    if e.kind == "input":
        return tensors[e.name]
    if e.kind == "const":
        return torch.tensor(float(e.text), dtype=torch.float64)
    if e.kind == "ref":
        return done[e.statement]
    return TORCH[e.name](*(evaluate(a, tensors, done) for a in e.args), **e.kwargs)


# --------------------------------------------------------------------------- rendering


def _number_text(value: float, rng: Rng) -> str:
    """A non-negative number in one of Python's spellings (2, 2., 0.5, .5, 5e-1, 2.5E0)."""
    forms = [repr(value)]
    if value == int(value):
        forms += [str(int(value)), f"{int(value)}.", f"{value:g}e0"]
    elif 0 < value < 1:
        forms.append(repr(value)[1:])  # .5
    forms.append(f"{value * 10:g}e-1")
    return forms[rng.integers(len(forms))]


#: Keyword arguments that may be written positionally after the tensors (the op table's
#: ``positional``; written out here so that the generator tests the parser against it).
POSITIONAL: dict[str, tuple[str, ...]] = {
    "transpose": ("axes",), "reshape": ("shape",), "flatten": ("start_axis", "end_axis"),
    "leaky_relu": ("negative_slope",), "concat": ("axis",), "stack": ("axis",),
    "max_pool2d": ("kernel_size", "stride"), "avg_pool2d": ("kernel_size", "stride"),
}


def _key_text(key: tuple[Any, ...], rng: Rng) -> str:
    """An index key as written between brackets, with Python's optional parts varied."""
    def one(item: Any) -> str:
        if isinstance(item, int):
            return str(item)
        start = "" if item.start is None else str(item.start)
        stop = "" if item.stop is None else str(item.stop)
        if item.step is None:
            return f"{start}:{stop}" + (":" if rng.random() < 0.1 else "")
        return f"{start}:{stop}:{item.step}"
    text = ", ".join(one(item) for item in key)
    return text + ("," if rng.random() < 0.05 else "")


def _axis_text(axis: Any, ndim: int, rng: Rng) -> str:
    def one(a: int) -> str:
        return str(a - ndim) if rng.random() < 0.4 else str(a)  # the same axis, negative
    if axis is None:
        return "None"
    if isinstance(axis, tuple):
        if len(axis) == 1 and rng.random() < 0.5:
            return f"({one(axis[0])},)"
        return "(" + ", ".join(one(a) for a in axis) + ")"
    return one(axis)


class Renderer:
    """Chainrule text for a tree, with minimal or redundant parentheses and varied spacing."""

    def __init__(self, rng: Rng) -> None:
        self.rng = rng

    def render(self, e: Expr) -> str:
        text, _ = self._render(e)
        return text

    def _wrap(self, part: tuple[str, int], needed: int) -> str:
        text, prec = part
        if prec < needed or (prec < PRIMARY and self.rng.random() < 0.05):
            return f"({text})"
        return text

    def _space(self) -> str:
        return " " if self.rng.random() < 0.85 else ""

    def _render(self, e: Expr) -> tuple[str, int]:
        if e.kind in ("input", "ref"):
            return e.name, PRIMARY
        if e.kind == "const":
            return (e.text, UNARY) if e.text.startswith("-") else (e.text, PRIMARY)
        name, args = e.name, [self._render(a) for a in e.args]
        binary = {"add": ("+", SUM), "sub": ("-", SUM), "mul": ("*", PRODUCT),
                  "div": ("/", PRODUCT), "matmul": ("@", PRODUCT)}
        if name in binary and (name != "matmul" or e.style == "operator"):
            symbol, prec = binary[name]
            sp = self._space()
            return f"{self._wrap(args[0], prec)}{sp}{symbol}{sp}{self._wrap(args[1], prec + 1)}", prec
        if name == "pow":
            sp = self._space()
            return f"{self._wrap(args[0], PRIMARY)}{sp}**{sp}{self._wrap(args[1], UNARY)}", POWER
        if name in ("neg", "pos"):
            sign = "-" if name == "neg" else "+"
            inner = self._wrap(args[0], UNARY)
            if inner[:1] in "+-":  # "--x" is fine Python, "- -x" reads better
                inner = " " + inner
            return f"{sign}{inner}", UNARY
        if name == "transpose" and e.style == ".T":
            return f"{self._wrap(args[0], PRIMARY)}.T", PRIMARY
        if name == "index":
            return f"{self._wrap(args[0], PRIMARY)}[{_key_text(e.kwargs['key'], self.rng)}]", PRIMARY
        parts = [text for text, _ in args]
        if name in ("concat", "stack"):
            parts = [f"({parts[0]},)" if len(parts) == 1 else f"({', '.join(parts)})"]
        ndim = len(e.args[0].shape) + (name == "stack")
        kwargs = dict(e.kwargs)
        if e.style == "positional":  # the op's positional keyword arguments, in order
            for key in POSITIONAL.get(name, ()):
                if key not in kwargs:
                    break
                val = kwargs.pop(key)
                parts.append(_axis_text(val, ndim, self.rng) if key == "axis" else repr(val))
        for key, val in kwargs.items():
            if key == "axis":
                parts.append(f"axis={_axis_text(val, ndim, self.rng)}")
            elif key == "axes":
                parts.append(f"axes=({', '.join(map(str, val))})")
            else:
                parts.append(f"{key}={val}")
        return f"{name}({', '.join(parts)})", PRIMARY


def render_program(statements: list[Statement], rng: Rng) -> str:
    """Statements joined by newlines or ';', with the odd comment, blank line, line
    continuation or newline inside parentheses."""
    renderer = Renderer(rng)
    lines = []
    for st in statements:
        text = renderer.render(st.expr)
        if rng.random() < 0.1 and " + " in text:  # a line continuation
            text = text.replace(" + ", " + \\\n    ", 1)
        if rng.random() < 0.1 and text.endswith(")") and "(" in text:
            i = text.index("(")  # a newline inside the first parentheses
            text = text[: i + 1] + "\n    " + text[i + 1:]
        lines.append(text if st.name is None else f"{st.name} = {text}")
    out = ""
    for k, line in enumerate(lines):
        out += line
        if k == len(lines) - 1:
            break
        r = rng.random()
        if r < 0.25:
            out += "; "
        else:  # a comment only where a newline ends it
            out += ("  # a comment (x = 1)" if rng.random() < 0.15 else "") + ("\n\n" if r < 0.35 else "\n")
    if rng.random() < 0.1:
        out = "# a program\n" + out + "\n"
    return out


# --------------------------------------------------------------------------- drawing


class Reject(Exception):
    """This draw breaks a rule (a kink, a pole, an unbounded value): draw again."""


@dataclass
class Binding:
    statement: int
    name: str
    value: torch.Tensor


class Drawer:
    """Draws trees bottom-up; each op node's value is computed (torch, no grad) as it is made."""

    def __init__(self, rng: Rng, ops: frozenset[str] | None, max_depth: int) -> None:
        self.rng = rng
        self.ops = ops
        self.max_depth = max_depth
        self.infix_depth: int | None = None  # trees drawn at this depth are infix expressions
        self.inputs: dict[str, torch.Tensor] = {}
        self.class_inputs: set[str] = set()
        self.shadowed: set[str] = set()  # input names reassigned by a statement
        self.bindings: dict[str, Binding] = {}  # statement names in scope
        self.assigned: set[str] = set()  # every name a statement assigned

    # ---------------------------------------------------------------- shapes
    def shape(self, ndim: int | None = None, dims: Sequence[int] = (2, 3, 4)) -> Shape:
        if ndim is None:
            ndim = int(self.rng.choice([0, 1, 2, 3, 4], p=[0.23, 0.28, 0.27, 0.14, 0.08]))
        return tuple(int(self.rng.choice(dims)) for _ in range(ndim))

    def broadcast_pair(self, shape: Shape) -> tuple[Shape, Shape]:
        """Two shapes that broadcast to ``shape`` (a dimension of 1 on either side, a side
        with fewer dimensions)."""
        def one() -> Shape:
            drop = int(self.rng.integers(0, len(shape) + 1)) if self.rng.random() < 0.35 else 0
            s = list(shape[drop:])
            for i in range(len(s)):
                if self.rng.random() < 0.25:
                    s[i] = 1
            return tuple(s)
        a, b = one(), one()
        # the broadcast must give back ``shape``: restore one side's full dimensions
        if np.broadcast_shapes(a, b) != shape:
            a = shape if self.rng.random() < 0.5 else a
            if np.broadcast_shapes(a, b) != shape:
                b = shape
        return (a, b) if self.rng.random() < 0.5 else (b, a)

    # ---------------------------------------------------------------- leaves
    def leaf(self, shape: Shape, domain: str) -> Expr:
        rng = self.rng
        pool = [Expr("input", v, n) for n, v in self.inputs.items()
                if n not in self.shadowed and n not in self.class_inputs and tuple(v.shape) == shape]
        pool += [Expr("ref", b.value, b.name, statement=b.statement)
                 for b in self.bindings.values() if tuple(b.value.shape) == shape]
        pool = [e for e in pool if _in_domain(e.value, domain)]
        if pool and rng.random() < 0.55:
            return pool[rng.integers(len(pool))]
        if shape == () and rng.random() < 0.3:
            return self.constant(domain)
        return self.new_input(shape, domain)

    def constant(self, domain: str) -> Expr:
        rng = self.rng
        value = float(rng.choice([0.5, 1.0, 2.0, 3.0, 0.25, 1.5, 10.0, 0.1]))
        text = _number_text(value, rng)
        if domain == "any" and rng.random() < 0.3:
            value, text = -value, "-" + text
        return Expr("const", torch.tensor(float(text), dtype=torch.float64), text=text)

    def fresh_name(self, pool: Sequence[str]) -> str:
        taken = set(self.inputs) | self.assigned
        free = [n for n in pool if n not in taken]
        if free:
            return free[self.rng.integers(len(free))]
        k = 0
        while f"{pool[0]}{k}" in taken:
            k += 1
        return f"{pool[0]}{k}"

    def new_input(self, shape: Shape, domain: str) -> Expr:
        rng = self.rng
        if domain == "positive":
            raw = rng.uniform(0.2, 2.0, size=shape)
        else:
            raw = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 1.5, size=shape)
        name = self.fresh_name(NAMES)
        value = torch.tensor(raw, dtype=torch.float64)
        self.inputs[name] = value
        return Expr("input", value, name)

    def class_input(self, shape: Shape, classes: int, repeat: bool = False) -> Expr:
        """Integer class indices; ``repeat``: the last equals the first (embedding's repeated row)."""
        name = self.fresh_name(LABEL_NAMES)
        raw = self.rng.integers(0, classes, size=shape)
        if repeat and raw.size > 1:
            raw.reshape(-1)[-1] = raw.reshape(-1)[0]
        value = torch.tensor(raw, dtype=torch.float64)
        self.inputs[name] = value
        self.class_inputs.add(name)
        return Expr("input", value, name)

    # ---------------------------------------------------------------- ops
    def expr(self, shape: Shape, depth: int, domain: str = "any", root: str | None = None) -> Expr:
        """A tree whose value has ``shape`` and lies in ``domain`` ("any", "positive",
        "nonzero"); ``root``: the op at its top."""
        rng = self.rng
        if root is None and depth == self.infix_depth:
            return self.infix(shape, depth, domain)
        if root is None and (depth <= 0 or rng.random() < 0.15 + 0.1 * (self.max_depth - depth)):
            return self.leaf(shape, domain)
        for _ in range(4 if root is None else 40):
            name = root or self.pick_op(shape)
            if name is None:
                break
            try:
                e = GENERATORS[name](self, shape, depth - 1)
            except Reject:
                continue
            if e is not None and tuple(e.value.shape) == shape and _in_domain(e.value, domain):
                return e
        if root is not None:
            raise Reject(f"could not draw {root} for shape {shape}")
        return self.leaf(shape, domain)

    def infix(self, shape: Shape, depth: int, domain: str) -> Expr:
        """An operator expression (``a - b``, ``-a``, ``a ** b``...) of ``shape`` in ``domain``,
        else a leaf: what a template that writes its argument without parentheses gets wrong."""
        for _ in range(20):
            name = INFIX[self.rng.integers(len(INFIX))]
            try:
                e = GENERATORS[name](self, shape, depth - 1)
            except Reject:
                continue
            if _in_domain(e.value, domain):
                return e
        return self.leaf(shape, domain)

    def pick_op(self, shape: Shape) -> str | None:
        names = [n for n in GENERATORS if (self.ops is None or n in self.ops or n == "pos")
                 and (n in _ANY_SHAPE or (n in _SCALAR_ONLY and shape == ()) or
                      (n in _TENSOR_ONLY and shape != ()))
                 and len(shape) >= MIN_NDIM.get(n, 0)]
        return names[self.rng.integers(len(names))] if names else None

    def op(self, name: str, args: Sequence[Expr], style: str = "", **kwargs: Any) -> Expr:
        """The op node over ``args``: computed, and rejected if unbounded."""
        with torch.no_grad():
            value = TORCH[name](*(a.value for a in args), **kwargs)
        if not bool(torch.isfinite(value).all()) or bool((value.abs() > VALUE_BOUND).any()):
            raise Reject(f"{name} is out of bounds")
        return Expr("op", value, name, args=tuple(args), kwargs=kwargs, style=style)


def _in_domain(value: torch.Tensor, domain: str) -> bool:
    if domain == "positive":
        return bool((value > POSITIVE_FLOOR).all())
    if domain == "nonzero":
        return bool((value.abs() > POSITIVE_FLOOR).all())
    if domain == "unkinked":
        return bool((value.abs() > KINK_MARGIN).all())
    return True


# --------------------------------------------------------------------------- generators

Generator = Callable[[Drawer, Shape, int], Expr | None]


def _unary(name: str, domain: str = "any", ceiling: float | None = None) -> Generator:
    def gen(d: Drawer, shape: Shape, depth: int) -> Expr:
        x = d.expr(shape, depth, domain)
        if ceiling is not None and bool((x.value > ceiling).any()):
            raise Reject(f"{name} argument too large")
        return d.op(name, [x])
    return gen


def _elementwise_binary(name: str, right_domain: str = "any") -> Generator:
    def gen(d: Drawer, shape: Shape, depth: int) -> Expr:
        sa, sb = d.broadcast_pair(shape)
        return d.op(name, [d.expr(sa, depth), d.expr(sb, depth, right_domain)], "operator")
    return gen


def _pow(d: Drawer, shape: Shape, depth: int) -> Expr:
    sa, sb = d.broadcast_pair(shape)
    base = d.expr(sa, depth, "positive")
    if sb == () and d.rng.random() < 0.5:
        exponent = d.constant("any")  # x ** 2, x ** -1, x ** .5 ...
    else:
        exponent = d.expr(sb, depth)  # a tensor exponent: d/d exponent = x**y * log(x)
        if bool((exponent.value.abs() > 3).any()):
            raise Reject("exponent too large")
    return d.op("pow", [base, exponent], "operator")


def _tie_free(name: str) -> Generator:
    def gen(d: Drawer, shape: Shape, depth: int) -> Expr:
        sa, sb = d.broadcast_pair(shape)
        a, b = d.expr(sa, depth), d.expr(sb, depth)
        if bool(((a.value - b.value).abs() <= KINK_MARGIN).any()):
            raise Reject(f"{name}: a tie")
        return d.op(name, [a, b])
    return gen


def _matmul_shapes(d: Drawer, shape: Shape, batched: bool) -> tuple[Shape, Shape] | None:
    k = int(d.rng.choice([1, 2, 3, 4]))
    options: list[tuple[Shape, Shape]] = []
    if len(shape) == 0:
        options.append(((k,), (k,)))
    if len(shape) == 1:
        options += [((shape[0], k), (k,)), ((k,), (k, shape[0]))]
    if len(shape) == 2:
        options.append(((shape[0], k), (k, shape[1])))
        if batched:
            options.append(((*shape, k), (k,)))
    if len(shape) == 3 and batched:
        b, n, m = shape
        options += [((b, n, k), (k, m)), ((n, k), (b, k, m)), ((b, n, k), (b, k, m)),
                    ((1, n, k), (b, k, m))]
    if not options:
        return None
    return options[d.rng.integers(len(options))]


def _matmul(name: str) -> Generator:
    def gen(d: Drawer, shape: Shape, depth: int) -> Expr | None:
        shapes = _matmul_shapes(d, shape, batched=name == "matmul")
        if shapes is None:
            return None
        a, b = (d.expr(s, depth) for s in shapes)
        style = "operator" if name == "matmul" and d.rng.random() < 0.7 else "call"
        return d.op(name, [a, b], style)
    return gen


def _transpose(d: Drawer, shape: Shape, depth: int) -> Expr | None:
    if len(shape) == 0:
        return None
    r = d.rng.random()
    if len(shape) >= 2 and r < 0.3:  # transpose(x, axes=...): x's shape permuted back
        perm = tuple(int(i) for i in d.rng.permutation(len(shape)))
        inner = tuple(shape[perm.index(i)] for i in range(len(shape)))
        style = "positional" if d.rng.random() < 0.4 else "call"  # transpose(x, (1, 0))
        return d.op("transpose", [d.expr(inner, depth)], style, axes=perm)
    x = d.expr(tuple(reversed(shape)), depth)
    return d.op("transpose", [x], ".T" if r < 0.75 else "call")


def _reduction(name: str) -> Generator:
    def gen(d: Drawer, shape: Shape, depth: int) -> Expr | None:
        rng = d.rng
        keepdims = rng.random() < 0.3
        if keepdims:
            ones = [i for i, n in enumerate(shape) if n == 1]
            if not ones:
                return None
            axes = tuple(i for i in ones if rng.random() < 0.7) or (ones[0],)
            inner = tuple(int(rng.choice([2, 3, 4])) if i in axes else n for i, n in enumerate(shape))
            axis: Any = axes if len(axes) > 1 or rng.random() < 0.3 else axes[0]
            if len(axes) == len(shape) and rng.random() < 0.5:
                axis = None
        else:
            extra = int(rng.integers(0 if shape else 1, 3 - len(shape) + 1)) if len(shape) < 3 else 0
            if extra == 0:
                return None
            inner_list = list(shape)
            axes_list = []
            for _ in range(extra):
                at = int(rng.integers(0, len(inner_list) + 1))
                inner_list.insert(at, int(rng.choice([2, 3, 4])))
                axes_list = [a + 1 if a >= at else a for a in axes_list] + [at]
            inner = tuple(inner_list)
            axes = tuple(sorted(axes_list))
            axis = axes if len(axes) > 1 or rng.random() < 0.25 else axes[0]
            if len(axes) == len(inner) and rng.random() < 0.6:
                axis = None
        x = d.expr(inner, depth)
        if name in ("max", "min"):
            _check_no_tied_extreme(x.value, axes, name)
        kwargs: dict[str, Any] = {}
        if axis is not None or rng.random() < 0.2:
            kwargs["axis"] = axis
        if keepdims or rng.random() < 0.15:
            kwargs["keepdims"] = keepdims
        return d.op(name, [x], "call", **kwargs)
    return gen


def _check_no_tied_extreme(x: torch.Tensor, axes: tuple[int, ...], name: str) -> None:
    if x.ndim == 0:
        return
    dims = axes or tuple(range(x.ndim))
    peak = torch.amax(x, dim=dims, keepdim=True) if name == "max" else torch.amin(x, dim=dims, keepdim=True)
    near = ((x - peak).abs() <= KINK_MARGIN).sum(dim=dims)
    if bool((near > 1).any()):
        raise Reject(f"{name}: a tied extreme")


def _softmax(name: str) -> Generator:
    def gen(d: Drawer, shape: Shape, depth: int) -> Expr | None:
        if not shape:
            return None
        rng = d.rng
        kwargs: dict[str, Any] = {}
        r = rng.random()
        if r < 0.6:
            kwargs["axis"] = int(rng.integers(0, len(shape)))
        elif r < 0.7 and len(shape) > 1:
            kwargs["axis"] = tuple(sorted(int(a) for a in rng.choice(len(shape), 2, replace=False)))
        return d.op(name, [d.expr(shape, depth)], "call", **kwargs)
    return gen


def _mse(d: Drawer, shape: Shape, depth: int) -> Expr:
    sa, sb = d.broadcast_pair(d.shape())
    return d.op("mse", [d.expr(sa, depth), d.expr(sb, depth)], "call")


def _cross_entropy(d: Drawer, shape: Shape, depth: int) -> Expr:
    logits_shape = d.shape(int(d.rng.integers(1, 4)))
    logits = d.expr(logits_shape, depth)
    r = d.rng.random()
    if r < 0.5:
        target = d.class_input(logits_shape[:-1], logits_shape[-1])
    elif r < 0.75:  # a distribution
        p = d.rng.dirichlet(np.ones(logits_shape[-1]), size=logits_shape[:-1])
        target = d.new_input(logits_shape, "positive")
        target.value.copy_(torch.tensor(p, dtype=torch.float64))
    else:  # any tensor of the logits' shape: torch sums target * log_softmax over all of it
        target = d.expr(logits_shape, depth)
    return d.op("cross_entropy", [logits, target], "call")


def _factors(size: int, ndim: int, rng: Rng) -> Shape:
    """A random shape of ``ndim`` dimensions holding ``size`` elements."""
    dims = []
    rest = size
    for _ in range(ndim - 1):
        divisors = [k for k in range(1, rest + 1) if rest % k == 0]
        k = int(rng.choice(divisors))
        dims.append(k)
        rest //= k
    dims.append(rest)
    order = rng.permutation(len(dims))
    return tuple(dims[i] for i in order) if ndim else ()


def _small_enough(shape: Shape) -> bool:
    return math.prod(shape) <= 400 and len(shape) <= 4


def _reshape(d: Drawer, shape: Shape, depth: int) -> Expr | None:
    rng = d.rng
    size = math.prod(shape)
    ndim = int(rng.integers(0 if size == 1 else 1, 5))
    inner = _factors(size, ndim, rng)
    target: list[int] = list(shape)
    if target and rng.random() < 0.5:
        target[int(rng.integers(len(target)))] = -1
    style = "positional" if rng.random() < 0.7 else "call"
    return d.op("reshape", [d.expr(inner, depth)], style, shape=tuple(target))


def _flatten(d: Drawer, shape: Shape, depth: int) -> Expr | None:
    rng = d.rng
    if not shape:
        return None
    at = int(rng.integers(len(shape)))
    count = int(rng.integers(1, min(3, 5 - len(shape)) + 1))
    merged = _factors(shape[at], count, rng)
    inner = shape[:at] + merged + shape[at + 1:]
    kwargs: dict[str, Any] = {}
    if at or rng.random() < 0.3:
        kwargs["start_axis"] = at
    last = at + count - 1
    if last != len(inner) - 1 or rng.random() < 0.2:
        kwargs["start_axis"] = at
        kwargs["end_axis"] = last if rng.random() < 0.6 else last - len(inner)
    style = "positional" if rng.random() < 0.4 else "call"
    return d.op("flatten", [d.expr(inner, depth)], style, **kwargs)


def _index(d: Drawer, shape: Shape, depth: int) -> Expr | None:
    """x[key]: each key item an integer (drops an axis) or a slice (keeps one of ``shape``)."""
    rng = d.rng
    key: list[Any] = []
    inner: list[int] = []
    rest = list(shape)
    for _ in range(int(rng.integers(1, 4))):
        if rng.random() < 0.4 or not rest:
            if len(inner) + len(rest) >= 4:
                break
            n = int(rng.choice([2, 3, 4]))
            k = int(rng.integers(-n, n))
            key.append(k)
            inner.append(n)
            continue
        t = rest.pop(0)
        step = int(rng.choice([1, 1, 2, 3]))
        start = int(rng.integers(0, 2))
        end = start + (t - 1) * step + 1
        n = end + int(rng.integers(0, 2))
        stop: int | None = end if (n != end or rng.random() < 0.4) else None
        if stop is not None and rng.random() < 0.3:
            stop -= n  # a negative stop
        key.append(slice(start if start or rng.random() < 0.3 else None, stop,
                         step if step > 1 or rng.random() < 0.1 else None))
        inner.append(n)
    if not key:
        return None
    inner += rest
    return d.op("index", [d.expr(tuple(inner), depth)], "index", key=tuple(key))


def _join(name: str) -> Generator:
    def gen(d: Drawer, shape: Shape, depth: int) -> Expr | None:
        rng = d.rng
        if not shape:
            return None
        axis = int(rng.integers(len(shape)))
        if name == "stack":
            part = shape[:axis] + shape[axis + 1:]
            parts = [d.expr(part, depth) for _ in range(shape[axis])]
        else:
            sizes = [1] * shape[axis]
            count = int(rng.integers(1, min(3, shape[axis]) + 1))
            while len(sizes) > count:  # merge random neighbours
                i = int(rng.integers(len(sizes) - 1))
                sizes[i:i + 2] = [sizes[i] + sizes[i + 1]]
            parts = [d.expr(shape[:axis] + (n,) + shape[axis + 1:], depth) for n in sizes]
        kwargs: dict[str, Any] = {}
        if axis or rng.random() < 0.3:
            kwargs["axis"] = axis
        style = "positional" if rng.random() < 0.3 else "call"
        return d.op(name, parts, style, **kwargs)
    return gen


def _where(d: Drawer, shape: Shape, depth: int) -> Expr:
    rng = d.rng
    sm, sa = d.broadcast_pair(shape)
    _, sb = d.broadcast_pair(shape)
    if rng.random() < 0.6:  # an input mask of zeros and nonzeros
        mask = d.new_input(sm, "any")
        mask.value.copy_(torch.tensor(rng.choice([0.0, 1.0, -0.5], size=sm), dtype=torch.float64))
    else:
        mask = d.expr(sm, depth)
    return d.op("where", [mask, d.expr(sa, depth), d.expr(sb, depth)])


def _leaky_relu(d: Drawer, shape: Shape, depth: int) -> Expr:
    rng = d.rng
    x = d.expr(shape, depth, "unkinked")
    kwargs: dict[str, Any] = {}
    if rng.random() < 0.6:
        kwargs["negative_slope"] = float(rng.choice([0.01, 0.1, 0.2, 0.5]))
    return d.op("leaky_relu", [x], "positional" if rng.random() < 0.5 else "call", **kwargs)


SPREAD_FLOOR = 1e-2  # var under std, layer_norm and batch_norm: away from 0 (where std's slope is 1/0)


def _spread(name: str) -> Generator:
    base = _reduction(name)

    def gen(d: Drawer, shape: Shape, depth: int) -> Expr | None:
        e = base(d, shape, depth)
        if e is not None and name == "std" and bool((e.value < SPREAD_FLOOR).any()):
            raise Reject("std of nearly equal values")
        return e
    return gen


def _check_spread(x: torch.Tensor, dims: tuple[int, ...]) -> None:
    if bool((torch.var(x, dim=dims, correction=0) < SPREAD_FLOOR).any()):
        raise Reject("normalising nearly equal values")


def _layer_norm(d: Drawer, shape: Shape, depth: int) -> Expr | None:
    rng = d.rng
    if not shape:
        return None
    x = d.expr(shape, depth)
    count = int(rng.integers(1, len(shape) + 1)) if rng.random() < 0.3 else 1
    dims = tuple(range(len(shape) - count, len(shape)))
    _check_spread(x.value, dims)
    kwargs: dict[str, Any] = {}
    if count > 1:  # non-negative: the renderer writes some axes negative
        kwargs["axis"] = dims
    elif rng.random() < 0.3:
        kwargs["axis"] = len(shape) - 1
    if rng.random() < 0.3:
        kwargs["eps"] = float(rng.choice([1e-5, 0.001, 0.1]))
    return d.op("layer_norm", [x], "call", **kwargs)


def _batch_norm(d: Drawer, shape: Shape, depth: int) -> Expr | None:
    if len(shape) < 2:
        return None
    x = d.expr(shape, depth)
    _check_spread(x.value, (0, *range(2, len(shape))))
    kwargs = {"eps": float(d.rng.choice([1e-5, 0.01]))} if d.rng.random() < 0.3 else {}
    return d.op("batch_norm", [x], "call", **kwargs)


def _embedding(d: Drawer, shape: Shape, depth: int) -> Expr | None:
    if not shape:
        return None
    rows = int(d.rng.integers(2, 6))
    table = d.expr((rows, shape[-1]), depth)
    idx = d.class_input(shape[:-1], rows, repeat=True)
    return d.op("embedding", [table, idx], "call")


def _conv2d(d: Drawer, shape: Shape, depth: int) -> Expr | None:
    rng = d.rng
    if len(shape) != 4:
        return None
    n, o, ho, wo = shape
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    if rng.random() < 0.7:
        kw = kh
    stride, padding = int(rng.choice([1, 1, 2])), int(rng.choice([0, 0, 1]))
    h = (ho - 1) * stride + kh - 2 * padding + int(rng.integers(0, stride))
    w = (wo - 1) * stride + kw - 2 * padding + int(rng.integers(0, stride))
    c = int(rng.integers(1, 4))
    if h < 1 or w < 1 or not _small_enough((n, c, h, w)):
        return None
    kwargs: dict[str, Any] = {}
    if stride > 1 or rng.random() < 0.4:
        kwargs["stride"] = stride if rng.random() < 0.5 else (stride, stride)
    if padding or rng.random() < 0.2:
        kwargs["padding"] = padding
    x, weight = d.expr((n, c, h, w), depth), d.expr((o, c, kh, kw), depth)
    return d.op("conv2d", [x, weight], "call", **kwargs)


def _pool(name: str) -> Generator:
    def gen(d: Drawer, shape: Shape, depth: int) -> Expr | None:
        rng = d.rng
        if len(shape) not in (3, 4):
            return None
        k = int(rng.choice([2, 3])) if rng.random() < 0.7 else 1
        stride = None if rng.random() < 0.6 else int(rng.integers(1, 3))
        s = k if stride is None else stride
        h = (shape[-2] - 1) * s + k + int(rng.integers(0, s))
        w = (shape[-1] - 1) * s + k + int(rng.integers(0, s))
        inner = (*shape[:-2], h, w)
        if not _small_enough(inner):
            return None
        x = d.expr(inner, depth)
        if name == "max_pool2d":
            _check_no_tied_window(x.value, k, s)
        kwargs: dict[str, Any] = {"kernel_size": k}
        if stride is not None:
            kwargs["stride"] = stride
        return d.op(name, [x], "positional" if rng.random() < 0.7 else "call", **kwargs)
    return gen


def _check_no_tied_window(x: torch.Tensor, k: int, s: int) -> None:
    windows = x.unfold(-2, k, s).unfold(-2, k, s).reshape(*x.shape[:-2], -1, k * k)
    top = torch.topk(windows, min(2, k * k), dim=-1).values
    if k > 1 and bool(((top[..., 0] - top[..., 1]) <= KINK_MARGIN).any()):
        raise Reject("max_pool2d: a tied window")


#: The generators of the neural-network functions (chainrule.engine.ops_nn).
NN_GENERATORS: dict[str, Generator] = {
    "reshape": _reshape,
    "flatten": _flatten,
    "index": _index,
    "concat": _join("concat"),
    "stack": _join("stack"),
    "where": _where,
    "gelu": _unary("gelu"),
    "softplus": _unary("softplus"),
    "leaky_relu": _leaky_relu,
    "var": _spread("var"),
    "std": _spread("std"),
    "layer_norm": _layer_norm,
    "batch_norm": _batch_norm,
    "embedding": _embedding,
    "conv2d": _conv2d,
    "max_pool2d": _pool("max_pool2d"),
    "avg_pool2d": _pool("avg_pool2d"),
}
#: The fewest dimensions each op's result can have.
MIN_NDIM: dict[str, int] = {"flatten": 1, "concat": 1, "stack": 1, "layer_norm": 1, "batch_norm": 2,
                            "embedding": 1, "conv2d": 4, "max_pool2d": 3, "avg_pool2d": 3}


def _plus(d: Drawer, shape: Shape, depth: int) -> Expr:
    return d.op("pos", [d.expr(shape, depth)])


def _from_table(name: str) -> Generator:
    """The generator of an elementwise op, from what the op table says of it: arguments away
    from its kinks, inside its domain."""
    op = OPS[name]
    if op.arity == 1:
        return _unary(name, "unkinked" if op.kink == "zero" else
                      "positive" if op.restricted_domain else "any")
    if op.kink == "tie":
        return _tie_free(name)
    return _elementwise_binary(name, "nonzero" if op.restricted_domain else "any")


#: The ops whose arguments need more than the table says (shapes, keywords, bounds), plus
#: ``pos`` (unary plus, which makes no node).
SPECIAL: dict[str, Generator] = {
    "pow": _pow,
    "pos": _plus,
    "exp": _unary("exp", ceiling=EXP_CEILING),
    "matmul": _matmul("matmul"),
    "dot": _matmul("dot"),
    "transpose": _transpose,
    "sum": _reduction("sum"),
    "mean": _reduction("mean"),
    "max": _reduction("max"),
    "min": _reduction("min"),
    "logsumexp": _reduction("logsumexp"),
    "softmax": _softmax("softmax"),
    "log_softmax": _softmax("log_softmax"),
    "mse": _mse,
    "cross_entropy": _cross_entropy,
}
SPECIAL.update(NN_GENERATORS)


#: A generator per op of ``OPS``: the special ones, and every other elementwise op's from the table.
def _generators() -> dict[str, Generator]:
    order = list(OPS)
    order.insert(order.index("neg") + 1, "pos")  # the order the draws were tuned with
    return {name: SPECIAL[name] if name in SPECIAL else _from_table(name) for name in order
            if name in SPECIAL or OPS[name].elementwise}


GENERATORS: dict[str, Generator] = _generators()
#: The operators an argument is drawn from when a test asks for infix arguments.
INFIX = ("add", "sub", "mul", "div", "pow", "neg")
_SCALAR_ONLY = frozenset({"mse", "cross_entropy"})
_TENSOR_ONLY = frozenset({"transpose", "softmax", "log_softmax"})
_ANY_SHAPE = frozenset(GENERATORS) - _SCALAR_ONLY - _TENSOR_ONLY


# --------------------------------------------------------------------------- cases


def random_case(rng: Rng, *, statements: int | None = None, depth: int = 3,
                ops: Sequence[str] | None = None, root: str | None = None,
                seed: int | None = None, infix_args: bool = False) -> Case:
    """A random program over the whole grammar.

    ``statements``: how many (default 1-4); ``depth``: nesting of each; ``ops``: draw only
    these ops (default all); ``root``: the last statement is this op (so a test can cover
    each op in turn); ``infix_args``: the root's arguments are operator expressions where
    their domain allows (``mse(a - b, c - a)``). Earlier statements' names are reused by later ones (a DAG), a name
    may be assigned twice, the output may be a tensor (differentiated as its sum) or an
    earlier statement (``output``), and the last statement may be a lone expression.
    """
    for _ in range(50):
        try:
            return _draw_case(rng, statements, depth, ops, root, seed, infix_args)
        except Reject:
            continue
    raise RuntimeError(f"no case could be drawn for root={root!r}")


def _draw_case(rng: Rng, statements: int | None, depth: int, ops: Sequence[str] | None,
               root: str | None, seed: int | None, infix_args: bool = False) -> Case:
    d = Drawer(rng, None if ops is None else frozenset(ops), depth)
    count = statements if statements is not None else int(rng.integers(1, 5))
    program: list[Statement] = []
    for k in range(count):
        last = k == count - 1
        shape = () if last and rng.random() < 0.75 else d.shape()
        if root in _SCALAR_ONLY and last:
            shape = ()
        if root in _TENSOR_ONLY and last and shape == ():
            shape = d.shape(int(rng.integers(1, 4)))
        if root in MIN_NDIM and last and len(shape) < MIN_NDIM[root]:
            shape = d.shape(int(rng.integers(MIN_NDIM[root], 5)))
        if last and infix_args:
            d.infix_depth = depth - 1
        expr = d.expr(shape, depth, root=root if last else None)
        d.infix_depth = None
        if last and rng.random() < 0.15:
            program.append(Statement(None, expr))
            continue
        name = _statement_name(d, rng)
        program.append(Statement(name, expr))
        if name in d.inputs:
            d.shadowed.add(name)
        d.bindings[name] = Binding(k, name, expr.value)
        d.assigned.add(name)
        for ref in [b for b in d.bindings.values() if b.name != name and b.statement < k]:
            if rng.random() < 0.1:
                del d.bindings[ref.name]  # out of the pool (still a name in the text)
    output: str | None = None
    # the last assigned name, else the lone expression (a lone last line after
    # assignments is evaluated but is not the output)
    named_at = [i for i, st in enumerate(program) if st.name is not None]
    output_statement = named_at[-1] if named_at else len(program) - 1
    named = [i for i, st in enumerate(program) if st.name is not None
             and all(other.name != st.name for other in program[i + 1:])]
    if len(program) > 1 and named and rng.random() < 0.1:
        output_statement = named[rng.integers(len(named))]
        output = program[output_statement].name
    case = Case("", {}, output, program, dict(d.inputs), frozenset(d.class_inputs),
                output_statement, seed)
    return _rebuild(case, program, dict(d.inputs), render_program(program, rng))


def _statement_name(d: Drawer, rng: Rng) -> str:
    r = rng.random()
    if r < 0.12 and d.bindings:  # reassign a statement's name: h = h * 2
        return list(d.bindings)[rng.integers(len(d.bindings))]
    if r < 0.18:  # reassign an input's name: later uses mean the new value
        free = [n for n in d.inputs if n not in d.class_inputs and n not in d.shadowed]
        if free:
            return free[rng.integers(len(free))]
    return d.fresh_name(STATEMENT_NAMES)


# --------------------------------------------------------------------------- comparing


def torch_reference(case: Case) -> tuple[torch.Tensor, dict[str, np.ndarray]]:
    """The output (float64) and d sum(output) / d input for every input, by torch autograd;
    0 where an input does not reach the output (as chainrule reports it)."""
    leaves = {n: v.clone().requires_grad_(n not in case.class_inputs) for n, v in case.inputs.items()}
    out = case.torch_output(leaves)
    wrt = [leaves[n] for n in leaves if n not in case.class_inputs]
    grads = torch.autograd.grad(out.sum(), wrt, allow_unused=True) if wrt and out.requires_grad \
        else [None] * len(wrt)
    result = {}
    it = iter(grads)
    for n, leaf in leaves.items():
        g = None if n in case.class_inputs else next(it)
        result[n] = np.zeros(tuple(leaf.shape)) if g is None else g.numpy()
    return out.detach(), result


def chainrule_result(case: Case) -> dict[str, Any]:
    """``analyze`` on the case (the Python API: the same code as ``POST /api/graph``)."""
    from chainrule import analyze
    return analyze(case.expression, case.values, output=case.output)


def _mismatch(what: str, got: Any, want: np.ndarray, scale: float) -> str | None:
    got_a = np.asarray(got, dtype=np.float64)
    if got_a.shape != want.shape:
        return f"{what}: shape {list(got_a.shape)}, torch {list(want.shape)}"
    atol = ATOL_SCALE * scale
    if not np.allclose(got_a, want, rtol=RTOL, atol=atol):
        err = np.abs(got_a - want)
        worst = np.unravel_index(int(np.argmax(err - RTOL * np.abs(want))), want.shape)
        return (f"{what}: chainrule {got_a[worst]!r} vs torch {want[worst]!r} at {list(worst)} "
                f"(rtol {RTOL:g}, atol {atol:.1e})")
    return None


def compare_with_torch(case: Case) -> str | None:
    """None if chainrule's value and every input's gradient match torch's (float64,
    rtol ``RTOL``); otherwise what differs, first difference first."""
    try:
        result = chainrule_result(case)
    except Exception as exc:  # a valid program must analyse
        return f"chainrule raised {type(exc).__name__}: {exc}"
    want_out, want_grads = torch_reference(case)
    want = want_out.numpy()
    scale = max(1.0, float(np.abs(want).max()), *(float(np.abs(g).max(initial=0)) for g in want_grads.values()))
    problems = []
    problem = _mismatch("value", result["value"], want, scale)
    if problem:
        problems.append(problem)
    for name, g in want_grads.items():
        got = result["gradients"].get(name)
        if got is None:
            problems.append(f"gradient of {name}: missing")
            continue
        problem = _mismatch(f"gradient of {name}", got, g, scale)
        if problem:
            problems.append(problem)
    unexpected = [w for w in result["warnings"] if "not a scalar" not in w]
    if unexpected:
        problems.append(f"warnings: {unexpected}")
    return "; ".join(problems) or None


def reproduction(case: Case, problem: str | None = None) -> str:
    """A failing case as something to paste: the expression, the values, the output."""
    import json
    lines = ["chainrule differs from torch" + (f": {problem}" if problem else ""),
             f"expression = {case.expression!r}",
             f"values = {json.dumps(case.values)}"]
    if case.output is not None:
        lines.append(f"output = {case.output!r}")
    if case.seed is not None:
        lines.append(f"seed = {case.seed}")
    lines.append("from chainrule import analyze; analyze(expression, values"
                 + (", output=output" if case.output is not None else "") + ")")
    return "\n".join(lines)


# --------------------------------------------------------------------------- shrinking


def _rebuild(case: Case, statements: list[Statement], inputs: dict[str, torch.Tensor],
             text: str | None = None) -> Case:
    """``case`` with these statements (rendered plainly unless ``text``) and the inputs
    they use."""
    used = set()
    for st in statements:
        used |= {n.name for n in walk(st.expr) if n.kind == "input"}
    inputs = {n: v for n, v in inputs.items() if n in used}
    text = plain_text(statements) if text is None else text
    values = {n: (float(v) if v.ndim == 0 else v.tolist()) for n, v in inputs.items()}
    for n in case.class_inputs & set(values):
        values[n] = np.asarray(values[n]).astype(int).tolist()
    return replace(case, expression=text, values=values, statements=statements, inputs=inputs,
                   class_inputs=case.class_inputs & frozenset(inputs))


class PlainRenderer(Renderer):
    """Only the parentheses that are needed, one space around operators."""

    def _wrap(self, part: tuple[str, int], needed: int) -> str:
        return f"({part[0]})" if part[1] < needed else part[0]

    def _space(self) -> str:
        return " "


def plain_text(statements: list[Statement]) -> str:
    """Plain rendering for reproductions: one statement per line, no decoration."""
    r = PlainRenderer(np.random.default_rng(0))
    return "\n".join(r.render(st.expr) if st.name is None else f"{st.name} = {r.render(st.expr)}"
                     for st in statements)


def _replace_node(e: Expr, old: Expr, new: Expr) -> Expr:
    if e is old:
        return new
    if not e.args:
        return e
    args = tuple(_replace_node(a, old, new) for a in e.args)
    if all(a is b for a, b in zip(args, e.args, strict=True)):
        return e
    return replace(e, args=args)


def shrink(case: Case, fails: Callable[[Case], bool] | None = None, budget: int = 200) -> Case:
    """A smaller program that still fails: statements after the output dropped, then op
    nodes replaced (largest first) by a new input holding the node's value, so every other
    value stays exactly as it was."""
    fails = fails or (lambda c: compare_with_torch(c) is not None)
    current = _rebuild(case, case.statements[: case.output_statement + 1], dict(case.inputs))
    if not fails(current):
        current = case
    current = _drop_unused_statements(current, fails)
    tries = 0
    changed = True
    while changed and tries < budget:
        changed = False
        for k, st in enumerate(current.statements):
            for node in walk(st.expr):
                if node.kind != "op" or tries >= budget:
                    continue
                tries += 1
                name = f"v{len(current.inputs)}"
                while name in current.inputs:
                    name += "_"
                leaf = Expr("input", node.value.clone(), name)
                statements = list(current.statements)
                statements[k] = Statement(st.name, _replace_node(st.expr, node, leaf))
                candidate = _rebuild(current, statements, {**current.inputs, name: leaf.value})
                if fails(candidate):
                    current, changed = candidate, True
                    break
            if changed:
                break
    return _drop_unused_statements(current, fails)


def _shift_refs(e: Expr, dropped: int) -> Expr:
    """``e`` with references to statements after ``dropped`` renumbered."""
    if e.kind == "ref" and e.statement > dropped:
        return replace(e, statement=e.statement - 1)
    if not e.args:
        return e
    return replace(e, args=tuple(_shift_refs(a, dropped) for a in e.args))


def _drop_unused_statements(case: Case, fails: Callable[[Case], bool]) -> Case:
    """Drop each statement no later one refers to (except the output), while it still fails."""
    j = 0
    while j < len(case.statements):
        used = any(n.kind == "ref" and n.statement == j
                   for st in case.statements[j + 1:] for n in walk(st.expr))
        if used or j == case.output_statement:
            j += 1
            continue
        statements = [Statement(st.name, _shift_refs(st.expr, j))
                      for k, st in enumerate(case.statements) if k != j]
        candidate = _rebuild(replace(case, output_statement=case.output_statement - 1
                                     if case.output_statement > j else case.output_statement),
                             statements, dict(case.inputs))
        if fails(candidate):
            case = candidate
        else:
            j += 1
    return case
