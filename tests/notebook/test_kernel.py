"""The notebook widget's API in the kernel (chainrule/notebook/kernel.py): each request of the front
end answered with the status and JSON the HTTP API gives for the same request."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

import chainrule
from chainrule.notebook.kernel import answer

WORKED = "y = w*x + b; loss = abs(y_true - y)"
VALUES = {"x": 2, "y_true": 4, "w": 3, "b": 1}
TRAIN = {"expression": WORKED, "values": VALUES, "params": ["w", "b"],
         "optimizer": {"name": "sgd", "lr": 0.1}, "steps": 3}

REQUESTS: list[tuple[str, str, Any]] = [
    ("POST", "/api/train", TRAIN),
    ("POST", "/api/train", {**TRAIN, "dataset": "linear", "values": {"w": 0, "b": 0},
                            "expression": "loss = mean((w*x + b - y)**2)", "batch_size": 4}),
    ("POST", "/api/surface", {"expression": WORKED, "values": VALUES, "params": ["w"], "resolution": 5}),
    ("POST", "/api/graph", {"expression": WORKED, "values": VALUES}),
    ("GET", "/api/datasets", None),
    ("GET", "/api/datasets/moons?n=7&noise=0.2&seed=3", None),
    ("GET", "/api/meta", None),
    # errors: the same status and {"error": {...}}
    ("POST", "/api/train", {**TRAIN, "steps": "many"}),
    ("POST", "/api/train", {**TRAIN, "optimizer": {"name": "sgdd"}}),
    ("POST", "/api/train", {**TRAIN, "expression": "y = w*"}),
    ("POST", "/api/train", {**TRAIN, "params": ["nope"]}),
    ("POST", "/api/train", {**TRAIN, "values": {**VALUES, "x": [1, "two"]}}),
    ("POST", "/api/surface", {"expression": WORKED, "values": VALUES, "params": ["w"], "resolution": 10**6}),
    ("POST", "/api/train", "{not json"),
    ("GET", "/api/datasets/nope", None),
]


@pytest.mark.parametrize(("method", "url", "body"), REQUESTS)
def test_a_request_gets_the_http_apis_answer(client: TestClient, method: str, url: str, body: Any) -> None:
    text = body if isinstance(body, str) or body is None else orjson.dumps(body).decode()
    http = client.request(method, url, content=text, headers={"Content-Type": "application/json"})
    reply = answer({"id": 7, "method": method, "url": url, "body": text})
    assert reply["type"] == "api" and reply["id"] == 7
    assert (reply["status"], reply["body"]) == (http.status_code, http.json())


def test_a_route_the_notebook_does_not_serve_is_a_404_error() -> None:
    reply = answer({"id": 1, "method": "DELETE", "url": "/api/train", "body": None})
    assert reply["status"] == 404 and reply["body"]["error"]["code"] == "not_found"
    assert answer({})["status"] == 404


def test_the_widget_answers_its_front_ends_messages_and_keeps_the_trajectory(
        monkeypatch: pytest.MonkeyPatch) -> None:
    w = chainrule.show(WORKED, **VALUES)
    assert w.source == {"expression": WORKED, "values": VALUES, "output": "",
                        "train": {"params": ["w", "b"], "optimizer": {"name": "sgd", "lr": 0.1}}}
    assert 'id="train-step"' in w.training_markup and "<link" not in w.training_markup
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(w, "send", sent.append)
    w._on_message(w, {"type": "api", "id": 1, "method": "POST", "url": "/api/train",
                      "body": orjson.dumps(TRAIN).decode()}, [])
    w._on_message(w, {"type": "other"}, [])  # not an API request: no reply
    assert [m["id"] for m in sent] == [1] and sent[0]["status"] == 200
    assert w.trajectory == sent[0]["body"]["trajectory"] and len(w.trajectory) == 3
    assert w.trajectory[1]["params"] == {"w": 2.8, "b": 0.9}


def test_a_widget_of_an_analysis_has_no_training_panel() -> None:
    w = chainrule.show(chainrule.analyze("y = x*x", {"x": 3}))
    assert w.source == {}
