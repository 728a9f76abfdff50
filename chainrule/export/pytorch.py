"""Export to PyTorch: a runnable script that rebuilds the graph with torch tensors and proves it.

The script builds the same computation as chainrule (inputs are float64 leaf tensors with
``requires_grad=True``), runs forward and ``backward()``, and asserts that the values and the
gradients equal chainrule's numbers, which it carries as literals. Given a training setup it
also runs the same ``torch.optim`` loop and asserts the trajectory step by step.

Each graph node becomes a piece of Python: an operator (``w * x``) or a ``torch`` call. A
node used once and not named by a statement is written inline into its consumer, so the
script reads like the expression the student typed; named and shared nodes get a variable.
Nothing of the user's text is copied into the script except names (identifiers, checked by
the parser) and the expression inside the docstring, where it is escaped.
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule import engine
from chainrule.engine.graph import CONST, INPUT, Graph, Node
from chainrule.errors import ChainruleError
from chainrule.programs import cached_program
from chainrule.training.inputs import load_data
from chainrule.training.optimizers import OPTIMIZERS
from chainrule.training.train import train

#: Tolerances of the script's asserts (torch and numpy round differently in the last bits).
RTOL = 1e-6
ATOL = 1e-9
#: The names forward() itself reads; an input or statement named so is renamed.
RESERVED = frozenset({"torch", "F"})

# Operator precedence of the Python written (higher binds tighter).
ATOM, POWER, UNARY, PRODUCT, SUM = 5, 4, 3, 2, 1
BINARY = {"add": ("+", SUM), "sub": ("-", SUM), "mul": ("*", PRODUCT), "div": ("/", PRODUCT),
          "matmul": ("@", PRODUCT), "pow": ("**", POWER)}
ELEMENTWISE_CALLS = {"relu": "torch.relu", "sigmoid": "torch.sigmoid", "tanh": "torch.tanh",
                     "exp": "torch.exp", "log": "torch.log", "sqrt": "torch.sqrt",
                     "abs": "torch.abs", "sin": "torch.sin", "cos": "torch.cos",
                     "square": "torch.square", "maximum": "torch.maximum",
                     "minimum": "torch.minimum", "dot": "torch.matmul"}
REDUCTIONS = {"sum": "torch.sum", "mean": "torch.mean", "max": "torch.amax", "min": "torch.amin",
              "logsumexp": "torch.logsumexp"}


@dataclass
class Code:
    """A node written as Python: its text, its precedence, and whether it is a tensor
    (a constant is a plain number until an operation needs it as a tensor)."""

    text: str
    prec: int
    tensor: bool = True

    def operand(self, minimum: int) -> str:
        return self.text if self.prec >= minimum else f"({self.text})"

    def as_tensor(self) -> str:
        return self.text if self.tensor else f"torch.tensor({self.text})"


def to_pytorch(expression: str, values: Mapping[str, Any], output: str | None = None,
               training: Mapping[str, Any] | None = None, max_numbers: int | None = None) -> str:
    """A Python script that recomputes ``expression`` with PyTorch and asserts chainrule's
    values and gradients; with ``training`` (the keyword arguments of :func:`train`:
    ``params``, ``data``/``dataset``, ``optimizer``, ``steps``, ``seed``, ``batch_size``), it
    also runs ``torch.optim`` and asserts the trajectory."""
    program = cached_program(expression, output)
    graph = program.graph
    columns: dict[str, np.ndarray] = {}
    if training is not None:
        columns = load_data(program, training.get("data"), training.get("dataset"), {})
    # max_numbers: the script embeds the analysis' numbers, so it is bounded as a response is
    analysis = engine.analyze(expression, {**values, **{c: a.tolist() for c, a in columns.items()}},
                              output, max_numbers=max_numbers)
    resolved = engine.resolve_values({**values, **columns}, graph.input_names)
    names = _variable_names(graph)
    shapes = [tuple(node["shape"]) for node in analysis["nodes"]]
    parts = [_header(expression), _forward_function(graph, names, shapes),
             _analysis_check(graph, names, analysis, resolved)]
    if training is not None:
        parts.append(_training_check(expression, values, output, training, names, columns,
                                     scalar=not analysis["nodes"][graph.output]["shape"]))
    parts.append('print("chainrule and PyTorch agree")\n')
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- naming


def _variable_names(graph: Graph) -> dict[int, str]:
    """A Python variable for every input and every named node: the user's name where it is
    free, else the name with a suffix (a reassigned ``y`` becomes ``y_2``)."""
    taken = set(RESERVED)
    out: dict[int, str] = {}
    for node in graph.nodes:
        if node.name is None:
            continue
        out[node.index] = _fresh(node.name, taken)
    return out


def _fresh(base: str, taken: set[str]) -> str:
    name = base if base.isidentifier() and not keyword.iskeyword(base) else "v"
    candidate, k = name, 1
    while candidate in taken:
        k += 1
        candidate = f"{name}_{k}"
    taken.add(candidate)
    return candidate


# --------------------------------------------------------------------------- the forward pass


def _forward_function(graph: Graph, names: dict[int, str], shapes: list[tuple[int, ...]]) -> str:
    """``def forward(<inputs>): ...`` returning every named value and the output."""
    uses = [0] * len(graph.nodes)
    for node in graph.nodes:
        for a in node.args:
            uses[a] += 1
    taken = set(RESERVED) | set(names.values())
    code: dict[int, Code] = {}
    body: list[str] = []
    temporaries = 0
    for node in graph.nodes:
        if node.kind == INPUT:
            code[node.index] = Code(names[node.index], ATOM)
            continue
        written = _constant(node) if node.kind == CONST else _operation(node, shapes, code)
        needs_variable = (node.index in names or node.index == graph.output
                          or (node.kind != CONST and uses[node.index] > 1))
        if not needs_variable:
            code[node.index] = written
            continue
        if node.index not in names:
            temporaries += 1
            names[node.index] = _fresh(f"t{temporaries}", taken)
        body.append(f"    {names[node.index]} = {written.as_tensor()}")
        code[node.index] = Code(names[node.index], ATOM)
    returned = [(label, names[i]) for i, label in _checked_nodes(graph)
                if graph.nodes[i].kind != INPUT or i == graph.output]
    body.append("    return {" + ", ".join(f"{label!r}: {var}" for label, var in returned) + "}")
    args = ", ".join(names[i] for i in graph.inputs.values())
    return (f"def forward({args}):\n"
            f'    """The expression with torch tensors; returns its named values."""\n'
            + "\n".join(body) + "\n")


def _checked_nodes(graph: Graph) -> list[tuple[int, str]]:
    """(node, label) of every named node and the output: the values the script asserts."""
    labels = graph.labels()
    out = [(n.index, labels[n.index]) for n in graph.nodes if n.name is not None or n.index == graph.output]
    return out


def _constant(node: Node) -> Code:
    # an integer literal as typed (x ** 2), any other number as Python writes the float
    text = node.text if node.text.isascii() and node.text.isdigit() else literal(node.const)
    return Code(text, UNARY if text.startswith("-") else ATOM, tensor=False)


def _operation(node: Node, all_shapes: list[tuple[int, ...]], code: dict[int, Code]) -> Code:
    assert node.op is not None
    name = node.op.name
    args = [code[a] for a in node.args]
    shapes = [all_shapes[a] for a in node.args]
    kwargs = {**node.op.kwargs, **node.kwargs}
    if name in BINARY:
        symbol, prec = BINARY[name]
        left, right = args
        if not left.tensor and not right.tensor:
            left = Code(left.as_tensor(), ATOM)
        if name == "pow":  # right-associative: a ** b ** c is a ** (b ** c)
            return Code(f"{left.operand(POWER + 1)} ** {right.operand(POWER)}", POWER)
        return Code(f"{left.operand(prec)} {symbol} {right.operand(prec + 1)}", prec)
    if name == "neg":
        return Code(f"-{args[0].operand(UNARY) if args[0].tensor else '(' + args[0].as_tensor() + ')'}",
                    UNARY)
    if name in ELEMENTWISE_CALLS:
        return _call(ELEMENTWISE_CALLS[name], [a.as_tensor() for a in args])
    if name in REDUCTIONS:
        return _reduction(REDUCTIONS[name], args[0].as_tensor(), shapes[0], kwargs)
    if name == "transpose":
        return _transpose(args[0].as_tensor(), len(shapes[0]), kwargs.get("axes"))
    if name in ("softmax", "log_softmax"):
        return _softmax(name, args[0].as_tensor(), len(shapes[0]), kwargs.get("axis", -1))
    if name == "mse":  # torch's mse_loss warns on broadcasting; this is its formula
        return _call("torch.mean", [f"torch.square({args[0].as_tensor()} - {args[1].as_tensor()})"])
    if name == "cross_entropy":
        return _cross_entropy(args[0].as_tensor(), args[1].as_tensor(), shapes[0], shapes[1])
    raise ChainruleError("bad_value", f"the PyTorch export does not know the operation {name!r}")


def _call(function: str, args: list[str], keywords: str = "") -> Code:
    return Code(f"{function}({', '.join(args)}{keywords})", ATOM)


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted({a % ndim for a in items})) if ndim else ()


def _reduction(function: str, x: str, shape: tuple[int, ...], kwargs: Mapping[str, Any]) -> Code:
    axes = _axes(kwargs.get("axis"), len(shape))
    keepdim = bool(kwargs.get("keepdims"))
    if function == "torch.logsumexp" and not shape:  # it has no all-axes form
        return _call(function, [x], ", dim=0")
    if not shape or (kwargs.get("axis") is None and not keepdim and function != "torch.logsumexp"):
        return _call(function, [x])
    dim = str(axes[0]) if len(axes) == 1 else repr(axes)
    return _call(function, [x], f", dim={dim}" + (", keepdim=True" if keepdim else ""))


def _transpose(x: str, ndim: int, axes: Any) -> Code:
    order = tuple(axes) if axes is not None else tuple(reversed(range(ndim)))
    if ndim == 2 and order == (1, 0):
        return Code(f"{x}.T" if x.isidentifier() else f"({x}).T", ATOM)
    if ndim < 2:
        return Code(x, ATOM) if x.isidentifier() else Code(f"({x})", ATOM)
    return Code(f"{x}.permute{order!r}" if x.isidentifier() else f"({x}).permute{order!r}", ATOM)


def _softmax(name: str, x: str, ndim: int, axis: Any) -> Code:
    axes = _axes(axis, ndim)
    if len(axes) <= 1:
        return _call(f"torch.{name}", [x], f", dim={axes[0] if axes else 0}")
    # several axes at once: torch.softmax takes one, so write it out with logsumexp
    log = f"{x} - torch.logsumexp({x}, dim={axes!r}, keepdim=True)"
    return Code(log, SUM) if name == "log_softmax" else _call("torch.exp", [log])


def _cross_entropy(logits: str, target: str, logits_shape: tuple[int, ...],
                   target_shape: tuple[int, ...]) -> Code:
    # chainrule's class axis is the last one and the mean runs over every other position;
    # torch's is axis 1, so anything but (N, C) logits is flattened to rows first.
    classes = logits_shape[-1]
    indices = target_shape != logits_shape
    if len(logits_shape) == 2:
        return _call("F.cross_entropy", [logits, f"{target}.long()" if indices else target])
    rows = f"({logits}).reshape(-1, {classes})"
    labels = f"({target}).reshape(-1).long()" if indices else f"({target}).reshape(-1, {classes})"
    return _call("F.cross_entropy", [rows, labels])


# --------------------------------------------------------------------------- numbers


def literal(value: Any) -> str:
    """A float, array or nested list as Python source (NaN and infinities as nan / inf)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, str):  # the API's "NaN", "Infinity", "-Infinity"
        return {"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}[value]
    number = float(value)
    if math.isnan(number):
        return "nan"
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    return repr(number)


def _header(expression: str) -> str:
    quoted = expression.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return f'''"""Exported by chainrule: the computation below, rebuilt with PyTorch.

{quoted.strip()}

Running it builds the same graph with torch tensors, calls backward(), and asserts that
every value and gradient equals the numbers chainrule computed (embedded below).
"""

import torch
import torch.nn.functional as F
from math import inf, nan

torch.set_default_dtype(torch.float64)


def check(what, actual, expected):
    """Fail unless torch's number(s) equal chainrule's (a missing gradient counts as 0)."""
    expected = torch.as_tensor(expected, dtype=torch.float64)
    actual = torch.zeros_like(expected) if actual is None else actual.detach()
    torch.testing.assert_close(actual, expected, rtol={RTOL!r}, atol={ATOL!r}, equal_nan=True,
                               msg=lambda m: f"{{what}}: PyTorch and chainrule differ\\n{{m}}")
'''


def _leaf(value: Any) -> str:
    return f"torch.tensor({literal(value)}, requires_grad=True)"


def _analysis_check(graph: Graph, names: dict[int, str], analysis: Mapping[str, Any],
                    resolved: Mapping[str, Any]) -> str:
    nodes = {n["id"]: n for n in analysis["nodes"]}
    lines = ["# The inputs: leaf tensors, so backward() fills their .grad",
             "inputs = {"]
    lines += [f"    {names[i]!r}: {_leaf(resolved[name])}," for name, i in graph.inputs.items()]
    lines += ["}", "values = forward(**inputs)"]
    out_label = dict(_checked_nodes(graph))[graph.output]
    for i, label in _checked_nodes(graph):
        if graph.nodes[i].kind != INPUT or i == graph.output:
            lines.append(f"check({f'value of {label}'!r}, values[{label!r}], "
                         f"{literal(nodes[f'n{i}']['value'])})")
    output = f"values[{out_label!r}]"
    if analysis["nodes"][graph.output]["shape"]:
        lines.append(f"# The output is not a scalar: chainrule differentiates sum({out_label})")
        output += ".sum()"
    if _reaches_inputs(graph, graph.output):
        lines.append(f"{output}.backward()")
    else:
        lines.append("# The output does not depend on any input: no backward pass, every gradient is 0")
    for name, i in graph.inputs.items():
        lines.append(f"check({f'd {out_label}/d {name}'!r}, inputs[{names[i]!r}].grad, "
                     f"{literal(analysis['gradients'][name])})")
    return "\n".join(lines) + "\n"


def _reaches_inputs(graph: Graph, index: int) -> bool:
    """Whether any input flows into node ``index`` (else torch has no graph to go back along)."""
    reaches = [False] * (index + 1)
    for node in graph.nodes[: index + 1]:
        reaches[node.index] = node.kind == INPUT or any(reaches[a] for a in node.args)
    return reaches[index]


# --------------------------------------------------------------------------- training


def _training_check(expression: str, values: Mapping[str, Any], output: str | None,
                    training: Mapping[str, Any], names: dict[int, str],
                    columns: Mapping[str, np.ndarray], scalar: bool) -> str:
    keys = ("params", "data", "dataset", "optimizer", "steps", "seed", "batch_size")
    result = train(expression, values, output=output, explain=False, per_example=False,
                   **{k: training[k] for k in keys if k in training})
    graph = cached_program(expression, output).graph
    var = {name: names[i] for name, i in graph.inputs.items()}
    params = list(result["final_params"])
    spec = OPTIMIZERS[result["optimizer"]["name"]]
    hyper = ", ".join(f"{k}={_hyper_literal(v)}" for k, v in result["optimizer"]["hyper"].items())
    trajectory = [{"loss": s["loss"], "params": s["params"], "grads": s["grads"],
                   **({"batch": s["batch"]} if "batch" in s else {})} for s in result["trajectory"]]
    stepped = len(trajectory) - (1 if result["stopped"] == "diverged" else 0)
    out_label = dict(_checked_nodes(graph))[graph.output]
    total = "" if scalar else ".sum()"  # a tensor output is trained as its sum, as chainrule does
    lines = [
        f"# Training: {spec.torch} on {', '.join(params)}, {len(trajectory)} steps; each step's",
        "# loss, params (before the update) and gradients are chainrule's trajectory.",
        "inputs = {",
        *[f"    {var[n]!r}: {_leaf(v) if n in params else f'torch.tensor({literal(v)})'},"
          for n, v in engine.resolve_values({**values, **columns}, graph.input_names).items()
          if n not in columns],
        "}",
        "data = {",
        *[f"    {var[c]!r}: torch.tensor({literal(a)})," for c, a in columns.items()],
        "}",
        f"optimizer = {spec.torch}([{', '.join(f'inputs[{var[p]!r}]' for p in params)}], {hyper})",
        f"TRAJECTORY = {_trajectory_literal(trajectory)}",
        "for k, step in enumerate(TRAJECTORY):",
        "    optimizer.zero_grad()",
        "    batch = {c: column[step['batch']] for c, column in data.items()} if 'batch' in step else data",
        *[f"    check(f'step {{k}}: {p}', inputs[{var[p]!r}], step['params'][{p!r}])" for p in params],
        f"    loss = forward(**inputs, **batch)[{out_label!r}]{total}",
        "    check(f'step {k}: loss', loss, step['loss'])",
        *(["    loss.backward()"] if _reaches_inputs(graph, graph.output) else []),
        *[f"    check(f'step {{k}}: grad of {p}', inputs[{var[p]!r}].grad, step['grads'][{p!r}])"
          for p in params],
        f"    if k < {stepped}:",
        "        optimizer.step()",
        *[f"check('final {p}', inputs[{var[p]!r}], {literal(result['final_params'][p])})" for p in params],
        "with torch.no_grad():",
        f"    check('final loss', forward(**inputs, **data)[{out_label!r}]{total}, "
        f"{literal(result['final_loss'])})",
    ]
    return "\n".join(lines) + "\n"


def _hyper_literal(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "(" + ", ".join(_hyper_literal(v) for v in value) + ")"
    return repr(value) if isinstance(value, bool | int) else literal(value)


def _trajectory_literal(trajectory: list[dict[str, Any]]) -> str:
    def item(value: Any) -> str:
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k!r}: {item(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list) and value and isinstance(value[0], int) and not isinstance(value[0], bool):
            return repr(value)  # a batch's row indices
        return literal(value)
    return "[\n" + "".join(f"    {item(step)},\n" for step in trajectory) + "]"
