"""Graph building: the parser's calls -> a DAG of plain nodes in topological order.

Nodes are appended only after their arguments exist, so creation order *is* a topological
order: no sort (recursive or not) is ever needed, however long the chain. Every free name
is one input node, however often it is used, so shared sub-expressions form a DAG.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from chainrule.config import LIMITS, env_name
from chainrule.engine.formulas import fill, parenthesized, words_for
from chainrule.engine.ops import Op
from chainrule.engine.parser import NO_KWARGS, Source, parse
from chainrule.errors import ChainruleError, did_you_mean, suggestions

INPUT: Final = "input"
CONST: Final = "const"
OP: Final = "op"
LABEL_MAX_CHARS: Final = 14  # longer sub-expressions are labelled t1, t2, ... instead of spelled out


class Node:
    """One vertex: an input, a constant, or an operation applied to earlier nodes.

    A plain class with its own ``__init__``, not a dataclass: compiled by mypyc, this is a C
    constructor, while a dataclass's generated ``__init__`` would run as Python (what that
    costs per node: bench/README.md, "Speed tricks")."""

    __slots__ = (
        "args",
        "const",
        "index",
        "kind",
        "kwargs",
        "name",
        "op",
        "pos",
        "statement",
        "text",
    )

    def __init__(self, index: int, kind: str, op: Op | None, args: tuple[int, ...],
                 kwargs: Mapping[str, Any], pos: int, name: str | None = None,
                 const: float = 0.0, text: str = "", statement: int = 0) -> None:
        self.index = index
        self.kind = kind  # INPUT | CONST | OP
        self.op = op
        self.args = args
        self.kwargs = kwargs
        self.pos = pos  # the token it came from, for errors (Source.line_col)
        self.name = name  # the input's name, or the name a statement assigns
        self.const = const
        self.text = text  # a constant's source text
        self.statement = statement  # which statement (0-based) created the node, for the UI

    def __repr__(self) -> str:
        return f"Node({self.index}, {self.kind}, {self.op_name}, args={self.args}, name={self.name})"

    @property
    def op_name(self) -> str:
        return self.op.name if self.op is not None else self.kind


@dataclass
class Graph:
    """The parsed DAG: nodes in topological order, the inputs, and the output node."""

    source: Source
    nodes: list[Node]
    inputs: dict[str, int]  # free name -> node index, in first-use order
    names: dict[str, int]  # every assigned name -> its (last) node
    output: int
    output_name: str | None
    _labels: list[str] | None = None
    _operands: list[str] | None = None  # labels parenthesized where needed as an operand
    _formulas: list[str | None] | None = None

    @property
    def input_names(self) -> list[str]:
        return list(self.inputs)

    def position(self, index: int) -> tuple[int, int]:
        return self.source.line_col(self.nodes[index].pos)

    def labels(self) -> list[str]:
        """What the UI shows for each node: its name, its number, or a short formula."""
        if self._labels is None:
            self._compute_labels()
        assert self._labels is not None
        return self._labels

    def operands(self) -> list[str]:
        """Each label as an operand of a formula: ``(w * x)`` but ``y``."""
        if self._operands is None:
            self._compute_labels()
        assert self._operands is not None
        return self._operands

    def formulas(self) -> list[str | None]:
        """Each operation written with its arguments' labels, e.g. ``w * x``."""
        if self._formulas is None:
            self._compute_labels()
        assert self._formulas is not None
        return self._formulas

    def _compute_labels(self) -> None:
        labels: list[str] = []
        operands: list[str] = []
        formulas: list[str | None] = []
        seen_names: dict[str, int] = {}
        temporaries = 0
        for node in self.nodes:
            op, name = node.op, node.name
            formula = None
            if op is not None:
                formula = fill(op.formula_pieces, words_for(node.args, labels, operands, ""))
            if name is not None:  # names (and name#2 for a reassigned one) need no parentheses
                count = seen_names[name] = seen_names.get(name, 0) + 1
                label = operand = name if count == 1 else f"{name}#{count}"
            elif formula is None:  # a constant
                label = node.text
                operand = parenthesized(label)
            elif len(formula) <= LABEL_MAX_CHARS:
                label = formula
                operand = parenthesized(label)
            else:
                temporaries += 1
                label = operand = f"t{temporaries}"
            labels.append(label)
            operands.append(operand)
            formulas.append(formula)
        self._labels, self._operands, self._formulas = labels, operands, formulas


class GraphBuilder:
    """Receives the parser's calls and appends nodes (see :class:`chainrule.engine.parser.Builder`)."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.inputs: dict[str, int] = {}
        self.env: dict[str, int] = {}
        self.last_assigned: str | None = None
        self.last_expression: int | None = None
        self.max_nodes = LIMITS.max_nodes
        self.statement = 0

    def _add(self, kind: str, op: Op | None, args: tuple[int, ...], kwargs: Mapping[str, Any],
             pos: int, name: str | None = None, const: float = 0.0, text: str = "") -> int:
        nodes = self.nodes
        index = len(nodes)
        if index >= self.max_nodes:
            raise ChainruleError(
                "limit_exceeded",
                f"the graph has more than {self.max_nodes} nodes (set {env_name('max_nodes')})",
            )
        nodes.append(Node(index, kind, op, args, kwargs, pos, name, const, text, self.statement))
        return index

    def name(self, name: str, pos: int) -> int:
        found = self.env.get(name)
        if found is not None:
            return found
        index = self._add(INPUT, None, (), NO_KWARGS, pos, name)
        self.env[name] = self.inputs[name] = index
        return index

    def number(self, value: float, text: str, pos: int) -> int:
        return self._add(CONST, None, (), NO_KWARGS, pos, None, value, text)

    def apply(self, op: Op, args: tuple[int, ...], kwargs: Mapping[str, Any], pos: int) -> int:
        return self._add(OP, op, args, kwargs, pos)

    def assign(self, name: str, ref: int, pos: int) -> None:
        node = self.nodes[ref]
        if node.kind == OP and node.name is None:
            node.name = name
        self.env[name] = ref
        self.last_assigned = name
        self.statement += 1

    def result(self, ref: int, pos: int) -> None:
        self.last_expression = ref
        self.statement += 1


def build_graph(text: str, output: str | None = None) -> Graph:
    """Parse ``text`` into a :class:`Graph` whose output is ``output`` (see API.md)."""
    builder = GraphBuilder()
    source = parse(text, builder)
    if output is not None:
        if output not in builder.env:
            known = sorted(builder.env)
            close = suggestions(output, known)
            raise ChainruleError("unknown_name", f"output {output!r} is not a name in the expression"
                                 f"{did_you_mean(close)} (names: {', '.join(known) or 'none'})",
                                 params={"name": output, "suggestions": close, "known": known})
        out, out_name = builder.env[output], output
    elif builder.last_assigned is not None:
        out, out_name = builder.env[builder.last_assigned], builder.last_assigned
    else:
        assert builder.last_expression is not None
        out, out_name = builder.last_expression, None
    names = {k: v for k, v in builder.env.items() if k not in builder.inputs or v != builder.inputs[k]}
    return Graph(source, builder.nodes, builder.inputs, names, out, out_name)
