"""Step-through training: compile once, then forward/backward/update ``steps`` times.

A request is one :class:`TrainSpec`, built by the route from the HTTP body
(``TrainRequest.spec()``) or by :func:`train` from the Python API's keywords;
:func:`run_training` runs it and returns the JSON-ready dict of ``POST /api/train``
(see docs/api.md):
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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainrule.config import LIMITS, env_name
from chainrule.engine import Program
from chainrule.engine.budget import BudgetExceeded, budget_spent, compute_budget
from chainrule.engine.encode import encode
from chainrule.engine.notices import Notice, warning_details
from chainrule.errors import ChainruleError, bad_value, limit_error
from chainrule.programs import cached_program
from chainrule.training.batching import batches, check_batch_size
from chainrule.training.held_out import evaluate
from chainrule.training.inputs import check_param_names, split_inputs
from chainrule.training.optimizers import Optimizer, explain_update, formula_notes, make_optimizer

#: A loss whose magnitude grows past this factor times max(|initial loss|, 1) has diverged.
DIVERGENCE_FACTOR = 1e6
# Limits (LIMITS.max_example_rows: per_example is on by default up to that many batch rows,
# and allowed up to it; LIMITS.max_trajectory_numbers) live in chainrule/config.py.

Value = Any  # float | np.ndarray


@dataclass
class TrainingStep:
    """One step of the trajectory: the loss, params and gradients *before* its update."""

    loss: float
    params: dict[str, Value]
    grads: dict[str, Value]
    epoch: int | None = None  # with mini-batches: the epoch and the rows of the batch
    batch: np.ndarray | None = None
    examples: tuple[list[Any], dict[str, list[Any]]] | None = None  # per-row losses and grads
    new_params: dict[str, Value] | None = None  # after the update (None: no update)
    terms: dict[str, dict[str, Value]] | None = None  # the update's arithmetic, when explained


@dataclass(kw_only=True, slots=True)
class TrainSpec:
    """One training request: the fields of ``POST /api/train``, by the same names and defaults.

    ``mistake="no_zero_grad"`` trains as a loop that never zeroes its gradients would;
    ``per_example=None`` lists each batch row's loss and gradients when a batch has at most
    ``CHAINRULE_MAX_EXAMPLE_ROWS`` rows.
    """

    expression: str
    values: Mapping[str, Any]
    params: Sequence[str]
    data: Mapping[str, Any] | None = None
    optimizer: Mapping[str, Any] | None = None
    steps: int = 100
    seed: int = 0
    batch_size: int | None = None
    output: str | None = None
    dataset: str | Mapping[str, Any] | None = None
    per_example: bool | None = None
    explain: bool = True
    mistake: str | None = None
    predict: str | None = None  # the statement whose argmax is the class (held_out.py)


@dataclass(kw_only=True)
class Setup:
    """A validated training request: the compiled program, its inputs and the optimizer."""

    request: TrainSpec
    program: Program
    params: list[str]
    rule: type[Optimizer]  # the optimizer's class: its name, formula and explanation
    optimizer: Optimizer
    columns: dict[str, np.ndarray]  # data columns (full length)
    resolved: dict[str, Any]  # every other input
    per_example: bool  # resolved from the request's None: on for small batches
    warnings: dict[str, None] = field(default_factory=dict)  # an ordered set

    @property
    def rows(self) -> int:
        return next(iter(self.columns.values())).shape[0] if self.columns else 0

    @property
    def steps(self) -> int:
        return self.request.steps

    @property
    def batch_size(self) -> int | None:
        return self.request.batch_size


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ChainruleError("bad_value", f"{name} must be an integer, got {value!r}")
    if value < low:
        raise ChainruleError("bad_value", f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        env = "CHAINRULE_MAX_TRAIN_STEPS"
        raise limit_error(name, high, env, value)
    return value


def train(expression: str, values: Mapping[str, Any], params: Sequence[str],
          **options: Any) -> dict[str, Any]:
    """Train ``params`` of ``expression`` (its output is the loss): the Python API of
    ``POST /api/train``. ``options`` are the other fields of :class:`TrainSpec` (``data``,
    ``optimizer``, ``steps``, ``seed``, ``batch_size``, ``output``, ``dataset``,
    ``per_example``, ``explain``, ``mistake``)."""
    return run_training(TrainSpec(expression=expression, values=values, params=params, **options))


def run_training(request: TrainSpec) -> dict[str, Any]:
    """Run one training request; see the module doc for the result."""
    setup = prepare(request)
    check_work(setup)
    records, final_params, stopped = run_steps(setup)
    return respond(setup, records, final_params, stopped)


def prepare(request: TrainSpec) -> Setup:
    """Validate the request: compile, resolve the inputs, build the optimizer."""
    expression, values, mistake = request.expression, request.values, request.mistake
    if not isinstance(expression, str):
        raise ChainruleError("bad_value", "expression must be a string")
    if not isinstance(values, Mapping):
        raise ChainruleError("bad_value", "values must map input names to values")
    if mistake not in (None, "no_zero_grad"):
        raise bad_value("mistake", "not_allowed", f"must be no_zero_grad, got {mistake!r}",
                        allowed=["no_zero_grad"])
    _check_int("steps", request.steps, 0, LIMITS.max_train_steps)
    _check_int("seed", request.seed, 0)
    program = cached_program(expression, request.output)
    param_names = check_param_names(request.params, program)
    warnings: dict[str, None] = {}
    ignored: list[str] = []
    rule, opt = make_optimizer(request.optimizer, ignored)
    if ignored:
        warnings.setdefault(Notice("optimizer_ignored", optimizer=rule.name, names=ignored))
    columns, resolved = split_inputs(program, values, param_names, request.data, request.dataset,
                                     warnings)
    for name in values:
        if name not in program.input_names:
            warnings.setdefault(Notice("unused_value", name=name))
    n_rows = next(iter(columns.values())).shape[0] if columns else 0
    batch_size, per_example = request.batch_size, request.per_example
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
    return Setup(request=request, program=program, params=param_names, rule=rule, optimizer=opt,
                 columns=columns, resolved=resolved, per_example=per_example, warnings=warnings)


def check_work(setup: Setup) -> None:
    """Refuse a request over the work or trajectory-size limits before running it."""
    rows = setup.batch_size if setup.batch_size is not None else setup.rows
    work = setup.steps * setup.program.node_count * (1 + (rows if setup.per_example else 0))
    if work > LIMITS.max_train_work:
        raise limit_error("steps x graph size", LIMITS.max_train_work, "CHAINRULE_MAX_TRAIN_WORK", work)
    p_elems = sum(np.size(setup.resolved[p]) for p in setup.params)
    if setup.steps * p_elems * 2 > LIMITS.max_trajectory_numbers:
        raise ChainruleError(
            "limit_exceeded",
            f"the trajectory would hold {setup.steps * p_elems * 2} numbers (steps x param "
            f"elements x 2), over the limit of {LIMITS.max_trajectory_numbers} "
            f"(set {env_name('max_trajectory_numbers')}); use fewer steps",
        )


def run_steps(setup: Setup) -> tuple[list[TrainingStep], dict[str, Value], str | None]:
    """Forward, backward and update, ``setup.steps`` times or until the run diverges or the
    request's compute budget runs out; returns the steps, the final params and why it
    stopped early (None, "diverged" or "budget")."""
    params = {p: _own_copy(setup.resolved[p]) for p in setup.params}
    env = {**setup.resolved, **setup.columns, **params}
    wrt = frozenset(setup.params)
    records: list[TrainingStep] = []
    loss_ref: float | None = None
    piled: dict[str, Value] | None = None  # mistake no_zero_grad: the gradients never zeroed
    with compute_budget(LIMITS.request_budget_seconds):
        for k, (epoch, rows) in enumerate(_batches(setup)):
            try:
                step = _forward_backward(setup, env, wrt, params, epoch, rows)
            except BudgetExceeded:
                _stop_for_budget(setup, k)
                return records, params, "budget"
            if setup.request.mistake == "no_zero_grad":
                step.grads = piled = forgotten_zero_grad(piled, step.grads)
            records.append(step)
            loss_ref = max(abs(step.loss), 1.0) if loss_ref is None else loss_ref
            why = _divergence(step.loss, loss_ref, step.grads, "gradient")
            if why is not None:
                setup.warnings.setdefault(Notice(f"diverged_{why[0]}", step=k, **why[1]))
                return records, params, "diverged"
            new, terms = setup.optimizer.step(params, step.grads)
            # numpy scalars (adaptive updates make them) back to floats: the engine's scalar
            # path (compiled: typed float) takes Python floats only
            new = {p: v if isinstance(v, np.ndarray) else float(v) for p, v in new.items()}
            step.new_params = new
            step.terms = terms if setup.request.explain else None
            params = new
            env.update(params)
            if k + 1 < setup.steps and budget_spent():
                _stop_for_budget(setup, k + 1)
                return records, params, "budget"
    return records, params, None


def forgotten_zero_grad(piled: dict[str, Any] | None, grads: dict[str, Any]) -> dict[str, Any]:
    """The ``no_zero_grad`` mistake: this step's gradients added to every earlier step's, as
    ``.grad`` holds them when ``optimizer.zero_grad()`` is never called."""
    if piled is None:
        return dict(grads)
    return {p: piled[p] + g for p, g in grads.items()}


def _own_copy(v: Value) -> Value:
    """A param's start value, owned by the run (the caller's array is never aliased)."""
    return np.array(v, dtype=np.float64) if isinstance(v, np.ndarray) else float(v)


def _batches(setup: Setup) -> Iterator[tuple[int | None, np.ndarray | None]]:
    """(epoch, batch rows) per step; (None, None) for full-batch steps."""
    size = setup.batch_size
    sampler = batches(setup.rows, size, setup.request.seed) if size is not None else None
    for _ in range(setup.steps):
        yield next(sampler) if sampler is not None else (None, None)


def _forward_backward(setup: Setup, env: dict[str, Any], wrt: frozenset[str], params: dict[str, Value],
                      epoch: int | None, rows: np.ndarray | None) -> TrainingStep:
    """The loss and the params' gradients on this step's batch."""
    if rows is not None:
        for c, arr in setup.columns.items():
            env[c] = arr[rows]
    run = setup.program.run(env, wrt=wrt, record_edges=False)
    for w in run.warnings:
        setup.warnings.setdefault(w)
    examples = _per_example(setup, env, rows) if setup.per_example else None
    grads = {p: run.input_grads[p] for p in setup.params}
    return TrainingStep(run.loss, params, grads, epoch, rows, examples)


def _divergence(loss: float, loss_ref: float, values: Mapping[str, Value],
                what: str) -> tuple[str, dict[str, Any]] | None:
    """Why a run has diverged (a non-finite loss, a loss that grew past DIVERGENCE_FACTOR
    times ``loss_ref``, or a non-finite ``what`` among ``values``) as the end of a warning's
    code and its params, or None."""
    if not math.isfinite(loss):
        return "loss_not_finite", {"loss": encode(loss)}
    if abs(loss) > DIVERGENCE_FACTOR * loss_ref:
        return "loss_grew", {"loss": loss, "factor": DIVERGENCE_FACTOR}
    bad = [p for p, v in values.items() if not _finite(v)]
    if bad:
        return f"{what}_not_finite", {"names": bad}
    return None


def _finite(x: Value) -> bool:
    return bool(np.isfinite(x).all()) if isinstance(x, np.ndarray) else math.isfinite(x)


def _stop_for_budget(setup: Setup, done: int) -> None:
    setup.warnings.setdefault(Notice("budget_ran_out", done=done, steps=setup.steps,
                                     seconds=LIMITS.request_budget_seconds))


def respond(setup: Setup, records: list[TrainingStep], params: dict[str, Value],
            stopped: str | None) -> dict[str, Any]:
    """The response: the trajectory, the final params and their loss on the full data."""
    env = {**setup.resolved, **setup.columns, **params}
    final = setup.program.run(env, backward=False)
    for w in final.warnings:
        setup.warnings.setdefault(w)
    why = _divergence(final.loss, math.inf, params, "value") if stopped is None else None
    if why is not None:
        stopped = "diverged"
        setup.warnings.setdefault(Notice(f"diverged_after_{why[0]}", **why[1]))
    hp = setup.optimizer.hp
    scores = evaluate(setup.program, setup.request.predict, setup.request.dataset, env, setup.warnings)
    return {
        "trajectory": _trajectory(records, setup),
        "final_params": {p: encode(v) for p, v in params.items()},
        "final_loss": encode(final.loss),
        "warnings": list(setup.warnings),
        "warning_details": warning_details(setup.warnings),
        "optimizer": {"name": setup.rule.name,
                      "hyper": {k: (list(v) if isinstance(v, tuple) else v) for k, v in hp.items()},
                      "formula": setup.rule.formula(hp),
                      "formula_notes": formula_notes(setup.rule, hp)},
        "steps_run": len(records),
        "stopped": stopped,
        "data_rows": setup.rows if setup.columns else None,
        "batch_size": setup.batch_size,
        **scores,
    }


def _per_example(setup: Setup, env: dict[str, Any],
                 rows: np.ndarray | None) -> tuple[list[Any], dict[str, list[Any]]]:
    """Each row of the batch on its own: its loss and its gradients."""
    one = dict(env)
    losses: list[Any] = []
    grads: dict[str, list[Any]] = {p: [] for p in setup.params}
    wrt = frozenset(setup.params)
    for i in range(setup.rows) if rows is None else rows.tolist():
        for c, arr in setup.columns.items():
            one[c] = arr[i : i + 1]
        run = setup.program.run(one, wrt=wrt, record_edges=False)
        losses.append(encode(run.loss))
        for p in setup.params:
            grads[p].append(encode(run.input_grads[p]))
    return losses, grads


def _column(values: list[Any]) -> list[Any]:
    """One param's values over all steps as JSON, encoded in one numpy call (not per step)."""
    if not values:
        return []
    if isinstance(values[0], np.ndarray):
        return encode(np.stack(values))
    return [v if math.isfinite(v) else encode(v) for v in values]


def _trajectory(records: list[TrainingStep], setup: Setup) -> list[dict[str, Any]]:
    names = setup.params
    params = {p: _column([rec.params[p] for rec in records]) for p in names}
    grads = {p: _column([rec.grads[p] for rec in records]) for p in names}
    losses = _column([rec.loss for rec in records])
    explained = _explained_steps(records, setup)
    out = []
    for k, rec in enumerate(records):
        step: dict[str, Any] = {
            "step": k,
            "loss": losses[k],
            "params": {p: params[p][k] for p in names},
            "grads": {p: grads[p][k] for p in names},
        }
        if rec.batch is not None:
            step["epoch"] = rec.epoch
            step["batch"] = rec.batch.tolist()
        if rec.examples is not None:
            step["example_losses"], step["example_grads"] = rec.examples
        if rec.new_params is not None and rec.terms is not None and k < explained:
            step["update"] = {p: _explain(p, rec, setup) for p in names}
        out.append(step)
    return out


def _explained_steps(records: list[TrainingStep], setup: Setup) -> int:
    """How many steps get their update's arithmetic: the text is ~1 KB per param and step,
    so at most LIMITS.max_explained_updates (steps x params) are written out."""
    steps = max(LIMITS.max_explained_updates // max(len(setup.params), 1), 1)
    if setup.request.explain and len(records) > steps:
        setup.warnings.setdefault(Notice("explained_cut", steps=steps, params=len(setup.params),
                                         setting=env_name("max_explained_updates")))
    return steps


def _elem(x: Any, index: tuple[int, ...] | None) -> Any:
    if x is None:
        return None
    if isinstance(x, np.ndarray):
        return float(x[index]) if x.ndim else float(x)
    return float(x)


def _explain(name: str, rec: TrainingStep, setup: Setup) -> dict[str, Any]:
    """The update of one param as arithmetic (for a tensor, of its first element)."""
    w, g = rec.params[name], rec.grads[name]
    new, terms = rec.new_params[name], rec.terms[name]  # type: ignore[index]
    index: tuple[int, ...] | None = None
    label = name
    if isinstance(w, np.ndarray) and w.ndim:
        index = (0,) * w.ndim
        label = f"{name}[{','.join('0' * w.ndim)}]"
    t = {k: _elem(v, index) for k, v in terms.items()}
    we, ge, ne = _elem(w, index), _elem(g, index), _elem(new, index)
    out: dict[str, Any] = {
        "before": encode(we),
        "grad": encode(ge),
        "after": encode(ne),
        "terms": {k: encode(v) for k, v in t.items()},
        "lines": explain_update(setup.rule, setup.optimizer.hp, label, we, ge, ne, t),
    }
    if index is not None:
        out["index"] = list(index)
    return out
