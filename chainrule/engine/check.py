"""Gradient check: central finite differences beside the backprop gradients.

For each input, d(loss)/d(input) is estimated as (f(x + h) - f(x - h)) / 2h, element by
element (at most ``CHECK_MAX_ELEMENTS`` evenly spread elements of a large tensor, so the
check costs at most a few hundred forward passes).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.engine.autodiff import Program
from chainrule.engine.budget import check_budget
from chainrule.engine.values import Value
from chainrule.errors import ChainruleError

CHECK_MAX_ELEMENTS = 16  # elements checked per tensor input
STEP = 1e-6  # relative finite-difference step: near the cube root of float64's epsilon
REL_FLOOR = 1e-8  # denominators below this count as zero gradients


def relative_error(numeric: np.ndarray, backprop: np.ndarray) -> float:
    """max |n - b| / max(|n|, |b|, REL_FLOOR): < 1e-7 good, > 1e-2 wrong."""
    n, b = np.asarray(numeric, dtype=float), np.asarray(backprop, dtype=float)
    if n.size == 0:
        return 0.0
    with np.errstate(all="ignore"):
        err = np.abs(n - b) / np.maximum(np.maximum(np.abs(n), np.abs(b)), REL_FLOOR)
    err = np.where(n == b, 0.0, err)  # equal infinities agree
    return float(np.nanmax(err)) if not np.isnan(err).all() else float("nan")


def gradient_check(program: Program, values: dict[str, Value],
                   grads: dict[str, Value]) -> dict[str, dict[str, Any]]:
    """``{input: {"numeric", "backprop", "rel_error", "indices"?}}`` for every input."""
    report: dict[str, dict[str, Any]] = {}
    for name in program.input_names:
        try:
            report[name] = _check_input(program, values, grads, name)
        except ChainruleError as exc:
            if exc.code == "limit_exceeded":
                raise
            # e.g. class indices: x ± h is no longer a valid input, so there is no derivative
            report[name] = {"numeric": None, "backprop": _plain(grads[name]), "rel_error": None,
                            "skipped": f"not differentiable here: {exc.message}"}
    return report


def _plain(v: Value) -> Any:
    return float(v) if isinstance(v, float) else np.asarray(v).reshape(-1)[:CHECK_MAX_ELEMENTS].tolist()


def _check_input(program: Program, values: dict[str, Value], grads: dict[str, Value],
                 name: str) -> dict[str, Any]:
    x = values[name]
    if isinstance(x, float):
        numeric = _central_difference(program, values, name, None)
        return {"numeric": numeric, "backprop": float(grads[name]),
                "rel_error": relative_error(np.array(numeric), np.array(grads[name]))}
    flat = np.unique(np.linspace(0, x.size - 1, min(x.size, CHECK_MAX_ELEMENTS)).astype(int))
    numeric_t = np.array([_central_difference(program, values, name, int(i)) for i in flat])
    backprop_t = np.asarray(grads[name]).reshape(-1)[flat]
    entry: dict[str, Any] = {"numeric": numeric_t.tolist(), "backprop": backprop_t.tolist(),
                             "rel_error": relative_error(numeric_t, backprop_t)}
    if flat.size < x.size:
        entry["indices"] = [list(map(int, np.unravel_index(i, x.shape))) for i in flat]
    return entry


def _central_difference(program: Program, values: dict[str, Value], name: str,
                        flat_index: int | None) -> float:
    base = values[name]
    point = float(base) if flat_index is None else float(np.asarray(base).reshape(-1)[flat_index])
    h = STEP * max(1.0, abs(point))
    losses = []
    check_budget()
    for shift in (h, -h):
        if flat_index is None:
            moved: Value = point + shift
        else:
            moved = np.array(base, dtype=np.float64, copy=True)
            # by its index, not through reshape(-1): a copy of a Fortran-ordered array keeps
            # that order, and reshaping it would copy again and lose the write
            moved[np.unravel_index(flat_index, moved.shape)] = point + shift
        run = program.run({**values, name: moved}, backward=False)
        losses.append(run.loss)
    return (losses[0] - losses[1]) / (2 * h)
