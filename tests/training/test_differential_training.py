"""Differential tests of training: random small models, every optimizer of the registry with
random options, full-batch trajectories (30-40 steps) against torch.optim.

``CHAINRULE_SOAK=20000`` runs SOAK/20 random training runs (1,000) instead of the CI's few.
A failure prints a pasteable reproduction.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch

from chainrule import train
from chainrule.training.optimizers import OPTIMIZERS
from tests.support.random_training import (
    compare_training,
    random_training_case,
    training_reproduction,
)

SOAK = int(os.environ.get("CHAINRULE_SOAK", "0"))
RUNS_PER_OPTIMIZER = max(8, math.ceil(SOAK / 20 / len(OPTIMIZERS)))  # SOAK/20 runs at least


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_random_training_runs_follow_torch_optim(name: str) -> None:
    failures = []
    stops: list[str | None] = []
    for k in range(RUNS_PER_OPTIMIZER):
        seed = 2_000_000 + 1000 * sorted(OPTIMIZERS).index(name) + k
        tc = random_training_case(np.random.default_rng(seed), optimizer=name, seed=seed)
        problem = compare_training(tc, stops)
        if problem:
            failures.append(training_reproduction(tc, problem))
    assert not failures, (f"{len(failures)} of {RUNS_PER_OPTIMIZER} runs differ:\n\n"
                          + "\n\n".join(failures[:3]))
    # runs cut short by the compute budget (a loaded machine) are compared only as far as
    # they went: most must run to the end for the test to mean something
    assert stops.count("budget") <= len(stops) // 10, stops


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_scalar_param_under_a_kinked_op(name: str) -> None:
    """Found by the random runs: adaptive optimizers return numpy scalars for a scalar param,
    which the engine's scalar path could not compare (abs(w): TypeError, a 500 over HTTP)."""
    result = train("loss = abs(w) + w * w", {"w": 1.0}, ["w"], optimizer={"name": name, "lr": 0.1},
                   steps=4)
    w = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, OPTIMIZERS[name].torch.rsplit(".", 1)[1])([w], lr=0.1)
    for step in result["trajectory"]:
        opt.zero_grad()
        loss = w.abs() + w * w
        loss.backward()
        assert step["loss"] == pytest.approx(loss.item(), rel=1e-12)
        opt.step()
    assert result["final_params"]["w"] == pytest.approx(w.item(), rel=1e-12)
