"""Benchmark: chainrule's ``train`` against an equivalent ``torch.optim`` loop, same run.

    python bench/bench_train.py [--repeats 7] [--threads 1]

Cases (float64 in both; the same data, initial values and hyper-parameters):
- linreg: 1,000 full-batch SGD steps of linear regression on 1,000 points;
- mlp:    200 full-batch Adam steps of a 2-16-2 tanh MLP with cross-entropy on two moons
          (200 points);
- mlp-b32: the same MLP with mini-batches of 32 (the UI example; torch uses the same rows).

Each side is timed end to end as a user would call it: chainrule's ``train`` includes
compiling the expression, resolving values and building the JSON-ready response (the whole
trajectory); the torch loop includes making the tensors and recording loss, params and grads
per step as Python floats/lists (what the same response needs). Extra columns: train without
the per-step update arithmetic (explain=False), and a torch loop that records nothing.
Medians over ``--repeats``; the variants run in turn each round so they see the same load.

Threads: both sides run single-threaded by default (torch.set_num_threads(1); OpenBLAS via
threadpoolctl when available): on 2 cores the tiny matmuls here only lose to threading
overhead. OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE may be set on this machine for old OpenBLAS
builds and slow numpy; unset both for this command alone to measure numpy at full speed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chainrule.training.batching import batches
from chainrule.training.datasets import make_dataset
from chainrule.training.train import train

MLP_EXPR = "h = tanh(X @ W1 + b1)\nlogits = h @ W2 + b2\nloss = cross_entropy(logits, y)"


def linreg_case() -> dict[str, Any]:
    d = make_dataset({"name": "linear", "n": 1000, "noise": 0.1, "seed": 0})
    return {
        "expression": "loss = mean((w*x + b - y)**2)",
        "values": {"w": 0.0, "b": 0.0},
        "params": ["w", "b"],
        "data": {"x": d["x"].tolist(), "y": d["y"].tolist()},
        "optimizer": {"name": "sgd", "lr": 0.1, "momentum": 0.9},
        "steps": 1000,
    }


def mlp_case(batch_size: int | None) -> dict[str, Any]:
    d = make_dataset({"name": "moons", "n": 200, "noise": 0.1, "seed": 0})
    rng = np.random.default_rng(0)
    init = {
        "W1": rng.normal(0, 1.0, (2, 16)),
        "b1": np.zeros(16),
        "W2": rng.normal(0, 0.25, (16, 2)),
        "b2": np.zeros(2),
    }
    case = {
        "expression": MLP_EXPR,
        "values": {k: v.tolist() for k, v in init.items()},
        "params": list(init),
        "data": {"X": d["X"].tolist(), "y": d["y"].tolist()},
        "optimizer": {"name": "adam", "lr": 0.05},
        "steps": 200,
    }
    if batch_size:
        case["batch_size"] = batch_size
    return case


def torch_linreg(case: dict[str, Any], record: bool = True) -> dict[str, Any]:
    import torch

    x = torch.tensor(case["data"]["x"], dtype=torch.float64)
    y = torch.tensor(case["data"]["y"], dtype=torch.float64)
    w = torch.tensor(case["values"]["w"], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(case["values"]["b"], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=0.1, momentum=0.9)
    traj = []
    for k in range(case["steps"]):
        opt.zero_grad()
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        if record:
            traj.append(
                {
                    "step": k,
                    "loss": loss.item(),
                    "params": {"w": w.item(), "b": b.item()},
                    "grads": {"w": w.grad.item(), "b": b.grad.item()},
                }
            )
        opt.step()
    with torch.no_grad():
        final = ((w * x + b - y) ** 2).mean().item()
    return {"trajectory": traj, "final_params": {"w": w.item(), "b": b.item()}, "final_loss": final}


def torch_mlp(case: dict[str, Any], record: bool = True) -> dict[str, Any]:
    import torch
    import torch.nn.functional as F

    X = torch.tensor(case["data"]["X"], dtype=torch.float64)
    y = torch.tensor(case["data"]["y"], dtype=torch.float64).long()
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in case["values"].items()}
    opt = torch.optim.Adam(list(p.values()), lr=0.05)
    bs = case.get("batch_size")
    sampler = batches(len(y), bs, case.get("seed", 0)) if bs else None
    traj = []
    for k in range(case["steps"]):
        xb, yb = X, y
        if sampler is not None:
            _, idx = next(sampler)
            ti = torch.from_numpy(idx)
            xb, yb = X[ti], y[ti]
        opt.zero_grad()
        logits = torch.tanh(xb @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
        loss = F.cross_entropy(logits, yb)
        loss.backward()
        if record:
            traj.append(
                {
                    "step": k,
                    "loss": loss.item(),
                    "params": {n: t.detach().tolist() for n, t in p.items()},
                    "grads": {n: t.grad.tolist() for n, t in p.items()},
                }
            )
        opt.step()
    with torch.no_grad():
        logits = torch.tanh(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
        final = F.cross_entropy(logits, y).item()
    return {
        "trajectory": traj,
        "final_params": {n: t.detach().tolist() for n, t in p.items()},
        "final_loss": final,
    }


def timed_many(fns: list[Callable[[], Any]], repeats: int) -> tuple[list[float], list[Any]]:
    """Median seconds of each function, run in turn each round so all see the same load."""
    outs = [f() for f in fns]  # warm-up (imports, caches)
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for i, f in enumerate(fns):
            t0 = time.perf_counter()
            outs[i] = f()
            times[i].append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times], outs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    except ImportError:
        pass

    cases = [
        ("linreg 1000 steps x 1000 pts (sgd+momentum)", linreg_case(), torch_linreg),
        ("mlp 2-16-2 moons 200 steps full batch (adam)", mlp_case(None), torch_mlp),
        ("mlp 2-16-2 moons 200 steps batch 32 (adam)", mlp_case(32), torch_mlp),
    ]
    print(
        f"torch {torch.__version__}, numpy {np.__version__}, threads={args.threads}, "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '-')}, "
        f"repeats={args.repeats}"
    )
    rows = []
    for name, case, torch_fn in cases:
        (t_ours, t_lean, t_torch, t_bare), (ours, _, ref, _) = timed_many(
            [
                lambda case=case: train(**case),
                lambda case=case: train(**case, explain=False),
                lambda case=case, f=torch_fn: f(case),
                lambda case=case, f=torch_fn: f(case, record=False),
            ],
            args.repeats,
        )
        # the same numbers, or the comparison means nothing
        rel = abs(ours["final_loss"] - ref["final_loss"]) / max(abs(ref["final_loss"]), 1e-12)
        assert rel < 1e-6, (name, ours["final_loss"], ref["final_loss"])
        rows.append((name, t_ours, t_lean, t_torch, t_bare, rel))

    print(f"load average {os.getloadavg()[0]:.2f}")
    print(
        "\n| case | chainrule train (ms) | train, explain=False (ms) | torch.optim loop (ms) "
        "| torch, no recording (ms) | ratio train / torch loop | final-loss rel diff |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, a, lean, b, c, rel in rows:
        print(
            f"| {name} | {a * 1e3:.1f} | {lean * 1e3:.1f} | {b * 1e3:.1f} | {c * 1e3:.1f} "
            f"| {a / b:.2f}x | {rel:.1e} |"
        )


if __name__ == "__main__":
    main()
