"""Benchmark: the small CNN of the examples on a batch of 64 digits, forward and backward,
against the same network in a PyTorch float64 loop.

    .venv/bin/python bench/bench_cnn.py [--batch 64] [--repeats 7]

The network is the ``cnn-digits`` example of ``chainrule/examples.py`` (two 3×3
convolutions with padding 1, leaky ReLU and ReLU, max and average pooling, a dense layer,
cross-entropy), run on ``--batch`` 8×8 one-channel images. chainrule runs the compiled
program as training does (``Program.run`` with the parameters as ``wrt``, no per-edge
records); torch runs the same operations with autograd (``torch.autograd.grad``), float64,
one thread each. Both are timed as the median CPU time per forward+backward over
``--repeats`` batches of calls lasting at least 0.2 s; the gradients are checked equal first.
The target is a ratio of at most 3.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch
import torch.nn.functional as F

from bench.bench_diagnostics import per_call
from chainrule.engine import ENGINE_KIND, compile_program
from chainrule.engine.values import resolve_values
from chainrule.examples import EXAMPLES

TARGET_RATIO = 3.0
PARAMS = ("K1", "K2", "W", "b")


def batch_values(batch: int) -> dict[str, Any]:
    """The example's parameters, and ``batch`` images and labels in the digits' layout."""
    example = next(e for e in EXAMPLES if e["id"] == "cnn-digits")
    rng = np.random.default_rng(0)
    values = dict(example["values"])
    values["images"] = rng.uniform(0.0, 1.0, size=(batch, 1, 8, 8))
    values["y"] = rng.integers(0, 10, size=batch).astype(np.float64)
    return values


def torch_network(t: dict[str, torch.Tensor]) -> torch.Tensor:
    h1 = F.leaky_relu(F.conv2d(t["images"], t["K1"], padding=1), 0.1)
    p1 = F.max_pool2d(h1, 2)
    h2 = torch.relu(F.conv2d(p1, t["K2"], padding=1))
    p2 = F.avg_pool2d(h2, 2)
    logits = torch.flatten(p2, 1) @ t["W"] + t["b"]
    return F.cross_entropy(logits, t["y"].long())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)

    example = next(e for e in EXAMPLES if e["id"] == "cnn-digits")
    program = compile_program(example["expression"])
    values = resolve_values(batch_values(args.batch), program.input_names)
    wrt = frozenset(PARAMS)
    tensors = {k: torch.tensor(np.asarray(v), dtype=torch.float64, requires_grad=k in wrt)
               for k, v in values.items()}
    leaves = [tensors[k] for k in PARAMS]

    def chainrule_step() -> dict[str, Any]:
        return program.run(values, wrt=wrt, record_edges=False).input_grads

    def torch_step() -> tuple[torch.Tensor, ...]:
        return torch.autograd.grad(torch_network(tensors), leaves)

    ours, theirs = chainrule_step(), torch_step()
    for name, grad in zip(PARAMS, theirs, strict=True):
        np.testing.assert_allclose(ours[name], grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)

    t_chainrule = per_call(chainrule_step, args.repeats)
    t_torch = per_call(torch_step, args.repeats)
    ratio = t_chainrule / t_torch
    print(f"engine: {ENGINE_KIND}; CNN on a batch of {args.batch} 8x8 images, forward + backward")
    print(f"chainrule {t_chainrule * 1e3:.3f} ms, torch float64 {t_torch * 1e3:.3f} ms, "
          f"ratio {ratio:.2f} (target <= {TARGET_RATIO:g}: {'met' if ratio <= TARGET_RATIO else 'NOT met'})")


if __name__ == "__main__":
    main()
