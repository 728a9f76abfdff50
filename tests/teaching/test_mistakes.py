"""The classic backprop bugs on POST /api/graph (overwrite, early_visit) and POST /api/train
(no_zero_grad), against the truth and against a hand-written torch loop."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from chainrule import analyze
from chainrule.config import LIMITS
from chainrule.routes import graph as graph_routes
from chainrule.training.examples import TRAINING_EXAMPLES, train_kwargs

SHARED = {"expression": "b = x + x\nc = b + b", "values": {"x": 1.0}}


def post(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/api/graph", json=body)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def ids_of(result: dict[str, Any], *labels: str) -> list[str]:
    by_label = {n["label"]: n["id"] for n in result["nodes"]}
    return [by_label[label] for label in labels]


def test_overwrite_keeps_one_share(client: TestClient) -> None:
    result = post(client, {**SHARED, "mistake": "overwrite"})
    assert result["gradients"] == {"x": 1.0}
    assert result["correct_gradients"] == {"x": 4.0}
    assert result["wrong_nodes"] == ids_of(result, "x", "b")
    assert result["correct_node_grads"] == dict(zip(ids_of(result, "x", "b"), [4.0, 2.0], strict=True))
    grads = {n["label"]: n["grad"] for n in result["nodes"]}
    assert grads == {"x": 1.0, "b": 1.0, "c": 1.0}
    explanation = result["mistake_explanation"]
    assert explanation["buggy_line"].startswith("x.grad = ")
    assert explanation["right_line"].startswith("x.grad += ")


def test_early_visit_sends_partial_gradients_twice(client: TestClient) -> None:
    result = post(client, {**SHARED, "mistake": "early_visit", "lang": "vi"})
    assert result["gradients"] == {"x": 6.0}
    assert result["correct_gradients"] == {"x": 4.0}
    assert result["wrong_nodes"] == ids_of(result, "x")  # b is complete before it is walked on
    grads = {n["label"]: n["grad"] for n in result["nodes"]}
    assert grads == {"x": 6.0, "b": 2.0, "c": 1.0}
    # each edge b -> c is walked once; each edge x -> b is walked twice (with b.grad 1, then 2)
    edge_grads = sorted(e["grad"] for e in result["edges"])
    assert edge_grads == [1.0, 1.0, 3.0, 3.0]
    assert "tô-pô" in result["mistake_explanation"]["explanation"]


def test_early_visit_node_grads_are_the_sums_of_their_edges() -> None:
    result = analyze("h = w*x + x\ny = h*h + x", {"w": 0.5, "x": 2.0}, mistake="early_visit")
    sums: dict[str, float] = {}
    for e in result["edges"]:
        sums[e["source"]] = sums.get(e["source"], 0.0) + e["grad"]
    for n in result["nodes"]:
        if n["id"] in sums:
            assert n["grad"] == pytest.approx(sums[n["id"]])
    # h is used twice by h*h, but that product is complete when it is walked, so h is right;
    # h is walked on twice, so everything below it (w*x, w, x) is counted more than once
    wx = next(n["id"] for n in result["nodes"] if n.get("formula") == "w * x")
    assert set(result["wrong_nodes"]) == {wx, *ids_of(result, "x", "w")}


def test_no_sharing_no_difference() -> None:
    """On a tree (every value used once) both bugs are harmless: the lesson's point."""
    values = {"w": {"init": "normal", "shape": [3, 2], "seed": 0}, "x": [[1.0, -2.0, 0.5]]}
    truth = analyze("h = tanh(x @ w)\nloss = sum(h)", values)
    for mistake in ("overwrite", "early_visit"):
        result = analyze("h = tanh(x @ w)\nloss = sum(h)", values, mistake=mistake)
        assert result["wrong_nodes"] == []
        assert result["gradients"] == truth["gradients"] == result["correct_gradients"]


def test_tensor_mistakes_match_a_hand_written_buggy_backprop() -> None:
    """y = sum(v*v + v): v has two consumers (mul uses it twice, add once)."""
    v = np.array([1.0, -2.0, 3.0])
    truth = 2 * v + 1
    result = analyze("y = sum(v*v + v)", {"v": v.tolist()}, mistake="overwrite")
    # reverse topological order: the add sets v.grad = 1, then the mul sets it to v (arg 0), then v (arg 1)
    assert np.allclose(result["gradients"]["v"], v)
    assert np.allclose(result["correct_gradients"]["v"], truth)
    result = analyze("y = sum(v*v + v)", {"v": v.tolist()}, mistake="early_visit")
    # depth first from sum: add -> mul first (v gets v twice, mul.grad is already complete), then v
    assert np.allclose(result["gradients"]["v"], truth)
    assert result["wrong_nodes"] == []


def test_the_early_visit_walk_is_capped(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # 2^20 paths from the output to x: the depth-first walk would visit ~2 million edges. The
    # visit cap must stop it, whatever the machine's speed: the request's compute budget (a
    # clock, which a busy machine reaches first) is lifted out of the way for this request.
    monkeypatch.setattr(graph_routes, "LIMITS", dataclasses.replace(graph_routes.LIMITS, request_budget_seconds=600.0))
    expression = "\n".join(["b1 = x + x"] + [f"b{k} = b{k - 1} + b{k - 1}" for k in range(2, 21)])
    r = client.post("/api/graph", json={"expression": expression, "values": {"x": 1.0},
                                        "mistake": "early_visit"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "limit_exceeded"
    assert "CHAINRULE_MAX_MISTAKE_VISITS" in r.json()["error"]["message"]
    assert r.json()["error"]["params"]["value"] == LIMITS.max_mistake_visits
    fine = post(client, {"expression": expression, "values": {"x": 1.0}, "mistake": "overwrite"})
    assert fine["gradients"] == {"x": 1.0} and fine["correct_gradients"] == {"x": 2.0**20}


def test_an_unknown_mistake_is_refused(client: TestClient) -> None:
    r = client.post("/api/graph", json={**SHARED, "mistake": "no_zero_grad"})
    assert r.status_code == 422
    with pytest.raises(Exception, match="mistake"):
        analyze("x*2", {"x": 1.0}, mistake="nope")


# ------------------------------------------------------------------ no_zero_grad


def torch_without_zero_grad(example: dict[str, Any]) -> tuple[list[dict[str, float]], dict[str, float]]:
    """The worked example's training as a torch user writes it, minus optimizer.zero_grad()."""
    values = example["values"]
    w = torch.tensor(values["w"], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(values["b"], dtype=torch.float64, requires_grad=True)
    x = torch.tensor(values["x"], dtype=torch.float64)
    y_true = torch.tensor(values["y_true"], dtype=torch.float64)
    opt = torch.optim.SGD([w, b], lr=example["optimizer"]["lr"])
    seen = []
    for _ in range(example["steps"]):
        loss = torch.abs(y_true - (w * x + b))
        loss.backward()  # no zero_grad(): .grad keeps every earlier step's gradient
        assert w.grad is not None and b.grad is not None
        seen.append({"w": w.item(), "b": b.item(), "loss": loss.item(),
                     "grad_w": w.grad.item(), "grad_b": b.grad.item()})
        opt.step()
    return seen, {"w": w.item(), "b": b.item()}


def test_no_zero_grad_matches_torch_without_zero_grad(client: TestClient) -> None:
    example = TRAINING_EXAMPLES[0]
    assert example["id"] == "worked"
    r = client.post("/api/train", json={**train_kwargs(example), "mistake": "no_zero_grad"})
    assert r.status_code == 200, r.text
    result = r.json()
    seen, final = torch_without_zero_grad(example)
    assert len(result["trajectory"]) == len(seen)
    for step, want in zip(result["trajectory"], seen, strict=True):
        assert step["params"]["w"] == pytest.approx(want["w"], rel=1e-12)
        assert step["params"]["b"] == pytest.approx(want["b"], rel=1e-12)
        assert step["loss"] == pytest.approx(want["loss"], rel=1e-12)
        assert step["grads"]["w"] == pytest.approx(want["grad_w"], rel=1e-12)
        assert step["grads"]["b"] == pytest.approx(want["grad_b"], rel=1e-12)
    assert result["final_params"] == pytest.approx(final, rel=1e-12)
    # and it differs from the right loop: the accumulated gradient grows step by step
    right = client.post("/api/train", json=train_kwargs(example)).json()
    assert right["trajectory"][1]["grads"]["w"] != result["trajectory"][1]["grads"]["w"]
    assert abs(result["trajectory"][-1]["grads"]["w"]) > abs(right["trajectory"][-1]["grads"]["w"])


def test_no_zero_grad_is_the_only_training_mistake(client: TestClient) -> None:
    r = client.post("/api/train", json={**train_kwargs(TRAINING_EXAMPLES[0]), "mistake": "overwrite"})
    assert r.status_code == 422
