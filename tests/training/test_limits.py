"""Every training limit in chainrule/config.py triggers limit_exceeded (or the documented fallback)
and names the environment variable that changes it."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import pytest

import chainrule.config
from chainrule.errors import ChainruleError
from chainrule.training.datasets import make_dataset
from chainrule.training.surface import surface
from chainrule.training.train import train

LINEAR = "loss = mean((w*x + b - y)**2)"
DATA = {"x": [1.0, 2.0, 3.0, 4.0], "y": [2.0, 4.0, 6.0, 8.0]}


@pytest.fixture
def set_limit(monkeypatch: pytest.MonkeyPatch) -> Any:
    def apply(**changes: Any) -> None:
        limits = dataclasses.replace(chainrule.config.LIMITS, **changes)
        for name, module in list(sys.modules.items()):
            if (name == "chainrule" or name.startswith("chainrule.")) and hasattr(module, "LIMITS"):
                monkeypatch.setattr(module, "LIMITS", limits)
    return apply


def rejected(call: Any) -> ChainruleError:
    with pytest.raises(ChainruleError) as info:
        call()
    assert info.value.code == "limit_exceeded", info.value
    return info.value


def test_train_steps(set_limit: Any) -> None:
    set_limit(max_train_steps=5)
    error = rejected(lambda: train(LINEAR, {"w": 0.0, "b": 0.0}, ["w", "b"], data=DATA, steps=6))
    assert "CHAINRULE_MAX_TRAIN_STEPS" in error.message


def test_train_work(set_limit: Any) -> None:
    set_limit(max_train_work=50)
    error = rejected(lambda: train(LINEAR, {"w": 0.0, "b": 0.0}, ["w", "b"], data=DATA, steps=10))
    assert "CHAINRULE_MAX_TRAIN_WORK" in error.message


def test_trajectory_numbers(set_limit: Any) -> None:
    set_limit(max_trajectory_numbers=100)
    error = rejected(lambda: train("loss = sum(w*w)", {"w": [1.0] * 10}, ["w"], steps=6))
    assert "CHAINRULE_MAX_TRAJECTORY_NUMBERS" in error.message


def test_surface_grid_and_work(set_limit: Any) -> None:
    set_limit(max_grid=11)
    error = rejected(lambda: surface(LINEAR, {"w": 0.0, "b": 0.0}, ["w"], data=DATA, resolution=12))
    assert "CHAINRULE_MAX_GRID" in error.message
    set_limit(max_surface_work=100)
    error = rejected(lambda: surface(LINEAR, {"w": 0.0, "b": 0.0}, ["w", "b"], data=DATA,
                                     resolution=11))
    assert "CHAINRULE_MAX_SURFACE_WORK" in error.message


def test_dataset_rows(set_limit: Any) -> None:
    set_limit(max_dataset_rows=10)
    error = rejected(lambda: make_dataset({"name": "moons", "n": 11}))
    assert "CHAINRULE_MAX_DATASET_ROWS" in error.message


def test_example_rows_turn_off_per_example_by_default(set_limit: Any) -> None:
    set_limit(max_example_rows=2)
    result = train(LINEAR, {"w": 0.0, "b": 0.0}, ["w", "b"], data=DATA, steps=1)
    assert "example_losses" not in result["trajectory"][0]  # 4 rows > 2
    with pytest.raises(ChainruleError) as info:
        train(LINEAR, {"w": 0.0, "b": 0.0}, ["w", "b"], data=DATA, steps=1, per_example=True)
    assert info.value.code == "bad_value"
    set_limit(max_example_rows=4)
    result = train(LINEAR, {"w": 0.0, "b": 0.0}, ["w", "b"], data=DATA, steps=1)
    assert len(result["trajectory"][0]["example_losses"]) == 4


def test_train_stops_between_steps_when_the_budget_runs_out(set_limit: Any) -> None:
    set_limit(request_budget_seconds=0.0)
    result = train(LINEAR, {"w": 0.0, "b": 0.0}, ["w", "b"], data=DATA, steps=50)
    assert (result["steps_run"], result["stopped"]) == (1, "budget")
    assert any("compute budget" in w and "after 1 of 50" in w for w in result["warnings"])
    assert isinstance(result["final_loss"], float)


def test_train_stops_inside_a_step_when_the_budget_runs_out(set_limit: Any) -> None:
    """A graph big enough for the engine to check the budget while it runs: no step is
    finished, and the answer is still a (partial) training result, not an error."""
    set_limit(request_budget_seconds=0.0)
    long_sum = "loss = " + " + ".join(f"w*{k}" for k in range(1500))
    result = train(long_sum, {"w": 1.0}, ["w"], steps=3)
    assert (result["steps_run"], result["stopped"]) == (0, "budget")
    assert result["final_params"] == {"w": 1.0}
