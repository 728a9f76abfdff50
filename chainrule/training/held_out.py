"""Accuracy of a trained classifier: on the training rows, and on a dataset's held-out rows.

The classes a program predicts are the argmax over axis 1 of its *prediction*: the
statement the request names in ``predict`` or, by default, the logits a
``cross_entropy(logits, <label column>)`` in the program is given. They are compared with
the dataset's label column (the registry's ``label``); a dataset with ``test_rows`` is
also evaluated on those rows, which training never sees. All with the final params, once,
after the last update. See docs/digits.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from chainrule.engine import Program
from chainrule.engine.encode import encode
from chainrule.engine.graph import INPUT
from chainrule.engine.notices import Notice
from chainrule.errors import ChainruleError
from chainrule.training.datasets import DatasetSpec, dataset_spec, make_dataset, split_rows

#: Held-out rows sent back with their pixels and predicted class, for a dataset of pictures.
PICTURES_SHOWN = 12


def prediction_node(program: Program, predict: str | None, label: str) -> int | None:
    """The node whose argmax is the predicted class: the statement named ``predict``, else
    the first argument of a ``cross_entropy`` whose target is the input ``label``."""
    nodes = program.graph.nodes
    if predict is not None:
        named = [n.index for n in nodes if n.name == predict and n.kind != INPUT]
        if not named:
            raise ChainruleError("bad_value", f"predict names no statement: {predict!r}",
                                 params={"field": "predict", "reason": "unknown_name"})
        return named[-1]
    for node in nodes:
        if node.op_name == "cross_entropy" and len(node.args) == 2:
            target = nodes[node.args[1]]
            if target.kind == INPUT and target.name == label:
                return node.args[0]
    return None


def classes_of(program: Program, node: int, env: Mapping[str, Any]) -> np.ndarray | None:
    """The predicted class of each row (argmax over axis 1), or None when the prediction
    is not a (rows, classes) table."""
    value = program.run(dict(env), backward=False).values[node]
    if not isinstance(value, np.ndarray) or value.ndim != 2:
        return None
    return np.argmax(value, axis=1)


def accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(predicted == labels.astype(np.int64)))


def evaluate(program: Program, predict: str | None, dataset: str | Mapping[str, Any] | None,
             env: Mapping[str, Any], warnings: dict[str, None]) -> dict[str, Any]:
    """``train_accuracy``, ``test_accuracy`` and ``test`` (held-out loss, rows, pictures) of
    the response; each None when it does not apply. ``env`` holds the final params, the
    other inputs and the training columns."""
    out: dict[str, Any] = {"train_accuracy": None, "test_accuracy": None, "test": None}
    spec = dataset_spec(dataset) if dataset is not None else None
    if predict is not None and (spec is None or spec.label is None):
        raise ChainruleError("bad_value", "predict needs a classification dataset (with a label column)",
                             params={"field": "predict", "reason": "no_label"})
    if spec is None or spec.label is None or dataset is None:
        return out
    node = prediction_node(program, predict, spec.label)
    train_rows, test_rows = split_rows(dataset, make_dataset(dataset))
    if node is not None:
        predicted = classes_of(program, node, env)
        if predicted is None:
            warnings.setdefault(Notice("no_accuracy"))
            node = None
        else:
            out["train_accuracy"] = accuracy(predicted, train_rows[spec.label])
    if test_rows:
        out.update(_held_out(program, node, spec, test_rows, env))
    return out


def _held_out(program: Program, node: int | None, spec: DatasetSpec, test_rows: dict[str, np.ndarray],
              env: Mapping[str, Any]) -> dict[str, Any]:
    used = {c: a for c, a in test_rows.items() if c in program.input_names}
    run = program.run({**env, **used}, backward=False)
    test: dict[str, Any] = {"rows": spec.test_rows, "loss": encode(run.loss), "predict": None,
                            "pictures": None}
    result: dict[str, Any] = {"test": test}
    if node is None:
        return result
    predicted = np.argmax(run.values[node], axis=1)
    labels = test_rows[spec.label].astype(np.int64)  # type: ignore[index]
    result["test_accuracy"] = accuracy(predicted, labels)
    test["predict"] = program.graph.labels()[node]
    if spec.image is not None and spec.image_column is not None:
        first = spec.n - spec.test_rows
        test["pictures"] = {
            "shape": list(spec.image),
            "items": [{"row": first + i, "pixels": encode(test_rows[spec.image_column][i]),
                       "label": int(labels[i]), "predicted": int(predicted[i])}
                      for i in range(min(PICTURES_SHOWN, len(labels)))],
        }
    return result
