"""HTTP: POST /api/graph answers the contract (same dict as analyze(), valid JSON, errors)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from fastapi.testclient import TestClient

from chainrule import analyze
from chainrule.examples import EXAMPLES


def strict_json(text: str) -> Any:
    def bare(name: str) -> Any:
        raise AssertionError(f"bare {name} in a JSON response")
    return json.loads(text, parse_constant=bare)


def test_worked_example_over_http(client: TestClient) -> None:
    r = client.post("/api/graph", json={"expression": "y = w*x + b; loss = abs(y_true - y)",
                                        "values": {"x": 2, "y_true": 4, "w": 3, "b": 1}})
    assert r.status_code == 200
    body = strict_json(r.text)
    assert math.isclose(body["value"], 3.0)
    assert body["gradients"] == pytest.approx({"w": 2.0, "b": 1.0, "x": 3.0, "y_true": -1.0})
    assert body["backward_order"][0] == body["output"]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["id"] for e in EXAMPLES])
def test_http_matches_python_api(client: TestClient, example: dict[str, Any]) -> None:
    r = client.post("/api/graph", json={"expression": example["expression"],
                                        "values": example["values"]})
    assert r.status_code == 200, r.text
    assert strict_json(r.text) == json.loads(json.dumps(analyze(example["expression"],
                                                                example["values"])))


def test_non_finite_values_are_valid_json_over_http(client: TestClient) -> None:
    r = client.post("/api/graph", json={"expression": "sum(log(x)) + y / z",
                                        "values": {"x": [1.0, 0.0, -1.0], "y": [1.0], "z": [0.0]}})
    assert r.status_code == 200
    body = strict_json(r.text)
    assert body["warnings"]
    assert body["value"] == ["NaN"]  # sum(...) + (1,)-shaped y/z broadcasts to shape [1]


def test_check_and_summary_over_http(client: TestClient) -> None:
    r = client.post("/api/graph", json={"expression": "sum(tanh(W @ x))", "detail": "summary",
                                        "check": True, "values": {
                                            "W": {"init": "normal", "shape": [4, 8], "seed": 1},
                                            "x": {"init": "uniform", "shape": [8], "seed": 2}}})
    assert r.status_code == 200
    body = strict_json(r.text)
    assert body["gradients"]["W"]["summary"] is True
    assert all(entry["rel_error"] < 1e-6 for entry in body["check"].values())
    assert "indices" in body["check"]["W"]  # 32 elements: a spread of 16 checked


def test_error_object_shape(client: TestClient) -> None:
    r = client.post("/api/graph", json={"expression": "a = 1\nb = a +", "values": {}})
    assert r.status_code == 400
    assert strict_json(r.text) == {"error": {"code": "syntax_error", "message": r.json()["error"]["message"],
                                             "line": 2, "col": 8, "params": {"reason": "incomplete"}}}
