"""The loss over a grid of one or two scalar params (the others fixed): a 1-D curve for the
ball-rolling picture, or a 2-D contour plot under the trajectory."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule.config import LIMITS, env_name
from chainrule.engine.budget import check_budget, compute_budget
from chainrule.engine.encode import encode
from chainrule.engine.notices import Notice, warning_details
from chainrule.errors import ChainruleError, limit_error
from chainrule.programs import cached_program
from chainrule.training.inputs import split_inputs

DEFAULT_RESOLUTION = 51


@dataclass(kw_only=True, slots=True)
class SurfaceSpec:
    """One surface request: the fields of ``POST /api/surface``, by the same names and defaults.

    ``ranges`` maps a param to ``[low, high]``; by default ``value ± max(1, |value|)``.
    """

    expression: str
    values: Mapping[str, Any]
    params: Sequence[str]
    data: Mapping[str, Any] | None = None
    dataset: str | Mapping[str, Any] | None = None
    output: str | None = None
    ranges: Mapping[str, Sequence[float]] | None = None
    resolution: int = DEFAULT_RESOLUTION


def surface(expression: str, values: Mapping[str, Any], params: Sequence[str],
            **options: Any) -> dict[str, Any]:
    """The Python form of ``POST /api/surface``: ``options`` are the other fields of
    :class:`SurfaceSpec`."""
    return loss_surface(SurfaceSpec(expression=expression, values=values, params=params, **options))


def loss_surface(request: SurfaceSpec) -> dict[str, Any]:
    """Evaluate the loss (forward only, on the full data) on a ``resolution``-point grid per
    param.

    Returns ``{"params", "axes": {p: [...]}, "loss", "shape", "at", "loss_at", "range",
    "warnings"}``: for one param ``loss[i]`` is at ``axes[p0][i]``; for two,
    ``loss[j][i]`` is at ``(axes[p0][i], axes[p1][j])`` (rows follow the second param).
    """
    expression, values, params = request.expression, request.values, request.params
    resolution, ranges = request.resolution, request.ranges
    if not isinstance(expression, str):
        raise ChainruleError("bad_value", "expression must be a string")
    if not isinstance(values, Mapping):
        raise ChainruleError("bad_value", "values must map input names to values")
    if (
        isinstance(params, str)
        or not isinstance(params, Sequence)
        or not 1 <= len(params) <= 2
        or not all(isinstance(p, str) for p in params)
        or len(set(params)) != len(params)
    ):
        raise ChainruleError("bad_value", "params must list one or two distinct input names")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ChainruleError("bad_value", "resolution must be an integer >= 2")
    if resolution > LIMITS.max_grid:
        raise limit_error("resolution", LIMITS.max_grid, "CHAINRULE_MAX_GRID", resolution)
    program = cached_program(expression, request.output)
    names = list(params)
    unknown = [p for p in names if p not in program.input_names]
    if unknown:
        raise ChainruleError("bad_value", f"param(s) {', '.join(unknown)} not inputs of the expression")
    warnings: dict[str, None] = {}
    columns, env = split_inputs(program, values, names, request.data, request.dataset, warnings,
                                role="surface param")
    env.update(columns)
    for p in names:
        if isinstance(env[p], np.ndarray):
            raise ChainruleError("bad_value", f"surface param {p!r} must be a scalar")

    points = resolution ** len(names)
    work = points * program.node_count
    if work > LIMITS.max_surface_work:
        raise ChainruleError(
            "limit_exceeded",
            f"grid points x graph size is {work}, over the limit of {LIMITS.max_surface_work} "
            f"(set {env_name('max_surface_work')}); "
            "use a lower resolution",
        )
    axes = {p: _axis(p, float(env[p]), (ranges or {}).get(p), resolution) for p in names}
    for p in ranges or {}:
        if p not in names:
            raise ChainruleError("bad_value", f"range given for {p!r}, which is not a param")
    at = {p: float(env[p]) for p in names}
    loss_at = program.run(env, backward=False).loss

    grid = np.empty(points)
    k = 0
    with compute_budget(LIMITS.request_budget_seconds):
        if len(names) == 1:
            (p0,) = names
            for x in axes[p0]:
                env[p0] = x
                grid[k] = program.run(env, backward=False).loss
                k += 1
                check_budget()
            loss: Any = grid
            shape = [resolution]
        else:
            p0, p1 = names
            for y in axes[p1]:
                env[p1] = y
                for x in axes[p0]:
                    env[p0] = x
                    grid[k] = program.run(env, backward=False).loss
                    k += 1
                check_budget()
            loss = grid.reshape(resolution, resolution)
            shape = [resolution, resolution]
    finite = grid[np.isfinite(grid)]
    if finite.size < grid.size:
        warnings.setdefault(Notice("surface_not_finite", count=int(grid.size - finite.size)))
    return {
        "params": names,
        "axes": {p: a for p, a in axes.items()},
        "loss": encode(loss),
        "shape": shape,
        "at": at,
        "loss_at": encode(loss_at),
        "range": [float(finite.min()), float(finite.max())] if finite.size else None,
        "warnings": list(warnings),
        "warning_details": warning_details(warnings),
    }


def _axis(p: str, value: float, rng: Sequence[float] | None, n: int) -> list[float]:
    if rng is None:
        half = max(1.0, abs(value))
        lo, hi = value - half, value + half
    else:
        if (
            isinstance(rng, str)
            or not isinstance(rng, Sequence)
            or len(rng) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in rng)
        ):
            raise ChainruleError("bad_value", f"range of {p!r} must be [low, high]")
        lo, hi = float(rng[0]), float(rng[1])
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ChainruleError("bad_value", f"range of {p!r} must be finite with low < high")
    return [float(v) for v in np.linspace(lo, hi, n)]


