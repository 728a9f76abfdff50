"""Input values: numbers, nested lists (tensors) and seeded initializers -> floats / arrays.

Scalars become Python floats (the evaluator's fast path); tensors float64 numpy arrays.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.config import LIMITS, env_name
from app.errors import ChainruleError

NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

Value = float | np.ndarray


class Initializer(BaseModel):
    """A seeded random or constant tensor: ``{"init": "normal", "shape": [3, 2]}``."""

    model_config = ConfigDict(extra="forbid")

    init: Literal["normal", "uniform", "zeros", "ones"]
    shape: list[int] = Field(default_factory=list, max_length=8,
                             description="dimensions; [] is a scalar")
    scale: float = Field(1.0, ge=0, allow_inf_nan=False,
                         description="normal: standard deviation; uniform: half-width")
    seed: int = Field(0, ge=0, le=2**32 - 1)


INITIALIZERS = {
    "normal": lambda rng, shape, scale: rng.normal(0.0, scale, shape),
    "uniform": lambda rng, shape, scale: rng.uniform(-scale, scale, shape),
    "zeros": lambda rng, shape, scale: np.zeros(shape),
    "ones": lambda rng, shape, scale: np.ones(shape),
}


def resolve_values(raw: Mapping[str, Any], names: Iterable[str]) -> dict[str, Value]:
    """Convert the JSON values of ``names``; every missing name is reported at once."""
    names = list(names)
    if not raw.keys() >= set(names):
        missing = [n for n in names if n not in raw]
        listed = ", ".join(repr(n) for n in missing)
        raise ChainruleError("missing_value", f"no value given for {listed}")
    return {name: to_value(name, raw[name]) for name in names}


def to_value(name: str, raw: Any) -> Value:
    """One input's JSON value as a float or a float64 array."""
    if type(raw) is float:
        return raw
    if isinstance(raw, bool):
        raise ChainruleError("bad_value", f"value for {name!r} is a boolean; give a number")
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        if raw in NON_FINITE:
            return NON_FINITE[raw]
        raise ChainruleError("bad_value", f"value for {name!r} is a string ({raw[:40]!r}); give a number, "
                                          "a nested list or an initializer")
    if isinstance(raw, np.ndarray):
        return _checked_array(name, raw.astype(np.float64, copy=False))
    if isinstance(raw, list):
        return _from_list(name, raw)
    if isinstance(raw, Mapping):
        return _from_initializer(name, raw)
    raise ChainruleError("bad_value", f"value for {name!r} has unsupported type {type(raw).__name__}")


def _from_list(name: str, raw: list[Any]) -> Value:
    try:
        array = np.array(raw)
    except (ValueError, TypeError) as exc:
        why = "a ragged nested list (rows of different lengths)" if "inhomogeneous" in str(exc) \
            else "a list with non-numeric entries"
        raise ChainruleError("bad_value", f"value for {name!r} is {why}") from None
    if array.dtype.kind not in "iuf":  # b: booleans, U: strings, O: mixed objects
        what = "booleans" if array.dtype.kind == "b" else "non-numeric entries"
        raise ChainruleError("bad_value", f"value for {name!r} is a list with {what}; give numbers")
    return _checked_array(name, array.astype(np.float64, copy=False))


def _checked_array(name: str, array: np.ndarray) -> Value:
    if array.size > LIMITS.max_tensor_elements:
        raise _too_big(name, array.size)
    if array.size == 0:
        raise ChainruleError("bad_value", f"value for {name!r} is an empty tensor")
    return float(array) if array.ndim == 0 else array


def _from_initializer(name: str, raw: Mapping[str, Any]) -> Value:
    try:
        spec = Initializer.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ChainruleError("bad_value", f"initializer for {name!r}: {where}: {first['msg']}") from None
    if any(n < 1 for n in spec.shape):
        raise ChainruleError("bad_value", f"initializer for {name!r}: every dimension must be >= 1")
    size = math.prod(spec.shape)
    if size > LIMITS.max_tensor_elements:
        raise _too_big(name, size)
    make = INITIALIZERS[spec.init]
    array = np.asarray(make(np.random.default_rng(spec.seed), tuple(spec.shape), spec.scale),
                       dtype=np.float64)
    return float(array) if array.ndim == 0 else array


def _too_big(name: str, size: int) -> ChainruleError:
    return ChainruleError(
        "limit_exceeded",
        f"value for {name!r} has {size} elements; the limit is {LIMITS.max_tensor_elements} "
        f"per tensor (set {env_name('max_tensor_elements')})",
    )
