"""The op table's PyTorch spellings (``Op.torch``): checked when an op is registered."""

from __future__ import annotations

import pytest

from chainrule.engine.ops import OPS
from chainrule.engine.spelling import Torch


@pytest.mark.parametrize(("spelling", "arity", "problem"), [
    (Torch(""), 1, "needs its torch template"),
    (Torch("torch.tanh({1})"), 1, "unknown placeholder {1}"),
    (Torch("torch.sum({0}, dim={axis})"), 1, "unknown placeholder {axis}"),
    (Torch("torch.tanh({0}"), 1, "never closed"),
    (Torch("F.cross_entropy({0}, {1})", targets=0), 2, "targets=0"),
])
def test_a_bad_spelling_is_refused_at_registration(spelling: Torch, arity: int, problem: str) -> None:
    with pytest.raises((ValueError, SyntaxError), match=problem.replace("{", r"\{").replace("(", r"\(")):
        spelling.check(arity)


def test_a_keyword_argument_of_the_op_is_a_placeholder() -> None:
    Torch("F.leaky_relu({0}, {negative_slope})").check(1, ("negative_slope",))
    with pytest.raises(ValueError, match="unknown placeholder"):
        Torch("F.leaky_relu({0}, {slope})").check(1, ("negative_slope",))


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_has_a_spelling_that_checks(name: str) -> None:
    OPS[name].torch.check(OPS[name].arity, tuple(OPS[name].kwargs))
