"""No shipped example warns about itself: every example of GET /api/examples analysed as the
page loads it, and every training example of GET /api/datasets trained (and its graph drawn
with the data columns its expression uses), gives no "unused" warning. A warning is told apart
by its code (warning_details), not by its wording."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from chainrule.training.examples import TRAINING_EXAMPLES

UNUSED = {"unused_value", "unused_values", "unused_column"}


def unused(body: dict[str, Any]) -> list[str]:
    assert len(body["warning_details"]) == len(body["warnings"])
    return [w["message"] for w in body["warning_details"] if w["code"] in UNUSED]


def test_a_value_the_expression_does_not_use_is_still_reported(client: TestClient) -> None:
    """The check below can fail: an extra value gives the coded warning."""
    body = client.post("/api/graph", json={"expression": "y = w*x", "values": {"w": 1, "x": 2, "Y": 3}}).json()
    assert unused(body) and body["warning_details"][0]["params"] == {"names": ["Y"]}
    body = client.post("/api/train", json={"expression": "loss = (w - 1)**2", "values": {"w": 0, "Y": 1},
                                           "params": ["w"], "steps": 1}).json()
    assert [w["params"] for w in body["warning_details"] if w["code"] == "unused_value"] == [{"name": "Y"}]


def test_every_example_analyses_without_an_unused_value(client: TestClient) -> None:
    examples = client.get("/api/examples").json()
    assert examples
    for ex in examples:
        body = {"expression": ex["expression"], "values": ex["values"]}
        if ex.get("output"):
            body["output"] = ex["output"]
        r = client.post("/api/graph", json=body)
        assert r.status_code == 200, (ex["id"], r.text)
        assert unused(r.json()) == [], ex["id"]


@pytest.mark.parametrize("example", [ex["id"] for ex in TRAINING_EXAMPLES])
def test_every_training_example_trains_and_draws_without_an_unused_value(client: TestClient, example: str) -> None:
    ex = next(e for e in client.get("/api/datasets").json()["examples"] if e["id"] == example)
    request = {k: ex[k] for k in ("expression", "values", "params", "optimizer", "data", "dataset",
                                  "batch_size", "output", "predict") if k in ex}
    r = client.post("/api/train", json={**request, "steps": min(ex["steps"], 3)})
    assert r.status_code == 200, r.text
    assert unused(r.json()) == []
    # the graph beside it: the start values and the data columns the expression reads
    graph = client.post("/api/graph", json={"expression": ex["expression"], "values": ex["values"],
                                            "detail": "summary"})
    missing = graph.json()["error"]["params"]["names"] if graph.status_code != 200 else []
    columns = data_columns(client, ex)
    values = {**ex["values"], **{c: columns[c] for c in missing}}
    r = client.post("/api/graph", json={"expression": ex["expression"], "values": values, "detail": "summary"})
    assert r.status_code == 200, r.text
    assert unused(r.json()) == []


def data_columns(client: TestClient, ex: dict[str, Any]) -> dict[str, Any]:
    if "data" in ex:
        return dict(ex["data"])
    if "dataset" not in ex:
        return {}
    spec = ex["dataset"] if isinstance(ex["dataset"], dict) else {"name": ex["dataset"]}
    query = {k: v for k, v in spec.items() if k != "name"}
    columns: dict[str, Any] = client.get(f"/api/datasets/{spec['name']}", params=query).json()["columns"]
    return columns
