"""Input values: numbers, nested lists (tensors) and seeded initializers -> floats / arrays.

Scalars become Python floats (the evaluator's fast path); tensors float64 numpy arrays.
chainrule accepts its own output: the non-finite strings "NaN", "Infinity", "-Infinity"
are numbers here, alone or inside a tensor.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from itertools import chain
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chainrule.config import LIMITS, env_name
from chainrule.errors import ChainruleError, bad_value, did_you_mean, suggestions
from chainrule.pydantic_errors import pydantic_error

NON_FINITE: Mapping[str, float] = MappingProxyType(
    {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf})
#: Integers beyond this lose digits as float64: refused rather than silently rounded.
MAX_EXACT_INTEGER = 2**53
#: numpy's own limit on dimensions: deeper nesting cannot be a tensor.
MAX_TENSOR_DIMS = 64

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


INITIALIZERS: Mapping[str, Any] = MappingProxyType({
    "normal": lambda rng, shape, scale: rng.normal(0.0, scale, shape),
    "uniform": lambda rng, shape, scale: rng.uniform(-scale, scale, shape),
    "zeros": lambda rng, shape, scale: np.zeros(shape),
    "ones": lambda rng, shape, scale: np.ones(shape),
})


def resolve_values(raw: Mapping[str, Any], names: Iterable[str],
                   field: str = "values") -> dict[str, Value]:
    """Convert the JSON values of ``names``; every missing name is reported at once."""
    if not isinstance(raw, Mapping):
        raise bad_value(field, "not_an_object", "values must map each input name to its value, "
                        'e.g. {"x": 2}')
    names = list(names)
    if not raw.keys() >= set(names):
        missing = [n for n in names if n not in raw]
        raise missing_value_error(missing, [k for k in raw if k not in names])
    return {name: to_value(name, raw[name], field) for name in names}


def missing_value_error(missing: list[str], given: list[str]) -> ChainruleError:
    """``missing_value`` naming every missing input, with the given name each may be a typo of."""
    close = {n: s[0] for n in missing if (s := suggestions(n, given, 1))}
    listed = ", ".join(repr(n) + did_you_mean([close[n]]) if n in close else repr(n)
                       for n in missing)
    params: dict[str, Any] = {"names": missing}
    if close:
        params["suggestions"] = close
    return ChainruleError("missing_value", f"no value given for {listed}", params=params)


def to_value(name: str, raw: Any, field: str = "values") -> Value:
    """One input's JSON value as a float or a float64 array."""
    if type(raw) is float:
        return raw
    where = f"{field}.{name}"
    if isinstance(raw, bool):
        raise bad_value(where, "boolean", "true/false is not a number; give a number")
    if isinstance(raw, int):
        return _exact(where, raw)
    if isinstance(raw, float):
        return float(raw)
    if isinstance(raw, str):
        if raw in NON_FINITE:
            return NON_FINITE[raw]
        raise bad_value(where, "string", f"the text {raw[:40]!r} is not a number; give a number, "
                        "a nested list or an initializer", got=raw[:40])
    if isinstance(raw, np.ndarray):
        return _checked_array(where, raw.astype(np.float64, copy=False))
    if isinstance(raw, list):
        return _from_list(where, raw)
    if isinstance(raw, Mapping):
        return _from_initializer(where, raw)
    raise bad_value(where, "unsupported_type", f"a value of type {type(raw).__name__} is not "
                    "a number, a nested list or an initializer")


def _exact(where: str, number: int) -> float:
    if abs(number) > MAX_EXACT_INTEGER:
        raise bad_value(where, "too_large_integer", f"the integer {str(number)[:30]} is beyond "
                        "2^53 and would be rounded; write it as a decimal (e.g. 1e20)",
                        max=MAX_EXACT_INTEGER)
    return float(number)


def _from_list(where: str, raw: list[Any]) -> Value:
    depth = _depth(raw)
    if depth > MAX_TENSOR_DIMS:
        raise bad_value(where, "too_deep", f"the list is nested {depth} deep; a tensor has at "
                        f"most {MAX_TENSOR_DIMS} dimensions", limit=MAX_TENSOR_DIMS)
    try:
        array = np.array(raw)
        if array.dtype.kind in "UO":  # strings (maybe "NaN") or mixed objects
            array = np.array(_with_non_finite(where, raw), dtype=np.float64)
    except (ValueError, TypeError) as exc:
        if "inhomogeneous" in str(exc) or "sequence" in str(exc):
            raise bad_value(where, "ragged", "a nested list whose rows have different "
                            "lengths is not a tensor") from None
        raise bad_value(where, "non_numeric", "the list has entries that are not "
                        "numbers") from None
    if array.dtype.kind not in "iuf":  # b: booleans
        raise bad_value(where, "boolean" if array.dtype.kind == "b" else "non_numeric",
                        "the list has entries that are not numbers; give numbers")
    if array.size <= LIMITS.max_tensor_elements and array.ndim:
        _check_leaves(where, raw, array.ndim)
    return _checked_array(where, array.astype(np.float64, copy=False))


def _depth(raw: list[Any]) -> int:
    """Nesting depth along the first elements (np.array's own dimension count stops at 64)."""
    depth: int = 0
    item: Any = raw
    while isinstance(item, list) and depth <= MAX_TENSOR_DIMS:
        depth += 1
        item = item[0] if item else None
    return depth


def _with_non_finite(where: str, items: Any) -> Any:
    """``items`` with the contract's non-finite strings as floats; any other text refused."""
    if isinstance(items, list):
        return [_with_non_finite(where, x) for x in items]
    if isinstance(items, str):
        if items in NON_FINITE:
            return NON_FINITE[items]
        raise bad_value(where, "non_numeric", f"the list holds the text {items[:40]!r}; give "
                        'numbers ("NaN", "Infinity", "-Infinity" are numbers)', got=items[:40])
    if isinstance(items, bool) or not isinstance(items, int | float):
        raise bad_value(where, "non_numeric", "the list has entries that are not numbers")
    return items


def _check_leaves(where: str, raw: list[Any], ndim: int) -> None:
    """numpy takes ``true`` as 1 and rounds big integers: refuse both, as for a lone number."""
    leaves: Iterable[Any] = raw
    for _ in range(ndim - 1):
        leaves = chain.from_iterable(leaves)
    leaves = list(leaves)
    kinds = set(map(type, leaves))
    if bool in kinds:
        raise bad_value(where, "boolean", "the list holds true/false; give numbers")
    if int in kinds:
        for x in leaves:
            if type(x) is int and abs(x) > MAX_EXACT_INTEGER:
                _exact(where, x)


def _checked_array(where: str, array: np.ndarray) -> Value:
    if array.size > LIMITS.max_tensor_elements:
        raise _too_big(where, array.size)
    if array.size == 0:
        raise bad_value(where, "empty", "an empty tensor has nothing to compute with")
    return float(array) if array.ndim == 0 else array


def _from_initializer(where: str, raw: Mapping[str, Any]) -> Value:
    try:
        spec = Initializer.model_validate(raw)
    except ValidationError as exc:
        raise pydantic_error(exc.errors(), Initializer, raw, where) from None
    if any(n < 1 for n in spec.shape):
        raise bad_value(f"{where}.shape", "bad_dimension", "every dimension must be at least 1")
    size = math.prod(spec.shape)
    if size > LIMITS.max_tensor_elements:
        raise _too_big(where, size)
    make = INITIALIZERS[spec.init]
    array = np.asarray(make(np.random.default_rng(spec.seed), tuple(spec.shape), spec.scale),
                       dtype=np.float64)
    return float(array) if array.ndim == 0 else array


def _too_big(where: str, size: int) -> ChainruleError:
    env = env_name("max_tensor_elements")
    return ChainruleError(
        "limit_exceeded",
        f"{where} has {size} elements; the limit is {LIMITS.max_tensor_elements} "
        f"per tensor (set {env})",
        params={"limit": env, "value": LIMITS.max_tensor_elements, "got": size,
                "what": "tensor elements", "field": where},
    )
