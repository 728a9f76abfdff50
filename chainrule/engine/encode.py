"""Numbers and tensors -> JSON-ready values, with the contract's non-finite strings.

Three renderings of a tensor: ``"list"`` (nested Python lists: what the Python API returns),
``"numpy"`` (the array itself, C-contiguous, for orjson's native numpy serializer on the HTTP
path: much faster than building lists, bench/README.md), and ``"summary"`` (shape and
statistics).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

import numpy as np
import orjson

SUMMARY_MIN_ELEMENTS: Final = 16  # tensors at least this large are summarised in "summary" detail
SUMMARY_PREVIEW: Final = 8  # leading elements (row-major) a summary shows


def encode_float(v: float) -> float | str:
    if v - v == 0.0:
        return v
    if v != v:
        return "NaN"
    return "Infinity" if v > 0 else "-Infinity"


def encode(v: Any, mode: str = "list") -> Any:
    """A node/edge value as JSON: float, nested list, numpy array, summary dict, or None."""
    if v is None:
        return None
    if type(v) is float:
        return encode_float(v)
    if not isinstance(v, np.ndarray):
        return encode_float(float(v))
    if mode == "summary" and v.size >= SUMMARY_MIN_ELEMENTS:
        return summarize(v)
    if not np.isfinite(v).all():
        return _with_strings(v.tolist())
    if mode == "numpy":
        return np.ascontiguousarray(v, dtype=np.float64)
    return v.tolist()


class ArrayFragments:
    """``encode`` for the HTTP path: each distinct array serialized once, as an orjson Fragment.

    A tensor's gradient is the same array object in its node, in the edge that carried it and
    in ``gradients``; serializing it once instead of up to three times halves the JSON work.
    """

    def __init__(self) -> None:
        self._done: dict[int, tuple[np.ndarray, Any]] = {}  # id -> (array kept alive, fragment)

    def __call__(self, v: Any, mode: str = "numpy") -> Any:
        if not isinstance(v, np.ndarray) or mode == "summary":
            return encode(v, mode)
        found = self._done.get(id(v))
        if found is None:
            plain = encode(v, "numpy")
            fragment = orjson.Fragment(orjson.dumps(plain, option=orjson.OPT_SERIALIZE_NUMPY))
            found = self._done[id(v)] = (v, fragment)
        return found[1]


class Summarizing:
    """An encoder that summarizes tensors of more than ``over`` elements, else asks ``inner``."""

    def __init__(self, inner: Callable[[Any, str], Any], over: int) -> None:
        self.inner = inner
        self.over = over

    def __call__(self, v: Any, mode: str = "list") -> Any:
        if isinstance(v, np.ndarray) and v.size > self.over:
            return summarize(v)
        return self.inner(v, mode)


def summarize(v: np.ndarray) -> dict[str, Any]:
    finite = v[np.isfinite(v)]
    stat = (lambda f: encode_float(float(f(finite)))) if finite.size else (lambda f: "NaN")
    return {
        "summary": True,
        "shape": list(v.shape),
        "size": int(v.size),
        "min": stat(np.min),
        "max": stat(np.max),
        "mean": stat(np.mean),
        "non_finite": int(v.size - finite.size),
        "preview": [encode_float(float(x)) for x in v.reshape(-1)[:SUMMARY_PREVIEW]],
    }


def _with_strings(items: Any) -> Any:
    if isinstance(items, list):
        return [_with_strings(x) for x in items]
    return items if math.isfinite(items) else encode_float(items)


def decode_float(v: Any) -> float:
    """The inverse of :func:`encode_float` for one number."""
    if isinstance(v, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[v]
    return float(v)
