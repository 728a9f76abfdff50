"""Elementwise expansions: a tiny conv2d, or an attention head's scores, rewritten as the
scalar multiply-adds they stand for, so a student can open both as graphs and see the same
numbers (and the same gradients) flow.

``expand(kind, a, b)`` returns the compact expression, its values, and the expanded one
with a scalar input per element (``x_i_j``, ``w_k_l``; ``q_i_k``, ``k_j_k``) and a named
statement per output element; both end in ``loss`` = the sum of the outputs, so their
gradients with respect to the same elements agree. Sizes are bounded by
``CHAINRULE_MAX_EXPAND_TERMS`` (multiply-adds), since the expanded graph grows with them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.config import LIMITS, env_name
from chainrule.errors import ChainruleError

KINDS = ("conv2d", "attention_scores")


def _matrix(name: str, value: Any) -> np.ndarray:
    """A non-empty 2-D table of finite numbers, or bad_value in the user's terms."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        arr = np.empty(0)
    if arr.ndim != 2 or arr.size == 0 or not np.isfinite(arr).all():
        raise ChainruleError("bad_value", f"{name} must be a non-empty 2-D table of finite numbers",
                             params={"field": name, "reason": "not_a_matrix"})
    return arr


def _check_terms(terms: int) -> None:
    if terms > LIMITS.max_expand_terms:
        raise ChainruleError(
            "limit_exceeded",
            f"the expansion would write {terms} multiply-adds, over the limit of "
            f"{LIMITS.max_expand_terms} (set {env_name('max_expand_terms')}); use a smaller example",
            params={"limit": LIMITS.max_expand_terms, "value": terms},
        )


def _scalars(prefix: str, arr: np.ndarray) -> dict[str, float]:
    return {f"{prefix}_{i}_{j}": float(arr[i, j]) for i in range(arr.shape[0]) for j in range(arr.shape[1])}


def _program(outputs: dict[str, str]) -> str:
    lines = [f"{name} = {text}" for name, text in outputs.items()]
    lines.append("loss = " + " + ".join(outputs))
    return "\n".join(lines)


def expand_conv2d(x: Any, w: Any) -> dict[str, Any]:
    """``conv2d`` of one (H, W) image with one (kH, kW) kernel (stride 1, no padding; batch,
    channels and filters of size 1), as ``o_i_j = Σ_k,l x_(i+k)_(j+l) · w_k_l``."""
    xa, wa = _matrix("x", x), _matrix("W", w)
    (h, wd), (kh, kw) = xa.shape, wa.shape
    if kh > h or kw > wd:
        raise ChainruleError("bad_value", f"the kernel ({kh}×{kw}) is larger than the image ({h}×{wd})",
                             params={"field": "W", "reason": "too_large"})
    oh, ow = h - kh + 1, wd - kw + 1
    _check_terms(oh * ow * kh * kw)
    outputs = {
        f"o_{i}_{j}": " + ".join(f"x_{i + r}_{j + c}*w_{r}_{c}" for r in range(kh) for c in range(kw))
        for i in range(oh) for j in range(ow)
    }
    return {
        "kind": "conv2d",
        "compact": {"expression": "loss = sum(conv2d(x, W))",
                    "values": {"x": xa.reshape(1, 1, h, wd).tolist(),
                               "W": wa.reshape(1, 1, kh, kw).tolist()}},
        "expanded": {"expression": _program(outputs), "values": {**_scalars("x", xa), **_scalars("w", wa)}},
        "pairs": {"x": "x[0, 0, i, j] = x_i_j", "W": "W[0, 0, k, l] = w_k_l"},
        "outputs": list(outputs),
    }


def expand_attention_scores(q: Any, k: Any) -> dict[str, Any]:
    """An attention head's scores ``Q @ K.T / sqrt(d)`` as
    ``s_i_j = (Σ_c q_i_c · k_j_c) / sqrt(d)``."""
    qa, ka = _matrix("Q", q), _matrix("K", k)
    if qa.shape[1] != ka.shape[1]:
        raise ChainruleError("bad_value", f"Q and K must have the same number of columns (d), "
                             f"got {qa.shape[1]} and {ka.shape[1]}",
                             params={"field": "K", "reason": "shape_mismatch"})
    n, d = qa.shape
    m = ka.shape[0]
    _check_terms(n * m * d)
    root = f"sqrt({d})"
    outputs = {
        f"s_{i}_{j}": "(" + " + ".join(f"q_{i}_{c}*k_{j}_{c}" for c in range(d)) + f") / {root}"
        for i in range(n) for j in range(m)
    }
    return {
        "kind": "attention_scores",
        "compact": {"expression": f"loss = sum(Q @ transpose(K) / {root})",
                    "values": {"Q": qa.tolist(), "K": ka.tolist()}},
        "expanded": {"expression": _program(outputs), "values": {**_scalars("q", qa), **_scalars("k", ka)}},
        "pairs": {"Q": "Q[i, c] = q_i_c", "K": "K[j, c] = k_j_c"},
        "outputs": list(outputs),
    }


def expand(kind: str, a: Any, b: Any) -> dict[str, Any]:
    """The expansion of ``kind`` (``conv2d``: a = image, b = kernel; ``attention_scores``:
    a = Q, b = K)."""
    if kind == "conv2d":
        return expand_conv2d(a, b)
    if kind == "attention_scores":
        return expand_attention_scores(a, b)
    raise ChainruleError("bad_value", f"unknown expansion {kind!r}; choose one of {', '.join(KINDS)}",
                         params={"field": "kind", "reason": "not_allowed", "allowed": list(KINDS)})
