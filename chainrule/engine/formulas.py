"""The formula-text language of the op table, and writing formulas out over a graph's labels.

Each op carries its forward formula and one local-derivative formula per argument as
templates (``Op.formula``, ``Op.local_formulas``), in which

- ``{0}``, ``{1}``, ... is the label of argument 0, 1, ... as it is (``w * x``);
- ``{p0}``, ``{p1}``, ... is the same label as an operand: in parentheses unless it is a
  plain name or number (``(w * x)`` but ``w``);
- ``{out}`` is the label of the op's result.

So ``"{p0} * {p1}"`` over the labels ``w`` and ``x + 1`` reads ``w * (x + 1)``, and
``"1/{p1}"`` reads ``1/(x + 1)``. A template is compiled once, when its op is registered,
into :data:`Pieces` (text, or the position of a word), so writing it for each node of a
graph is a join (:func:`fill`) rather than a parse of the template.
"""

from __future__ import annotations

import re
import string

#: A compiled template: literal text, or the index of a word in (labels..., operands..., output).
Pieces = tuple[str | int, ...]

_ATOMIC = re.compile(r"[\w.#]+").fullmatch


def parenthesized(label: str) -> str:
    """A label as an operand: in parentheses unless it is a plain name or number."""
    if " " in label:  # a binary operation's formula: skip the pattern
        return f"({label})"
    return label if _ATOMIC(label) and label[0] != "-" else f"({label})"


def compile_template(template: str, arity: int) -> Pieces:
    """``"{p0} * {p1}"`` -> ``(2, " * ", 3)`` for arity 2: labels are words 0..arity-1,
    operands arity..2·arity-1, the output 2·arity."""
    for k in range(arity):
        template = template.replace(f"{{p{k}}}", f"{{{arity + k}}}")
    template = template.replace("{out}", f"{{{2 * arity}}}")
    out: list[str | int] = []
    for text, field_name, _, _ in string.Formatter().parse(template):
        if text:
            out.append(text)
        if field_name is not None:
            out.append(int(field_name))
    return tuple(out)


def words_for(args: tuple[int, ...], labels: list[str], operands: list[str], out: str) -> list[str]:
    """The words a compiled template refers to, for a node whose arguments are ``args``:
    their labels, then the same as operands, then the node's own label."""
    words = [labels[a] for a in args]
    for a in args:
        words.append(operands[a])
    words.append(out)
    return words


def fill(pieces: Pieces, words: list[str]) -> str:
    """A formula from its compiled template: text as it is, positions as words."""
    if len(pieces) == 1:
        piece = pieces[0]
        return piece if isinstance(piece, str) else words[piece]
    return "".join([piece if isinstance(piece, str) else words[piece] for piece in pieces])


def fill_formula(template: str, labels: list[str], out: str = "") -> str:
    """A template written out over argument labels (compiling it first)."""
    return fill(compile_template(template, len(labels)), [*labels, *map(parenthesized, labels), out])
