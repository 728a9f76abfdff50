"""Where the notebook's training panel starts: which inputs it trains and at what learning
rate, so that the first Step already shows learning (as the app's examples do)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chainrule.errors import ChainruleError
from chainrule.examples import EXAMPLES
from chainrule.training.examples import TRAINING_EXAMPLES
from chainrule.training.train import train

#: Inputs read as data or targets, never trained by default (the names the examples and the
#: course use for them).
DATA_NAMES = frozenset({"x", "X", "y", "Y", "y_true", "target", "targets", "label", "labels", "images",
                        "idx", "mask", "data", "inputs"})
#: Learning rates tried, largest first: the first that lowers the loss in a few steps is kept.
LEARNING_RATES = (0.1, 0.03, 0.01, 0.003, 0.001)
PROBE_STEPS = 5


def _same_source(example: Mapping[str, Any], expression: str) -> bool:
    return " ".join(str(example["expression"]).replace(";", "\n").split()) == \
        " ".join(expression.replace(";", "\n").split())


def training_defaults(expression: str, values: Mapping[str, Any], inputs: Sequence[str],
                      params: Sequence[str] | None = None,
                      optimizer: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``{"params": [...], "optimizer": {...}}`` for the panel: what was asked; else a built-in
    example's own settings when the expression is one; else every input that is not data,
    with SGD at the largest of :data:`LEARNING_RATES` whose first steps lower the loss."""
    for example in [*TRAINING_EXAMPLES, *EXAMPLES]:
        if _same_source(example, expression) and "optimizer" in example:
            params = params if params is not None else example.get("params")
            optimizer = optimizer if optimizer is not None else example["optimizer"]
            break
    chosen = list(params) if params is not None else [n for n in inputs if n not in DATA_NAMES]
    if optimizer is None:
        optimizer = {"name": "sgd", "lr": _learning_rate(expression, values, chosen)}
    return {"params": chosen, "optimizer": dict(optimizer)}


def _learning_rate(expression: str, values: Mapping[str, Any], params: list[str]) -> float:
    if not params:
        return LEARNING_RATES[0]
    for lr in LEARNING_RATES:
        try:
            run = train(expression, values, params, optimizer={"name": "sgd", "lr": lr},
                        steps=PROBE_STEPS, explain=False)
        except ChainruleError:
            return LEARNING_RATES[0]
        losses = [step["loss"] for step in run["trajectory"]]
        finite = all(isinstance(v, float) for v in [*losses, run["final_loss"]])
        if finite and not run["warnings"] and run["final_loss"] < losses[0]:
            return lr
    return LEARNING_RATES[-1]
