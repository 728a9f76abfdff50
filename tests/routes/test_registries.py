"""Every registry entry has its HTTP counterpart: GET /api/meta lists it, the request schema
(generated from the registry) accepts it, and POST /api/train runs it. A new optimizer or
dataset fails here until it works over HTTP (the browser side: tests/e2e/test_registries.py)."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from fastapi.testclient import TestClient

from chainrule.config import LIMITS
from chainrule.engine.ops import OPERATORS
from chainrule.engine.parser import INDEX, NEGATION, TRANSPOSE
from chainrule.languages import LANGUAGES
from chainrule.registries import DEFAULT_EMBED_PANELS, EMBED_PANELS
from chainrule.training.datasets import DATASETS, make_dataset
from chainrule.training.optimizers import OPTIMIZERS

WORKED = {
    "expression": "y = w*x + b\nloss = abs(y_true - y)",
    "values": {"x": 2, "y_true": 4, "w": 3, "b": 1},
    "params": ["w", "b"],
    "steps": 3,
}
REGRESSION = {"expression": "loss = mean((w*x + b - y)**2)", "values": {"w": 0.5, "b": 0.0}, "params": ["w", "b"]}
CLASSIFIER = {"expression": "loss = cross_entropy(X @ W, y)", "values": {"W": [[0.1, -0.1], [0.2, 0.3]]}, "params": ["W"]}


def _not_default(h) -> object:
    """A valid value of a hyper-parameter other than its default (so the round trip is seen)."""
    if h.kind == "bool":
        return not h.default
    if h.kind == "betas":
        return [0.8, 0.99]
    return h.default * 0.5 if h.default else 0.125


def test_meta_lists_every_registry(client: TestClient) -> None:
    r = client.get("/api/meta")
    assert r.status_code == 200
    meta = r.json()
    assert [o["name"] for o in meta["optimizers"]] == list(OPTIMIZERS)
    for o in meta["optimizers"]:
        cls = OPTIMIZERS[o["name"]]
        assert [h["name"] for h in o["hyper"]] == list(cls.defaults)
        assert o["torch"] == cls.torch and o["formula"]
    assert [d["name"] for d in meta["datasets"]] == list(DATASETS)
    assert meta["limits"] == asdict(LIMITS)
    assert meta["embed"] == {"panels": list(EMBED_PANELS), "default": list(DEFAULT_EMBED_PANELS)}
    assert meta["languages"] == list(LANGUAGES) == ["en", "vi"]
    ops = {(o["name"], o["symbol"], o["notation"]) for o in meta["operators"]}
    assert ops == {(op.name, s, "infix") for s, op in OPERATORS.items()} | {
        (NEGATION, "-", "prefix"),
        (TRANSPOSE, ".T", "postfix"),
        (INDEX, "[]", "subscript"),
    }


def test_request_schema_is_generated_from_the_registries(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    config = schemas["OptimizerConfig"]["properties"]
    assert config["name"]["enum"] == list(OPTIMIZERS)
    every_hyper = {h.name for cls in OPTIMIZERS.values() for h in cls.hyper}
    assert every_hyper <= set(config)
    assert schemas["DatasetRequest"]["properties"]["name"]["enum"] == list(DATASETS)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_trains_over_http_with_every_hyper_parameter(client: TestClient, name: str) -> None:
    cls = OPTIMIZERS[name]
    hyper = {h.name: _not_default(h) for h in cls.hyper}
    if name == "sgd":
        hyper["dampening"] = 0.0  # nesterov (flipped on) needs momentum > 0 and no dampening
    r = client.post("/api/train", json={**WORKED, "optimizer": {"name": name, **hyper}})
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    assert body["optimizer"]["name"] == name
    assert body["optimizer"]["hyper"] == hyper
    assert body["steps_run"] == 3 and len(body["trajectory"]) == 3
    assert body["trajectory"][1]["update"]["w"]["lines"]


def _setup_for(name: str) -> dict:
    spec = DATASETS[name]
    if spec.task == "regression":
        return REGRESSION
    width = make_dataset(name)["X"].shape[1]
    return {**CLASSIFIER, "values": {"W": {"init": "zeros", "shape": [width, spec.classes]}}}


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_dataset_trains_over_http(client: TestClient, name: str) -> None:
    spec = DATASETS[name]
    requests = [name] if spec.fixed else [name, {"name": name, "n": 20, "seed": 1}]
    for dataset in requests:
        r = client.post("/api/train", json={**_setup_for(name), "dataset": dataset, "steps": 2, "batch_size": 8})
        assert r.status_code == 200, (dataset, r.text[:300])
        rows = 20 if isinstance(dataset, dict) else spec.n - spec.test_rows
        assert r.json()["data_rows"] == rows


def test_unknown_registry_names_are_refused_in_the_users_terms(client: TestClient) -> None:
    r = client.post("/api/train", json={**WORKED, "optimizer": {"name": "lbfgs"}})
    assert r.status_code in (400, 422) and "sgd" in r.json()["error"]["message"]
    r = client.post("/api/train", json={**REGRESSION, "dataset": {"name": "mnist"}})
    assert r.status_code in (400, 422) and "linear" in r.json()["error"]["message"]
