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

import ast
import keyword
import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule import engine
from chainrule.engine import spelling
from chainrule.engine.graph import CONST, INPUT, Graph, Node
from chainrule.engine.ops import Op
from chainrule.programs import cached_program
from chainrule.training.inputs import load_data
from chainrule.training.optimizers import OPTIMIZERS
from chainrule.training.train import train

#: Tolerances of the script's asserts (torch and numpy round differently in the last bits).
RTOL = 1e-6
ATOL = 1e-9
#: The module-level names forward() reads; an input or statement named so is renamed.
RESERVED = frozenset({"torch", "F", "inf", "nan"})
#: Nested inline expressions deeper than this get a variable (the printer recurses per level).
MAX_INLINE_DEPTH = 40
#: A constant is written as an integer (``x ** 2``) when it is one of at most this magnitude.
MAX_INTEGER_LITERAL = 2**31


@dataclass
class Code:
    """A node written as Python: its expression tree, and, for a constant that is still a
    plain number (a tensor only when an operation needs one), that number."""

    tree: ast.expr
    number: float | None = None
    depth: int = 0

    @property
    def simple(self) -> bool:
        return self.number is not None or isinstance(self.tree, ast.Name)


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
    params = frozenset(training.get("params") or ()) if training is not None else frozenset()
    integers = integer_inputs(graph, shapes, exclude=params)
    parts = [_header(expression), _forward_function(graph, names, shapes, integers),
             _analysis_check(graph, names, analysis, resolved, integers)]
    if training is not None:
        parts.append(_training_check(expression, values, output, training, names, columns,
                                     integers, scalar=not analysis["nodes"][graph.output]["shape"]))
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
    """A free Python name for ``base``. Python reads identifiers in NFKC form (a fullwidth x
    is x, the ligature fi is fi, the Kelvin sign is K), so names are compared and written in
    that form."""
    name = unicodedata.normalize("NFKC", base)
    name = name if name.isidentifier() and not keyword.iskeyword(name) else "v"
    candidate, k = name, 1
    while candidate in taken:
        k += 1
        candidate = f"{name}_{k}"
    taken.add(candidate)
    return candidate


# --------------------------------------------------------------------------- the forward pass


def _forward_function(graph: Graph, names: dict[int, str], shapes: list[tuple[int, ...]],
                      integers: frozenset[int]) -> str:
    """``def forward(<inputs>): ...`` returning every named value and the output."""
    uses = [0] * len(graph.nodes)
    for node in graph.nodes:
        for a in node.args:
            uses[a] += 1
    taken = set(RESERVED) | set(names.values())
    code: dict[int, Code] = {}
    body: list[str] = []
    temporaries = iter(range(1, len(graph.nodes) + 1))

    def variable(index: int, written: Code) -> Code:
        if index not in names:
            names[index] = _fresh(f"t{next(temporaries)}", taken)
        body.append(f"    {names[index]} = {ast.unparse(_as_tensor(written))}")
        return Code(ast.Name(names[index]))

    for node in graph.nodes:
        if node.kind == INPUT:
            code[node.index] = Code(ast.Name(names[node.index]))
            continue
        if node.kind == CONST:
            written = _constant(node.const)
        else:
            for a in _repeated_args(node, shapes):
                if not code[a].simple:
                    code[a] = variable(a, code[a])
            written = _operation(node, shapes, code, integers)
        needs_variable = (node.index in names or node.index == graph.output
                          or (node.kind != CONST and uses[node.index] > 1)
                          or written.depth > MAX_INLINE_DEPTH)
        code[node.index] = variable(node.index, written) if needs_variable else written
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


def integer_inputs(graph: Graph, shapes: list[tuple[int, ...]],
                   exclude: frozenset[str] = frozenset()) -> frozenset[int]:
    """The inputs that hold class indices and nothing else: the script makes them
    ``torch.long`` tensors without gradients, as PyTorch code writes labels."""
    index_uses: dict[int, int] = {}
    other_uses: set[int] = {graph.output}
    for node in graph.nodes:
        for k, a in enumerate(node.args):
            if _is_index_argument(node, k, shapes):
                index_uses[a] = index_uses.get(a, 0) + 1
            else:
                other_uses.add(a)
    return frozenset(i for name, i in graph.inputs.items()
                     if i in index_uses and i not in other_uses and name not in exclude)


def _is_index_argument(node: Node, k: int, shapes: list[tuple[int, ...]]) -> bool:
    targets = node.op.torch.targets if node.op is not None else None
    return k == targets and shapes[node.args[k]] != shapes[node.args[0]]


def _repeated_args(node: Node, shapes: list[tuple[int, ...]]) -> list[int]:
    """The arguments the op's template writes more than once (given a variable first)."""
    assert node.op is not None
    placeholders = spelling.fields(_template(node, shapes))
    return [a for k, a in enumerate(node.args) if placeholders.count(str(k)) > 1]


def _template(node: Node, shapes: list[tuple[int, ...]]) -> str:
    assert node.op is not None
    torch = node.op.torch
    if torch.several_axes and len(_axes_of(node, shapes)) > 1:
        return torch.several_axes
    return torch.template


def _kwargs(node: Node) -> dict[str, Any]:
    assert node.op is not None
    return {**node.op.kwargs, **node.kwargs}


def _axes_of(node: Node, shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    """The axes the node's ``axis=`` names, non-negative and sorted (every axis for None)."""
    ndim = len(shapes[node.args[0]])
    axis = _kwargs(node).get("axis")
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted({a % ndim for a in items})) if ndim else ()


def _words(node: Node, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    """The values of the keyword placeholders (chainrule.engine.spelling); None: leave out."""
    kwargs = _kwargs(node)
    ndim = len(shapes[node.args[0]]) if node.args else 0
    axes = _axes_of(node, shapes) if node.args else ()
    dims: Any = (axes[0] if len(axes) == 1 else axes) if ndim else 0
    keepdim = bool(kwargs.get("keepdims")) and ndim > 0
    every = "axis" not in kwargs or (kwargs.get("axis") is None and not keepdim) or not ndim
    order = kwargs.get("axes")
    return {**kwargs,  # any other keyword argument stands for its own value ({eps}, {stride}...)
            "dims": dims, "dim": None if every else dims, "keepdim": True if keepdim else None,
            "order": tuple(order) if order is not None else tuple(reversed(range(ndim)))}


def _operation(node: Node, shapes: list[tuple[int, ...]], code: dict[int, Code],
               integers: frozenset[int]) -> Code:
    assert node.op is not None
    torch = node.op.torch
    args = [code[a] for a in node.args]
    if torch.targets is not None:
        args = _class_targets(node, shapes, args, integers)
    tree = _fill(_template(node, shapes), args, _words(node, shapes))
    return Code(tree, depth=1 + max((a.depth for a in args), default=0))


def _class_targets(node: Node, shapes: list[tuple[int, ...]], args: list[Code],
                   integers: frozenset[int]) -> list[Code]:
    """chainrule's class axis is the last one, torch's the second: logits of more than two
    axes are flattened to rows; class indices become integers."""
    assert node.op is not None and node.op.torch.targets is not None
    k = node.op.torch.targets
    logits, target = shapes[node.args[0]], shapes[node.args[k]]
    out = list(args)
    if target != logits:  # class indices
        given = args[k]
        if given.number is not None:
            out[k] = Code(_parse(f"torch.tensor({int(given.number)})"))
        elif node.args[k] not in integers:
            out[k] = Code(_fill("{0}.long()", [given], {}), depth=given.depth)
    if len(logits) > 2:
        rows = "{0}.reshape(-1)" if target != logits else f"{{0}}.reshape(-1, {logits[-1]})"
        out[0] = Code(_fill(f"{{0}}.reshape(-1, {logits[-1]})", [out[0]], {}), depth=out[0].depth)
        out[k] = Code(_fill(rows, [out[k]], {}), depth=out[k].depth)
    return out


# --------------------------------------------------------------------------- templates


def torch_source(op: Op, args: Sequence[str]) -> str:
    """Python source of ``op`` applied to the variables ``args`` as the export writes it (for
    an op without axis keywords): the differential tests' torch twin of a new elementwise op."""
    return ast.unparse(_fill(op.torch.template, [Code(ast.Name(a)) for a in args], {}))

_NOTHING = "_chainrule_nothing_"


def _parse(source: str) -> ast.expr:
    return ast.parse(source, mode="eval").body


def _fill(template: str, args: list[Code], words: Mapping[str, Any]) -> ast.expr:
    """The template's tree with each placeholder replaced by an argument's tree (the printer
    adds the parentheses precedence needs), numbers made tensors where torch needs them, and
    keyword arguments whose value is None left out."""
    numbers: dict[int, float] = {}
    inserted: set[int] = set()

    class Substitute(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.expr:
            if not node.id.startswith(spelling.PREFIX):
                return node
            key = node.id[len(spelling.PREFIX):]
            if key.isdigit():
                # the argument's own tree, not a copy: an inline node has one consumer, and a
                # shared one (a variable, a number) is never changed in place
                arg = args[int(key)]
                if arg.number is not None:
                    numbers[id(arg.tree)] = arg.number
                inserted.add(id(arg.tree))
                return arg.tree
            value = words[key]
            return ast.Name(_NOTHING) if value is None else _parse(repr(value))

        def visit_Call(self, node: ast.Call) -> ast.Call:
            self.generic_visit(node)
            node.keywords = [k for k in node.keywords
                             if not (isinstance(k.value, ast.Name) and k.value.id == _NOTHING)]
            return node

    tree = Substitute().visit(spelling.parse(template))
    _settle(tree, numbers, inserted)
    return tree


def _settle(node: ast.AST, numbers: dict[int, float], inserted: set[int]) -> bool:
    """Make tensors of the plain numbers torch cannot take where they stand: a call's
    argument, an element of a tuple of tensors, an attribute's owner, the left of an operator
    between two numbers. Returns
    whether ``node`` is still a plain number; the arguments' trees are settled already."""
    if id(node) in numbers:
        return True
    if id(node) in inserted:
        return False
    if isinstance(node, ast.BinOp):
        left, right = _settle(node.left, numbers, inserted), _settle(node.right, numbers, inserted)
        if left and right:
            node.left = _tensor(numbers[id(node.left)])
        return False
    if isinstance(node, ast.UnaryOp):
        if _settle(node.operand, numbers, inserted):
            node.operand = _tensor(numbers[id(node.operand)])
        return False
    if isinstance(node, ast.Call):
        _settle(node.func, numbers, inserted)
        node.args = [_tensor(numbers[id(a)]) if _settle(a, numbers, inserted) else a for a in node.args]
        for keyword_ in node.keywords:
            _settle(keyword_.value, numbers, inserted)
        return False
    if isinstance(node, ast.Tuple):  # torch.cat((a, 2.0)): every element a tensor
        node.elts = [_tensor(numbers[id(e)]) if _settle(e, numbers, inserted) else e for e in node.elts]
        return False
    if isinstance(node, ast.Attribute):
        if _settle(node.value, numbers, inserted):
            node.value = _tensor(numbers[id(node.value)])
        return False
    for child in ast.iter_child_nodes(node):
        _settle(child, numbers, inserted)
    return False


def _constant(value: float) -> Code:
    """A constant as a plain Python number: an integer when it is one (``x ** 2``), else the
    float as Python writes it; ``inf``/``nan`` read the script's imports."""
    if math.isfinite(value) and value == int(value) and abs(value) < MAX_INTEGER_LITERAL:
        tree: ast.expr = ast.Constant(abs(int(value)))
    else:
        tree = _parse(literal(abs(value)) if not math.isnan(value) else "nan")
    if math.copysign(1.0, value) < 0 and not math.isnan(value):
        tree = ast.UnaryOp(ast.USub(), tree)
    return Code(tree, number=value)


def _tensor(value: float) -> ast.expr:
    """``torch.tensor(<float>)``: a float64 tensor (torch.tensor(2) would be an integer)."""
    return _parse(f"torch.tensor({literal(value)})")


def _as_tensor(code: Code) -> ast.expr:
    return _tensor(code.number) if code.number is not None else code.tree


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


def _docstring_text(text: str) -> str:
    """``text`` for the inside of a triple-quoted string: backslashes and quotes escaped, and
    every character Python source cannot hold as it is (NUL, other controls, lone
    surrogates) as an escape that means the same character."""
    out = []
    for ch in text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"'):
        if ch in "\n\t" or (ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF):
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def _header(expression: str) -> str:
    quoted = _docstring_text(expression)
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


def _labels(value: Any) -> str:
    """Class indices as PyTorch code holds them: an integer (torch.long) tensor."""
    return f"torch.tensor({np.asarray(value, dtype=np.float64).astype(np.int64).tolist()!r})"


def _input(value: Any, index: int, integers: frozenset[int]) -> str:
    return _labels(value) if index in integers else _leaf(value)


def _analysis_check(graph: Graph, names: dict[int, str], analysis: Mapping[str, Any],
                    resolved: Mapping[str, Any], integers: frozenset[int]) -> str:
    nodes = {n["id"]: n for n in analysis["nodes"]}
    lines = ["# The inputs: leaf tensors, so backward() fills their .grad"
             + ("; class indices are integer tensors, with no gradient" if integers else ""),
             "inputs = {"]
    lines += [f"    {names[i]!r}: {_input(resolved[name], i, integers)},"
              for name, i in graph.inputs.items()]
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
        if i not in integers:
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
                    columns: Mapping[str, np.ndarray], integers: frozenset[int], scalar: bool) -> str:
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
        *[f"    {var[n]!r}: {_constant_input(n, v, params, graph.inputs[n], integers)},"
          for n, v in engine.resolve_values({**values, **columns}, graph.input_names).items()
          if n not in columns],
        "}",
        "data = {",
        *[f"    {var[c]!r}: {_constant_input(c, a, [], graph.inputs[c], integers)},"
          for c, a in columns.items()],
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


def _constant_input(name: str, value: Any, params: list[str], index: int,
                    integers: frozenset[int]) -> str:
    if name in params:
        return _leaf(value)
    return _labels(value) if index in integers else f"torch.tensor({literal(value)})"


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
