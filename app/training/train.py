"""Step-through training: compile once, then forward/backward/update ``steps`` times.

``train(...)`` returns the JSON-ready dict of ``POST /api/train`` (see shared/API.md):
``trajectory[k]`` holds the params *before* update k with the loss and gradients there;
``final_params`` are the params after the last update and ``final_loss`` the loss at them,
evaluated on the full data. A diverging run (non-finite loss or gradient, or a loss that
blows up) stops early with a warning, never an error.

Optional fields beyond the contract (all additive):
- per step: ``epoch`` and ``batch`` (row indices) when mini-batching; ``example_losses`` and
  ``example_grads`` (each row of the batch on its own) when ``per_example`` is on; ``update``:
  per param, the update's arithmetic (for a tensor param, of its first element).
- top level: ``optimizer`` (resolved hyper-parameters and formula), ``steps_run``,
  ``stopped`` (null, "diverged" or "budget"), ``data_rows``, ``batch_size``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from app import engine as _engine
from app.config import LIMITS, env_name
from app.errors import ChainruleError, bad_value, limit_error
from app.training.batching import batches, check_batch_size
from app.training.datasets import make_dataset
from app.training.optimizers import explain_update, make_optimizer

#: A loss whose magnitude grows past this factor times max(|initial loss|, 1) has diverged.
DIVERGENCE_FACTOR = 1e6
# Limits (LIMITS.max_example_rows: per_example is on by default up to that many batch rows,
# and allowed up to it; LIMITS.max_trajectory_numbers) live in app/config.py.


def to_json(x: Any) -> Any:
    """A float or array as JSON: numbers / nested lists, non-finite as "NaN", "Infinity"."""
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return to_json(float(x))
        if np.isfinite(x).all():
            return x.tolist()
        return _nonfinite_list(x.tolist())
    x = float(x)
    if math.isfinite(x):
        return x
    return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")


def _nonfinite_list(v: Any) -> Any:
    if isinstance(v, list):
        return [_nonfinite_list(e) for e in v]
    return to_json(v)


def is_finite(x: Any) -> bool:
    if isinstance(x, np.ndarray):
        return bool(np.isfinite(x).all())
    return math.isfinite(x)


def node_count(program: Any) -> int:
    """The graph size used for work limits."""
    return int(program.node_count)


def _check_names(params: Any, program: Any) -> list[str]:
    if isinstance(params, str) or not isinstance(params, Sequence) or not params:
        raise ChainruleError("bad_value", "params must be a non-empty list of input names")
    if not all(isinstance(p, str) for p in params):
        raise ChainruleError("bad_value", "params must be a list of input names (strings)")
    if len(set(params)) != len(params):
        raise ChainruleError("bad_value", "params lists a name twice")
    unknown = [p for p in params if p not in program.input_names]
    if unknown:
        inputs = ", ".join(program.input_names) or "none"
        raise ChainruleError(
            "bad_value",
            f"param(s) {', '.join(unknown)} not inputs of the expression (its inputs: {inputs})",
        )
    return list(params)


def load_data(
    program: Any,
    data: Mapping[str, Any] | None,
    dataset: str | Mapping[str, Any] | None,
    warnings: dict[str, None],
) -> dict[str, np.ndarray]:
    """Inline ``data`` or a built-in ``dataset`` as arrays of equal length along axis 0,
    restricted to the columns the expression uses (others produce a warning)."""
    if data is not None and dataset is not None:
        raise ChainruleError("bad_value", "give either data or dataset, not both")
    if dataset is not None:
        columns: dict[str, Any] = make_dataset(dataset)
    elif data is not None:
        if not isinstance(data, Mapping):
            raise ChainruleError("bad_value", "data must map column names to arrays")
        columns = dict(data)
    else:
        return {}
    used = [c for c in columns if c in program.input_names]
    if dataset is None:  # a built-in dataset's spare columns (y and Y) are no news
        for c in columns:
            if c not in program.input_names:
                warnings.setdefault(f"data column {c!r} is not used by the expression")
    if dataset is None:
        for c in used:
            if not isinstance(columns[c], list):
                raise ChainruleError("bad_value", f"data column {c!r} must be a list of rows")
        resolved = _engine.resolve_values({c: columns[c] for c in used}, used)
    else:
        resolved = {c: columns[c] for c in used}
    lengths = {}
    arrays: dict[str, np.ndarray] = {}
    for c in used:
        arr = resolved[c]
        if not isinstance(arr, np.ndarray) or arr.ndim == 0 or arr.shape[0] == 0:
            raise ChainruleError("bad_value", f"data column {c!r} must be a non-empty array")
        lengths[c] = arr.shape[0]
        arrays[c] = arr
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{c}: {n}" for c, n in lengths.items())
        raise ChainruleError("bad_value", f"data columns differ in length ({detail})")
    return arrays


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ChainruleError("bad_value", f"{name} must be an integer, got {value!r}")
    if value < low:
        raise ChainruleError("bad_value", f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        env = "CHAINRULE_MAX_TRAIN_STEPS"
        raise limit_error(name, high, env, value)
    return value


def _elem(x: Any, index: tuple[int, ...] | None) -> Any:
    if x is None:
        return None
    if isinstance(x, np.ndarray):
        return float(x[index]) if x.ndim else float(x)
    return float(x)


def split_inputs(
    program: Any,
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
            raise ChainruleError("bad_value", f"{c!r} is data, so it cannot be a {role}")
        if c in values:
            raise ChainruleError("bad_value", f"{c!r} is given in both values and data")
    fixed = [n for n in program.input_names if n not in columns]
    resolved = _engine.resolve_values({k: v for k, v in values.items() if k in fixed}, fixed)
    return columns, resolved


def train(
    expression: str,
    values: Mapping[str, Any],
    params: Sequence[str],
    data: Mapping[str, Any] | None = None,
    optimizer: Mapping[str, Any] | None = None,
    steps: int = 100,
    seed: int = 0,
    batch_size: int | None = None,
    output: str | None = None,
    dataset: str | Mapping[str, Any] | None = None,
    per_example: bool | None = None,
    explain: bool = True,
    mistake: str | None = None,
) -> dict[str, Any]:
    """Train ``params`` of ``expression`` (its output is the loss); see the module doc."""
    if not isinstance(expression, str):
        raise ChainruleError("bad_value", "expression must be a string")
    if not isinstance(values, Mapping):
        raise ChainruleError("bad_value", "values must map input names to values")
    if mistake not in (None, "no_zero_grad"):
        raise bad_value("mistake", "not_allowed", f"must be no_zero_grad, got {mistake!r}",
                        allowed=["no_zero_grad"])
    steps = _check_int("steps", steps, 0, LIMITS.max_train_steps)
    seed = _check_int("seed", seed, 0)
    program = _engine.cached_program(expression, output)
    param_names = _check_names(params, program)
    warnings: dict[str, None] = {}  # an ordered set
    ignored: list[str] = []
    spec, opt = make_optimizer(optimizer, ignored)
    if ignored:
        warnings.setdefault(f"optimizer {spec.name!r} has no {', '.join(ignored)}: ignored")

    columns, resolved = split_inputs(program, values, param_names, data, dataset, warnings)
    for name in values:
        if name not in program.input_names:
            warnings.setdefault(f"value {name!r} is not used by the expression")
    n_rows = next(iter(columns.values())).shape[0] if columns else 0
    if batch_size is not None and not columns:
        raise ChainruleError("bad_value", "batch_size needs data to slice into batches")
    check_batch_size(batch_size, n_rows)
    rows = batch_size if batch_size is not None else n_rows
    if per_example is None:
        per_example = bool(columns) and rows <= LIMITS.max_example_rows
    elif per_example and (not columns or rows > LIMITS.max_example_rows):
        raise ChainruleError(
            "bad_value",
            f"per_example needs data in batches of at most {LIMITS.max_example_rows} rows",
        )

    size = node_count(program)
    work = steps * size * (1 + (rows if per_example else 0))
    if work > LIMITS.max_train_work:
        raise limit_error("steps x graph size", LIMITS.max_train_work, "CHAINRULE_MAX_TRAIN_WORK", work)
    p_elems = sum(np.size(resolved[p]) for p in param_names)
    if steps * p_elems * 2 > LIMITS.max_trajectory_numbers:
        raise ChainruleError(
            "limit_exceeded",
            f"the trajectory would hold {steps * p_elems * 2} numbers (steps x param "
            f"elements x 2), over the limit of {LIMITS.max_trajectory_numbers} "
            f"(set {env_name('max_trajectory_numbers')}); use fewer steps",
        )

    cur = {
        p: (
            np.array(resolved[p], dtype=np.float64)
            if isinstance(resolved[p], np.ndarray)
            else float(resolved[p])
        )
        for p in param_names
    }
    env = dict(resolved)
    env.update(columns)
    env.update(cur)
    sampler = batches(n_rows, batch_size, seed) if batch_size is not None else None
    budget_end = time.perf_counter() + LIMITS.request_budget_seconds
    records: list[tuple[Any, ...]] = []
    stopped: str | None = None
    loss_ref = None
    wrt = frozenset(param_names)
    piled: dict[str, Any] | None = None  # mistake no_zero_grad: the gradients never zeroed

    for k in range(steps):
        epoch = idx = None
        if sampler is not None:
            epoch, idx = next(sampler)
            for c, arr in columns.items():
                env[c] = arr[idx]
        run = program.run(env, wrt=wrt, record_edges=False)
        loss = run.loss
        ig = run.input_grads
        grads = {p: ig[p] for p in param_names}
        if mistake == "no_zero_grad":
            grads = piled = forgotten_zero_grad(piled, grads)
        for w in run.warnings:
            warnings.setdefault(w)
        examples = _per_example(program, env, columns, idx, n_rows, param_names) if per_example else None
        if not math.isfinite(loss):
            records.append((loss, cur, grads, epoch, idx, examples, None))
            stopped = "diverged"
            warnings.setdefault(
                f"diverged at step {k}: the loss is {to_json(loss)}; try a smaller learning rate"
            )
            break
        if loss_ref is None:
            loss_ref = max(abs(loss), 1.0)
        elif abs(loss) > DIVERGENCE_FACTOR * loss_ref:
            records.append((loss, cur, grads, epoch, idx, examples, None))
            stopped = "diverged"
            warnings.setdefault(
                f"diverged at step {k}: the loss grew to {loss:.4g}, over {DIVERGENCE_FACTOR:g}"
                " times its start; try a smaller learning rate"
            )
            break
        bad = [p for p, g in grads.items() if not is_finite(g)]
        if bad:
            records.append((loss, cur, grads, epoch, idx, examples, None))
            stopped = "diverged"
            warnings.setdefault(f"diverged at step {k}: the gradient of {', '.join(bad)} is not finite")
            break
        new, terms = opt.step(cur, grads)
        records.append((loss, cur, grads, epoch, idx, examples, (new, terms) if explain else None))
        cur = new
        env.update(cur)
        if time.perf_counter() > budget_end and k + 1 < steps:
            stopped = "budget"
            warnings.setdefault(
                f"stopped after {k + 1} of {steps} steps: the request's compute budget of "
                f"{LIMITS.request_budget_seconds:g} s ran out"
            )
            break

    env.update(columns)
    final = program.run(env, backward=False)
    for w in final.warnings:
        warnings.setdefault(w)
    if stopped is None and not (math.isfinite(final.loss) and all(map(is_finite, cur.values()))):
        stopped = "diverged"
        warnings.setdefault("diverged: the final params or loss are not finite")

    trajectory = _trajectory(records, param_names, spec, opt.hp)
    hyper = {k: (list(v) if isinstance(v, tuple) else v) for k, v in opt.hp.items()}
    return {
        "trajectory": trajectory,
        "final_params": {p: to_json(v) for p, v in cur.items()},
        "final_loss": to_json(final.loss),
        "warnings": list(warnings),
        "optimizer": {"name": spec.name, "hyper": hyper, "formula": spec.formula(opt.hp)},
        "steps_run": len(records),
        "stopped": stopped,
        "data_rows": n_rows if columns else None,
        "batch_size": batch_size,
    }


def forgotten_zero_grad(piled: dict[str, Any] | None, grads: dict[str, Any]) -> dict[str, Any]:
    """The ``no_zero_grad`` mistake: this step's gradients added to every earlier step's, as
    ``.grad`` holds them when ``optimizer.zero_grad()`` is never called."""
    if piled is None:
        return dict(grads)
    return {p: piled[p] + g for p, g in grads.items()}


def _per_example(
    program: Any,
    env: dict[str, Any],
    columns: Mapping[str, np.ndarray],
    idx: np.ndarray | None,
    n_rows: int,
    param_names: list[str],
) -> tuple[list[float], dict[str, list[Any]]]:
    """Each row of the batch on its own: its loss and its gradients."""
    rows = range(n_rows) if idx is None else idx.tolist()
    one = dict(env)
    losses: list[float] = []
    grads: dict[str, list[Any]] = {p: [] for p in param_names}
    for i in rows:
        for c, arr in columns.items():
            one[c] = arr[i : i + 1]
        run = program.run(one, wrt=frozenset(param_names), record_edges=False)
        losses.append(to_json(run.loss))
        for p in param_names:
            grads[p].append(to_json(run.input_grads[p]))
    return losses, grads


def _column(values: list[Any]) -> list[Any]:
    """One param's values over all steps as JSON, encoded in one numpy call (not per step)."""
    if not values:
        return []
    if isinstance(values[0], np.ndarray):
        stacked = np.stack(values)
        if np.isfinite(stacked).all():
            return stacked.tolist()
        return _nonfinite_list(stacked.tolist())
    return [v if math.isfinite(v) else to_json(v) for v in values]


def _trajectory(
    records: list[tuple[Any, ...]], param_names: list[str], spec: Any, hp: Mapping[str, Any]
) -> list[dict[str, Any]]:
    params = {p: _column([rec[1][p] for rec in records]) for p in param_names}
    grads = {p: _column([rec[2][p] for rec in records]) for p in param_names}
    losses = _column([rec[0] for rec in records])
    out = []
    for k, (_, cur, g, epoch, idx, examples, update) in enumerate(records):
        step: dict[str, Any] = {
            "step": k,
            "loss": losses[k],
            "params": {p: params[p][k] for p in param_names},
            "grads": {p: grads[p][k] for p in param_names},
        }
        if idx is not None:
            step["epoch"] = epoch
            step["batch"] = idx.tolist()
        if examples is not None:
            step["example_losses"], step["example_grads"] = examples
        if update is not None:
            new, terms = update
            step["update"] = {p: _explain(p, cur[p], g[p], new[p], terms[p], spec, hp) for p in param_names}
        out.append(step)
    return out


def _explain(
    name: str,
    w: Any,
    g: Any,
    new: Any,
    terms: Mapping[str, Any],
    spec: Any,
    hp: Mapping[str, Any],
) -> dict[str, Any]:
    index: tuple[int, ...] | None = None
    label = name
    if isinstance(w, np.ndarray) and w.ndim:
        index = (0,) * w.ndim
        label = f"{name}[{','.join('0' * w.ndim)}]"
    t = {k: _elem(v, index) for k, v in terms.items()}
    we, ge, ne = _elem(w, index), _elem(g, index), _elem(new, index)
    out: dict[str, Any] = {
        "before": to_json(we),
        "grad": to_json(ge),
        "after": to_json(ne),
        "terms": {k: (None if v is None else to_json(v)) for k, v in t.items()},
        "lines": explain_update(spec, hp, label, we, ge, ne, t),
    }
    if index is not None:
        out["index"] = list(index)
    return out
