"""Datasets (seeded, shaped as documented), the batch sampler, and the loss surface."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.config import LIMITS
from chainrule.errors import ChainruleError
from chainrule.training.batching import batches
from chainrule.training.datasets import DATASETS, make_dataset
from chainrule.training.surface import surface


@pytest.mark.parametrize("name", [n for n, d in DATASETS.items() if not d.fixed])
def test_datasets_are_seeded_and_shaped(name: str) -> None:
    a = make_dataset({"name": name, "n": 37, "seed": 4})
    b = make_dataset({"name": name, "n": 37, "seed": 4})
    c = make_dataset({"name": name, "n": 37, "seed": 5})
    assert a.keys() == b.keys() == set(DATASETS[name].columns)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
        assert a[k].shape[0] == 37 and a[k].dtype == np.float64
    assert any(not np.array_equal(a[k], c[k]) for k in a)
    if DATASETS[name].task == "classification":
        assert a["X"].shape == (37, 2)
        assert set(np.unique(a["y"])) <= {0.0, 1.0}
        np.testing.assert_array_equal(a["Y"].argmax(axis=1), a["y"])


def test_linear_dataset_follows_its_formula() -> None:
    d = make_dataset({"name": "linear", "n": 500, "noise": 0.0})
    np.testing.assert_allclose(d["y"], 2 * d["x"] + 1)


@pytest.mark.parametrize(
    ("req", "code"),
    [
        ("mnist", "bad_value"),
        ({"name": "moons", "n": 0}, "bad_value"),
        ({"name": "moons", "n": LIMITS.max_dataset_rows + 1}, "limit_exceeded"),
        ({"name": "moons", "noise": -1}, "bad_value"),
        ({"name": "moons", "seed": -1}, "bad_value"),
        ({"name": "moons", "colour": "red"}, "bad_value"),
    ],
)
def test_bad_dataset_requests(req, code: str) -> None:
    with pytest.raises(ChainruleError) as exc:
        make_dataset(req)
    assert exc.value.code == code


def test_batches_cover_each_row_once_per_epoch() -> None:
    it = batches(7, 3, seed=11)
    seen: dict[int, list[int]] = {}
    for _ in range(9):
        epoch, idx = next(it)
        seen.setdefault(epoch, []).extend(idx.tolist())
    assert {e: sorted(v) for e, v in seen.items()} == {e: list(range(7)) for e in range(3)}
    again = batches(7, 3, seed=11)
    first = [next(again)[1].tolist() for _ in range(3)]
    assert first != [next(batches(7, 3, seed=12))[1].tolist()] * 3


def test_surface_one_param_matches_direct_evaluation() -> None:
    s = surface(
        "loss = w**4 - 3*w**2 + w + 2*sin(3*w)",
        {"w": 2.0},
        ["w"],
        ranges={"w": [-2, 2]},
        resolution=41,
    )
    w = np.array(s["axes"]["w"])
    np.testing.assert_allclose(s["loss"], w**4 - 3 * w**2 + w + 2 * np.sin(3 * w), rtol=1e-12)
    assert s["at"] == {"w": 2.0} and s["shape"] == [41]


def test_surface_default_range_and_data() -> None:
    s = surface(
        "loss = mean((w*x + b - y)**2)",
        {"w": 3.0, "b": 0.0},
        ["w", "b"],
        data={"x": [1, 2], "y": [2, 4]},
        resolution=5,
    )
    assert s["axes"]["w"] == [0.0, 1.5, 3.0, 4.5, 6.0]
    assert s["axes"]["b"] == [-1.0, -0.5, 0.0, 0.5, 1.0]
    w, b = 1.5, 0.5  # loss[j][i] at (w_i, b_j) = (axes.w[1], axes.b[3])
    assert s["loss"][3][1] == pytest.approx(np.mean((w * np.array([1, 2]) + b - [2, 4]) ** 2))


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"params": []}, "bad_value"),
        ({"params": ["w", "b", "c"]}, "bad_value"),
        ({"params": ["q"]}, "bad_value"),
        ({"params": ["W"]}, "bad_value"),  # a tensor
        ({"resolution": 1}, "bad_value"),
        ({"resolution": 10**6}, "limit_exceeded"),
        ({"ranges": {"w": [1, 0]}}, "bad_value"),
        ({"ranges": {"z": [0, 1]}}, "bad_value"),
    ],
)
def test_surface_bad_input(kw: dict, code: str) -> None:
    args = {
        "expression": "loss = sum(W) * w**2",
        "values": {"w": 1.0, "W": [1.0, 2.0]},
        "params": ["w"],
        **kw,
    }
    with pytest.raises(ChainruleError) as exc:
        surface(**args)
    assert exc.value.code == code
