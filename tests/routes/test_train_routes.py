"""HTTP: POST /api/train, POST /api/surface, GET /api/datasets[/{name}]."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from chainrule.training.optimizers import OPTIMIZERS

REQUEST = {
    "expression": "loss = mean((w*x + b - y)**2)",
    "values": {"w": 0.3, "b": 0.0},
    "params": ["w", "b"],
    "data": {"x": [1, 2, 3, 4], "y": [2, 4, 6, 8]},
    "optimizer": {
        "name": "sgd",
        "lr": 0.05,
        "momentum": 0.9,
        "nesterov": False,
        "weight_decay": 0.0,
    },
    "steps": 100,
    "seed": 0,
}


def test_post_train_contract_example(client: TestClient) -> None:
    r = client.post("/api/train", json=REQUEST)
    assert r.status_code == 200, r.text
    body = r.json()
    first = body["trajectory"][0]
    assert first["step"] == 0
    assert first["loss"] == pytest.approx(21.675)
    assert first["params"] == {"w": 0.3, "b": 0.0}
    assert first["grads"] == pytest.approx({"w": -25.5, "b": -8.5})
    assert len(body["trajectory"]) == 100
    assert body["final_params"]["w"] == pytest.approx(2.0, abs=0.05)
    assert body["warnings"] == []
    assert body["optimizer"]["hyper"]["momentum"] == 0.9


def test_post_train_mini_batches_with_a_dataset(client: TestClient) -> None:
    req = {
        "expression": "loss = mean((w*x + b - y)**2)",
        "values": {"w": 0, "b": 0},
        "params": ["w", "b"],
        "dataset": {"name": "linear", "n": 20, "seed": 2},
        "batch_size": 8,
        "steps": 6,
        "optimizer": {"name": "adam", "lr": 0.1},
    }
    body = client.post("/api/train", json=req).json()
    assert [len(s["batch"]) for s in body["trajectory"]] == [8, 8, 4, 8, 8, 4]
    assert body["trajectory"][0]["example_losses"]
    assert body == client.post("/api/train", json=req).json()


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"optimizer": {"name": "nadam"}}, 422, "invalid_request"),
        ({"optimizer": {"name": "sgd", "lr": -0.1}}, 400, "bad_value"),
        ({"params": ["w", "q"]}, 400, "bad_value"),
        ({"data": {"x": [1, 2, 3], "y": [1, 2]}}, 400, "bad_value"),
        ({"data": {"x": [[1, 2], [3]], "y": [1, 2]}}, 400, "bad_value"),
        ({"batch_size": 0}, 400, "bad_value"),
        ({"steps": 10**9}, 400, "limit_exceeded"),
        ({"steps": -5}, 400, "bad_value"),
        ({"values": {"w": 0.3}}, 400, "missing_value"),
        ({"expression": "loss = (w"}, 400, "syntax_error"),
        ({"unknown_field": 1}, 422, "invalid_request"),
    ],
)
def test_post_train_bad_input(client: TestClient, change: dict, status: int, code: str) -> None:
    r = client.post("/api/train", json={**REQUEST, **change})
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code
    assert err["message"]


def test_post_train_divergence_is_200_with_a_warning(client: TestClient) -> None:
    r = client.post("/api/train", json={**REQUEST, "optimizer": {"name": "sgd", "lr": 2.0}, "steps": 500})
    assert r.status_code == 200
    body = r.json()
    assert body["stopped"] == "diverged"
    assert any("diverged" in w for w in body["warnings"])


def test_post_train_non_finite_numbers_are_strings(client: TestClient) -> None:
    r = client.post(
        "/api/train",
        json={
            "expression": "loss = log(w)",
            "values": {"w": 1.0},
            "params": ["w"],
            "optimizer": {"name": "sgd", "lr": 2},
            "steps": 5,
        },
    )
    assert r.status_code == 200
    assert r.json()["final_loss"] in ("NaN", "-Infinity")


def test_post_surface_two_params(client: TestClient) -> None:
    req = {
        "expression": REQUEST["expression"],
        "values": {"w": 1.0, "b": 0.0},
        "params": ["w", "b"],
        "data": REQUEST["data"],
        "resolution": 11,
        "ranges": {"w": [0, 4], "b": [-1, 1]},
    }
    r = client.post("/api/surface", json=req)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["shape"] == [11, 11]
    assert body["axes"]["w"][0] == 0 and body["axes"]["w"][-1] == 4
    # loss[j][i] is at (w_i, b_j): the minimum w = 2, b = 0 is at i = 5, j = 5
    assert body["loss"][5][5] == pytest.approx(0.0, abs=1e-12)


def test_post_surface_limits(client: TestClient) -> None:
    req = {
        "expression": "loss = w**2",
        "values": {"w": 1.0},
        "params": ["w"],
        "resolution": 100_000,
    }
    r = client.post("/api/surface", json=req)
    assert r.status_code == 400 and r.json()["error"]["code"] == "limit_exceeded"


def test_get_datasets(client: TestClient) -> None:
    body = client.get("/api/datasets").json()
    assert [d["name"] for d in body["datasets"]] == ["linear", "sine", "moons", "xor", "spirals", "digits"]
    assert [o["name"] for o in body["optimizers"]] == list(OPTIMIZERS)
    assert body["examples"][0]["id"] == "worked"
    moons = client.get("/api/datasets/moons", params={"n": 30, "seed": 1}).json()
    assert len(moons["columns"]["X"]) == 30 and len(moons["columns"]["X"][0]) == 2
    r = client.get("/api/datasets/mnist")
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_value"
