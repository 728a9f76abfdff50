"""How an op is written in PyTorch: a template of Python source, stored on the op (``Op.torch``).

A template is one Python expression over placeholders:

- ``{0}``, ``{1}``, ...: the op's arguments;
- ``{dim}``: the axes of the op's ``axis=`` keyword as torch's ``dim`` (an int or a tuple),
  or nothing when the op reduces every axis of a tensor (``torch.sum(x)``);
- ``{dims}``: the same axes, always written out (for functions such as ``torch.logsumexp``
  that have no all-axes form);
- ``{keepdim}``: ``True`` when the op's ``keepdims=`` is true, else nothing;
- ``{order}``: the permutation of ``transpose`` (its ``axes=``, or every axis reversed);
- ``{name}`` for any keyword argument of the op (``{shape}``, ``{eps}``, ``{stride}``...): its
  value as a Python literal, or nothing when it is None.

A keyword argument whose placeholder is "nothing" is left out (``dim={dim}`` disappears).

The exporter (:mod:`chainrule.export.pytorch`) parses the template and puts each argument's
expression *tree* in place of its placeholder, then prints the whole tree with Python's
operator precedence. So a template never parenthesises its placeholders: write
``"{0} - {1}"`` and ``"torch.mean(torch.square({0} - {1}))"``; ``mse(a - b, c - a)`` still
prints ``torch.mean(torch.square(a - b - (c - a)))``. A number where torch needs a tensor
(a call's argument, both operands of an operator) is made one by the exporter.

Standard library only, and not compiled: the op table (compiled) only stores and checks it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache

#: The keyword placeholders a template may use (beside the argument numbers).
WORDS = frozenset({"dim", "dims", "keepdim", "order"})
#: The Python name a placeholder becomes while the template is parsed.
PREFIX = "_chainrule_"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Torch:
    """An op's PyTorch spelling.

    ``template``: the Python expression (see the module doc). ``several_axes``: the template
    used instead when ``{dim}`` names more than one axis (for functions that take a single
    ``dim``, such as ``torch.softmax``). ``targets``: the argument that holds classification
    targets, class indices or probabilities along the *last* axis of argument 0 (torch's class
    axis is the second, so the exporter flattens logits of more than two axes to rows, and
    writes class indices as ``torch.long`` tensors).
    """

    template: str
    several_axes: str = ""
    targets: int | None = None

    def check(self, arity: int, keywords: tuple[str, ...] = ()) -> None:
        """Fail at registration on a template that does not parse or names a wrong placeholder
        (``keywords``: the op's keyword arguments, each a placeholder for its value)."""
        if not self.template:
            raise ValueError("every op needs its torch template (torch=Torch(...))")
        for text in (self.template, self.several_axes):
            if not text:
                continue
            for field in fields(text):
                if not (field in WORDS or field in keywords or (field.isdigit() and int(field) < arity)):
                    raise ValueError(f"torch template {text!r}: unknown placeholder {{{field}}}")
            parse(text)
        if self.targets is not None and not 0 < self.targets < arity:
            raise ValueError(f"torch targets={self.targets} is not an argument after the first")


@cache
def fields(text: str) -> tuple[str, ...]:
    """The placeholders of a template, in order, with repeats."""
    return tuple(PLACEHOLDER.findall(text))


@cache
def source(text: str) -> str:
    """The template as Python source, a placeholder ``{x}`` as the name ``PREFIX + x``."""
    return PLACEHOLDER.sub(lambda m: PREFIX + m.group(1), text)


def parse(text: str) -> ast.expr:
    """The template as a fresh Python expression tree (parsing is faster than copying one)."""
    return ast.parse(source(text), mode="eval").body


__all__ = ["PREFIX", "WORDS", "Torch", "fields", "parse", "source"]
