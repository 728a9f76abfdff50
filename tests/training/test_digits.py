"""The digits dataset, its held-out split, and the accuracy POST /api/train reports."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from sklearn.datasets import load_digits

from chainrule.errors import ChainruleError
from chainrule.training.datasets import DATASETS, make_dataset, split_rows
from chainrule.training.examples import TRAINING_EXAMPLES, train_kwargs

MLP = "h = relu(X @ W1 + b1)\nlogits = h @ W2 + b2\nloss = cross_entropy(logits, y)"


def _mlp_request(steps: int, hidden: int = 8) -> dict:
    return {
        "expression": MLP,
        "values": {
            "W1": {"init": "normal", "shape": [64, hidden], "scale": 0.2, "seed": 0},
            "b1": {"init": "zeros", "shape": [hidden]},
            "W2": {"init": "normal", "shape": [hidden, 10], "scale": 0.2, "seed": 1},
            "b2": {"init": "zeros", "shape": [10]},
        },
        "params": ["W1", "b1", "W2", "b2"],
        "dataset": "digits",
        "optimizer": {"name": "adam", "lr": 0.01},
        "batch_size": 128,
        "steps": steps,
    }


def test_digits_columns_are_scikit_learns_digits_shuffled_once() -> None:
    cols = make_dataset("digits")
    assert cols["X"].shape == (1797, 64) and cols["images"].shape == (1797, 1, 8, 8)
    assert cols["y"].shape == (1797,) and cols["Y"].shape == (1797, 10)
    assert cols["X"].min() == 0.0 and cols["X"].max() == 1.0
    np.testing.assert_array_equal(cols["images"].reshape(1797, 64), cols["X"])
    np.testing.assert_array_equal(np.argmax(cols["Y"], axis=1), cols["y"])
    source = load_digits()
    order = np.random.default_rng(0).permutation(1797)
    np.testing.assert_array_equal(cols["X"], source.data[order] / 16.0)
    np.testing.assert_array_equal(cols["y"], source.target[order])
    # the same rows whatever seed a request names: the split must never move
    np.testing.assert_array_equal(make_dataset({"name": "digits", "seed": 5})["X"], cols["X"])


def test_digits_split_is_the_last_360_rows() -> None:
    spec = DATASETS["digits"]
    assert (spec.test_rows, spec.label, spec.classes, spec.fixed) == (360, "y", 10, True)
    train, test = split_rows("digits", make_dataset("digits"))
    assert train["X"].shape == (1437, 64) and test["X"].shape == (360, 64)
    np.testing.assert_array_equal(np.concatenate([train["y"], test["y"]]), make_dataset("digits")["y"])
    assert set(np.unique(test["y"])) == set(range(10))
    moons = make_dataset("moons")
    assert split_rows("moons", moons) == (moons, {})


@pytest.mark.parametrize("field", [{"n": 100}, {"noise": 0.5}])
def test_digits_has_fixed_rows(field: dict) -> None:
    with pytest.raises(ChainruleError) as err:
        make_dataset({"name": "digits", **field})
    assert err.value.code == "bad_value" and "1797 rows" in err.value.message


def test_accuracy_and_held_out_loss_equal_a_hand_computation(client: TestClient) -> None:
    r = client.post("/api/train", json=_mlp_request(steps=5))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["data_rows"] == 1437  # training never sees the held-out rows
    p = {k: np.asarray(v) for k, v in body["final_params"].items()}
    train, test = split_rows("digits", make_dataset("digits"))

    def logits(X: np.ndarray) -> np.ndarray:
        return np.maximum(X @ p["W1"] + p["b1"], 0.0) @ p["W2"] + p["b2"]

    for rows, key in ((train, "train_accuracy"), (test, "test_accuracy")):
        expected = np.mean(np.argmax(logits(rows["X"]), axis=1) == rows["y"])
        assert body[key] == pytest.approx(expected, abs=1e-12)
    held = body["test"]
    assert held["rows"] == 360 and held["predict"] == "logits"
    ref = torch.nn.functional.cross_entropy(torch.tensor(logits(test["X"])), torch.tensor(test["y"]).long())
    assert held["loss"] == pytest.approx(float(ref), rel=1e-12)
    pics = held["pictures"]
    assert pics["shape"] == [8, 8] and len(pics["items"]) == 12
    first = pics["items"][0]
    assert first["row"] == 1437
    assert first["pixels"] == pytest.approx(test["X"][0].tolist())
    assert first["label"] == int(test["y"][0])
    assert first["predicted"] == int(np.argmax(logits(test["X"][:1]), axis=1)[0])


def test_predict_names_the_statement_and_bad_names_are_4xx(client: TestClient) -> None:
    req = {**_mlp_request(steps=2), "predict": "h"}  # argmax over the hidden units: allowed, poor
    r = client.post("/api/train", json=req)
    assert r.status_code == 200 and r.json()["test"]["predict"] == "h"
    r = client.post("/api/train", json={**req, "predict": "nope"})
    assert r.status_code == 400 and r.json()["error"]["params"]["field"] == "predict"
    linear = {"expression": "loss = mean((w*x - y)**2)", "values": {"w": 0.0}, "params": ["w"],
              "dataset": "linear", "steps": 1, "predict": "loss"}
    r = client.post("/api/train", json=linear)
    assert r.status_code == 400 and r.json()["error"]["params"]["reason"] == "no_label"


def test_no_accuracy_without_a_classifier(client: TestClient) -> None:
    r = client.post("/api/train", json={"expression": "loss = (w - 3)**2", "values": {"w": 0.0},
                                        "params": ["w"], "steps": 1})
    body = r.json()
    assert (body["train_accuracy"], body["test_accuracy"], body["test"]) == (None, None, None)


def test_moons_reports_training_accuracy_only(client: TestClient) -> None:
    ex = next(e for e in TRAINING_EXAMPLES if e["id"] == "mlp-moons")
    body = client.post("/api/train", json={**train_kwargs(ex), "steps": 20}).json()
    assert 0.5 < body["train_accuracy"] <= 1.0
    assert body["test_accuracy"] is None and body["test"] is None


def test_the_chapters_network_on_digits_reaches_90_percent(client: TestClient) -> None:
    ex = next(e for e in TRAINING_EXAMPLES if e["id"] == "mlp-digits")
    r = client.post("/api/train", json=train_kwargs(ex))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stopped"] is None and body["steps_run"] == ex["steps"]
    assert body["test_accuracy"] >= 0.90
