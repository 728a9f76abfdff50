"""The inputs of a training run or a loss surface: which names are params, which are data
columns (inline ``data`` or a built-in ``dataset``), and the values of all the others."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from chainrule.engine import Program, resolve_values
from chainrule.engine.notices import Notice
from chainrule.errors import ChainruleError, did_you_mean, suggestions
from chainrule.training.datasets import make_dataset, split_rows


def check_param_names(params: Any, program: Program) -> list[str]:
    """``params`` as a list of distinct input names of ``program``, or ``bad_value``."""
    if isinstance(params, str) or not isinstance(params, Sequence) or not params:
        raise ChainruleError("bad_value", "params must be a non-empty list of input names",
                             params={"field": "params", "reason": "too_short", "min": 1})
    if not all(isinstance(p, str) for p in params):
        raise ChainruleError("bad_value", "params must be a list of input names (strings)",
                             params={"field": "params", "reason": "not_a_string"})
    if len(set(params)) != len(params):
        twice = sorted({p for p in params if params.count(p) > 1})
        raise ChainruleError("bad_value", "params lists a name twice",
                             params={"field": "params", "reason": "duplicate", "names": twice})
    unknown = [p for p in params if p not in program.input_names]
    if unknown:
        inputs = list(program.input_names)
        close = {p: s[0] for p in unknown if (s := suggestions(p, inputs, 1))}
        raise ChainruleError(
            "bad_value",
            f"param(s) {', '.join(unknown)} not inputs of the expression (its inputs: "
            f"{', '.join(inputs) or 'none'}){did_you_mean(sorted(set(close.values())))}",
            params={"field": "params", "reason": "unknown_name", "names": unknown, "known": inputs,
                    "suggestions": close},
        )
    return list(params)


def load_data(
    program: Program,
    data: Mapping[str, Any] | None,
    dataset: str | Mapping[str, Any] | None,
    warnings: dict[str, None],
) -> dict[str, np.ndarray]:
    """Inline ``data`` or a built-in ``dataset`` as arrays of equal length along axis 0,
    restricted to the columns the expression uses (others produce a warning). A dataset
    with a test split gives its training rows only (:func:`held_out_data` the others)."""
    if data is not None and dataset is not None:
        raise ChainruleError("bad_value", "give either data or dataset, not both",
                             params={"field": "dataset", "reason": "conflict", "other": "data"})
    if dataset is not None:
        columns: dict[str, Any] = split_rows(dataset, make_dataset(dataset))[0]
    elif data is not None:
        if not isinstance(data, Mapping):
            raise ChainruleError("bad_value", "data must map column names to arrays",
                                 params={"field": "data", "reason": "not_an_object"})
        columns = dict(data)
    else:
        return {}
    used = [c for c in columns if c in program.input_names]
    if dataset is None:  # a built-in dataset's spare columns (y and Y) are no news
        for c in columns:
            if c not in program.input_names:
                warnings.setdefault(Notice("unused_column", name=c))
    if dataset is None:
        for c in used:
            if not isinstance(columns[c], list):
                raise ChainruleError("bad_value", f"data column {c!r} must be a list of rows",
                                     params={"field": f"data.{c}", "reason": "not_a_list"})
        resolved = resolve_values({c: columns[c] for c in used}, used, field="data")
    else:
        resolved = {c: columns[c] for c in used}
    lengths = {}
    arrays: dict[str, np.ndarray] = {}
    for c in used:
        arr = resolved[c]
        if not isinstance(arr, np.ndarray) or arr.ndim == 0 or arr.shape[0] == 0:
            raise ChainruleError("bad_value", f"data column {c!r} must be a non-empty array",
                                 params={"field": f"data.{c}", "reason": "empty"})
        lengths[c] = arr.shape[0]
        arrays[c] = arr
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{c}: {n}" for c, n in lengths.items())
        raise ChainruleError("bad_value", f"data columns differ in length ({detail})",
                             params={"field": "data", "reason": "length_mismatch", "lengths": lengths})
    return arrays


def split_inputs(
    program: Program,
    values: Mapping[str, Any],
    params: Sequence[str],
    data: Mapping[str, Any] | None,
    dataset: str | Mapping[str, Any] | None,
    warnings: dict[str, None],
    role: str = "param",
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The data columns, and every other input resolved from ``values`` (params included).
    A data column can be neither a param nor also given in ``values``."""
    columns = load_data(program, data, dataset, warnings)
    for c in columns:
        if c in params:
            raise ChainruleError("bad_value", f"{c!r} is data, so it cannot be a {role}",
                                 params={"field": f"data.{c}", "reason": "conflict", "other": role})
        if c in values:
            raise ChainruleError("bad_value", f"{c!r} is given in both values and data",
                                 params={"field": f"values.{c}", "reason": "conflict", "other": "data"})
    fixed = [n for n in program.input_names if n not in columns]
    resolved = resolve_values({k: v for k, v in values.items() if k in fixed}, fixed)
    return columns, resolved


def held_out_data(program: Program, dataset: str | Mapping[str, Any] | None) -> dict[str, np.ndarray]:
    """The held-out rows of a dataset with a test split, restricted to the columns the
    expression uses; empty without one."""
    if dataset is None:
        return {}
    test = split_rows(dataset, make_dataset(dataset))[1]
    return {c: a for c, a in test.items() if c in program.input_names}
