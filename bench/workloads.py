"""The benchmark's workloads, each written once as chainrule text and once as a builder.

A scalar workload has:
- ``text``: the chainrule expression (generated here, never timed);
- ``data``: its inputs as a small tree (dict of floats / lists of floats), and ``names``,
  the same tree holding each input's name, so ``values`` (name -> float) is ``zip(names, data)``;
- ``build(P, F)``: the same computation written the way a PyTorch or micrograd user would
  (plain Python loops over lists), where ``P`` is ``data`` with every float replaced by a
  leaf of the peer (0-d tensor, micrograd Value) and ``F`` gives ``tanh``/``abs``.

Sums are left-associative in both forms, so every peer does the same operations in the same
order and results agree to rounding; ``bench_engine.py`` checks that before it times anything.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np


def tree_map(fn: Callable[[Any], Any], tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: tree_map(fn, v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [tree_map(fn, v) for v in tree]
    return fn(tree)


def tree_leaves(tree: Any) -> list[Any]:
    out: list[Any] = []
    stack = [tree]
    while stack:  # iterative, depth-first, left to right
        t = stack.pop()
        if isinstance(t, dict):
            stack.extend(reversed(list(t.values())))
        elif isinstance(t, list):
            stack.extend(reversed(t))
        else:
            out.append(t)
    return out


@dataclass
class Scalar:
    name: str
    text: str
    data: Any
    names: Any
    build: Callable[[Any, Any], Any]
    check: list[str]  # input names whose gradients are compared across peers
    values: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        self.values = dict(zip(tree_leaves(self.names), tree_leaves(self.data), strict=True))


# ---------------------------------------------------------------- worked example
def worked() -> Scalar:
    def build(P: Any, F: Any) -> Any:
        y = P["w"] * P["x"] + P["b"]
        return F.abs(P["y_true"] - y)

    data = {"x": 2.0, "y_true": 4.0, "w": 3.0, "b": 1.0}
    return Scalar("worked example", "y = w*x + b; loss = abs(y_true - y)", data,
                  {k: k for k in data}, build, ["x", "y_true", "w", "b"])


# ---------------------------------------------------------------- scalar chain
def chain(layers: int = 10_000, seed: int = 1) -> Scalar:
    rng = random.Random(seed)
    w = [rng.uniform(0.5, 1.5) for _ in range(layers)]
    b = [rng.uniform(-0.5, 0.5) for _ in range(layers)]
    lines = ["h1 = tanh(x*w0 + b0)"]
    lines += [f"h{i + 1} = tanh(h{i}*w{i} + b{i})" for i in range(1, layers)]

    def build(P: Any, F: Any) -> Any:
        h = P["x"]
        tanh = F.tanh
        for wi, bi in zip(P["w"], P["b"], strict=True):
            h = tanh(h * wi + bi)
        return h

    names = {"x": "x", "w": [f"w{i}" for i in range(layers)], "b": [f"b{i}" for i in range(layers)]}
    last = layers - 1
    return Scalar(f"chain {layers} tanh layers", "\n".join(lines), {"x": 0.3, "w": w, "b": b},
                  names, build, ["x", f"w{last}", f"b{last}", f"w{last - 5}", f"b{last - 1}"])


# ---------------------------------------------------------------- fan-in sum
def fanin(terms: int = 10_000, seed: int = 2) -> Scalar:
    rng = random.Random(seed)
    xs = [rng.gauss(0, 1) for _ in range(terms)]
    ys = [rng.gauss(0, 1) for _ in range(terms)]
    text = "s = " + " + ".join(f"x{i}*y{i}" for i in range(terms))

    def build(P: Any, F: Any) -> Any:
        xs, ys = P["x"], P["y"]
        s = xs[0] * ys[0]
        for i in range(1, len(xs)):
            s = s + xs[i] * ys[i]
        return s

    names = {"x": [f"x{i}" for i in range(terms)], "y": [f"y{i}" for i in range(terms)]}
    return Scalar(f"fan-in sum {terms} terms", text, {"x": xs, "y": ys}, names, build,
                  ["x0", "y0", f"x{terms - 1}", f"y{terms // 2}"])


# ---------------------------------------------------------------- scalar MLP
def scalar_mlp(sizes: tuple[int, ...] = (2, 16, 16, 1), points: int = 8, seed: int = 3) -> Scalar:
    """tanh hidden layers, a linear output, mean squared error over ``points`` points."""
    rng = random.Random(seed)
    n_in, n_out = sizes[0], sizes[-1]
    assert n_out == 1
    layer_sizes = list(pairwise(sizes))
    # data[W][l][j][k]: weight of layer l from unit k to unit j; data[c][l][j]: its bias
    W = [[[rng.uniform(-1, 1) / fan_in**0.5 for _ in range(fan_in)] for _ in range(fan_out)]
         for fan_in, fan_out in layer_sizes]
    c = [[rng.uniform(-0.1, 0.1) for _ in range(fan_out)] for _, fan_out in layer_sizes]
    X = [[rng.uniform(-1, 1) for _ in range(n_in)] for _ in range(points)]
    Y = [rng.uniform(-1, 1) for _ in range(points)]
    wn = [[[f"W{li}_{j}_{k}" for k in range(a)] for j in range(b)] for li, (a, b) in enumerate(layer_sizes)]
    cn = [[f"c{li}_{j}" for j in range(b)] for li, (_, b) in enumerate(layer_sizes)]
    xn = [[f"x{p}_{k}" for k in range(n_in)] for p in range(points)]
    yn = [f"y{p}" for p in range(points)]

    lines = []
    last = len(layer_sizes) - 1
    for p in range(points):
        prev = xn[p]
        for li in range(len(layer_sizes)):
            cur = []
            for j in range(len(wn[li])):
                s = " + ".join(f"{wn[li][j][k]}*{prev[k]}" for k in range(len(prev))) + f" + {cn[li][j]}"
                name = f"h{li}_{p}_{j}" if li < last else f"o{p}"
                lines.append(f"{name} = tanh({s})" if li < last else f"{name} = {s}")
                cur.append(name)
            prev = cur
        lines.append(f"e{p} = (o{p} - {yn[p]})**2")
    lines.append("loss = (" + " + ".join(f"e{p}" for p in range(points)) + f") / {points}")

    def build(P: Any, F: Any) -> Any:
        tanh = F.tanh
        Ws, cs = P["W"], P["c"]
        errs = []
        for x, y in zip(P["X"], P["Y"], strict=True):
            h = x
            for li, (Wl, cl) in enumerate(zip(Ws, cs, strict=True)):
                out = []
                for row, bias in zip(Wl, cl, strict=True):
                    s = row[0] * h[0]
                    for k in range(1, len(row)):
                        s = s + row[k] * h[k]
                    s = s + bias
                    out.append(tanh(s) if li < last else s)
                h = out
            errs.append((h[0] - y) ** 2)
        total = errs[0]
        for e in errs[1:]:
            total = total + e
        return total / points

    data = {"W": W, "c": c, "X": X, "Y": Y}
    names = {"W": wn, "c": cn, "X": xn, "Y": yn}
    return Scalar(f"scalar MLP {'-'.join(map(str, sizes))} x{points}", "\n".join(lines), data,
                  names, build, ["W0_0_0", "W1_3_7", "W2_0_5", "c0_4", "c2_0", "x3_1"])


def scalar_workloads() -> list[Scalar]:
    return [worked(), chain(), fanin(), scalar_mlp()]


# ---------------------------------------------------------------- tensor MLP
TENSOR_MLP_TEXT = """h = relu(x @ W1 + b1)
logits = h @ W2 + b2
loss = cross_entropy(logits, labels)"""


def tensor_mlp_data(batch: int = 64, n_in: int = 784, n_hidden: int = 128, n_out: int = 10,
                    seed: int = 4) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x": rng.normal(0, 1, (batch, n_in)),
        "W1": rng.normal(0, (2 / n_in) ** 0.5, (n_in, n_hidden)),
        "b1": rng.normal(0, 0.01, (n_hidden,)),
        "W2": rng.normal(0, (1 / n_hidden) ** 0.5, (n_hidden, n_out)),
        "b2": rng.normal(0, 0.01, (n_out,)),
        "labels": rng.integers(0, n_out, (batch,)).astype(np.float64),
    }
