"""The function table of ``docs/functions.md``, written from the op table.

``.venv/bin/python -m chainrule.engine.function_table > docs/functions.md`` rewrites it;
``tests/engine/test_function_table.py`` fails when the file and the table disagree.
"""

from __future__ import annotations

from chainrule.engine.formulas import fill_formula
from chainrule.engine.ops import OPS, Op
from chainrule.engine.parser import INDEX, NEGATION, TRANSPOSE

HEADER = """# Functions

Every operation an expression can use, with what it computes and what its backward pass
does. This page is written from the op table (`chainrule/engine/ops.py` and
`chainrule/engine/ops_nn.py`) by
`.venv/bin/python -m chainrule.engine.function_table > docs/functions.md`, and a test fails
when it is out of date. `GET /api/ops` serves the same table.

In the formulas `a`, `b`, `c` are the arguments in order and `out` is the result. Elementwise
operations broadcast as numpy does, and the gradient of a broadcast argument is summed back
to its shape. Semantics and gradients are PyTorch's in float64, images are laid out NCHW,
and at kinks and ties PyTorch's conventions hold: the slope of `abs` and `relu` at 0 is 0,
`leaky_relu`'s is its negative slope, `maximum`/`minimum` split a tie in half, `max`/`min`
reductions split it evenly, and `max_pool2d` gives a window's gradient to its first maximum.

Integers and tuples of integers are written where a function takes a shape, axes, a kernel
size, a stride or padding, either by keyword or (where the table says so) in order after the
tensors: `reshape(x, (2, -1))`, `leaky_relu(x, 0.01)`, `max_pool2d(x, 2)`. Tuples of
expressions are written only as the first argument of `concat` and `stack`. Indexing takes
integers and slices per axis, negative indices included; no boolean or fancy indexing.

| Function | Written | Keyword arguments | What it computes | Forward | Backward, per argument |
|---|---|---|---|---|---|
"""
ARGS = ("a", "b", "c")


def written(op: Op) -> str:
    """How the text writes the operation."""
    args = list(ARGS[:op.arity])
    if op.symbol:
        return f"`a {op.symbol} b`"
    if op.name == NEGATION:
        return "`-a`"
    if op.name == INDEX:
        return "`a[1]`, `a[-1]`, `a[:, 0]`, `a[1:3]`, `a[::2, 1:]`"
    tensors = f"({', '.join(args)}, ...)" if op.tensor_tuple else ", ".join(args)
    call = f"`{op.name}({', '.join([tensors, *op.positional])})`"
    return f"`a.T`, {call}" if op.name == TRANSPOSE else call


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def row(op: Op) -> str:
    args = list(ARGS[:op.arity])
    keywords = ", ".join(f"`{k}={v!r}`" for k, v in op.kwargs.items()) or "none"
    if op.name == INDEX:
        keywords = "none (the key is written in brackets)"
    forward = fill_formula(op.formula, args, "out")
    backward = "; ".join(f"∂/∂{name}: {fill_formula(f, args, 'out')}"
                         for name, f in zip(args, op.local_formulas, strict=True))
    cells = [f"`{op.name}`", written(op), keywords, op.description, f"`{forward}`", backward]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def render() -> str:
    return HEADER + "\n".join(row(op) for op in OPS.values()) + "\n"


if __name__ == "__main__":
    print(render(), end="")
