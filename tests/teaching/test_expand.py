"""Elementwise expansions: the expanded scalar graph gives torch's numbers and gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from fastapi.testclient import TestClient

from chainrule.config import LIMITS
from chainrule.programs import cached_program

IMAGE = [[1.0, 2.0, 0.5], [-1.0, 3.0, 2.0], [0.0, 1.5, -2.0]]
KERNEL = [[0.5, -1.0], [2.0, 0.25]]
Q = [[1.0, 0.5], [-0.5, 2.0], [0.25, 1.0]]
K = [[2.0, -1.0], [0.5, 1.5]]


def _run(expression: str, values: dict, output: str | None = None):
    prog = cached_program(expression, output)
    return prog.run({k: np.asarray(v, dtype=np.float64) if isinstance(v, list) else float(v)
                     for k, v in values.items()})


def _expanded_outputs(body: dict) -> list[float]:
    exp = body["expanded"]
    return [_run(exp["expression"], exp["values"], name).loss for name in body["outputs"]]


def test_conv2d_expansion_equals_torch(client: TestClient) -> None:
    r = client.post("/api/expand", json={"kind": "conv2d", "a": IMAGE, "b": KERNEL})
    assert r.status_code == 200, r.text
    body = r.json()
    lines = body["expanded"]["expression"].splitlines()
    assert lines[0] == "o_0_0 = x_0_0*w_0_0 + x_0_1*w_0_1 + x_1_0*w_1_0 + x_1_1*w_1_1"
    assert lines[-1] == "loss = o_0_0 + o_0_1 + o_1_0 + o_1_1"
    x = torch.tensor([[IMAGE]], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([[KERNEL]], dtype=torch.float64, requires_grad=True)
    out = F.conv2d(x, w)
    out.sum().backward()
    assert _expanded_outputs(body) == pytest.approx(out.detach().flatten().tolist(), abs=1e-12)
    run = _run(body["expanded"]["expression"], body["expanded"]["values"])
    assert run.loss == pytest.approx(float(out.detach().sum()), abs=1e-12)
    for i in range(3):
        for j in range(3):
            assert run.input_grads[f"x_{i}_{j}"] == pytest.approx(float(x.grad[0, 0, i, j]), abs=1e-12)
    for r in range(2):
        for c in range(2):
            assert run.input_grads[f"w_{r}_{c}"] == pytest.approx(float(w.grad[0, 0, r, c]), abs=1e-12)


def test_conv2d_expansion_equals_the_conv2d_graph(client: TestClient) -> None:
    body = client.post("/api/expand", json={"kind": "conv2d", "a": IMAGE, "b": KERNEL}).json()
    compact = _run(body["compact"]["expression"], body["compact"]["values"])
    expanded = _run(body["expanded"]["expression"], body["expanded"]["values"])
    assert compact.loss == pytest.approx(expanded.loss, abs=1e-12)
    np.testing.assert_allclose(compact.input_grads["W"][0, 0],
                               [[expanded.input_grads[f"w_{r}_{c}"] for c in range(2)] for r in range(2)])


def test_attention_scores_expansion_equals_the_compact_graph_and_torch(client: TestClient) -> None:
    body = client.post("/api/expand", json={"kind": "attention_scores", "a": Q, "b": K}).json()
    assert body["expanded"]["expression"].splitlines()[0] == "s_0_0 = (q_0_0*k_0_0 + q_0_1*k_0_1) / sqrt(2)"
    q = torch.tensor(Q, dtype=torch.float64, requires_grad=True)
    k = torch.tensor(K, dtype=torch.float64, requires_grad=True)
    scores = q @ k.T / 2 ** 0.5
    scores.sum().backward()
    assert _expanded_outputs(body) == pytest.approx(scores.detach().flatten().tolist(), abs=1e-12)
    compact = _run(body["compact"]["expression"], body["compact"]["values"])
    expanded = _run(body["expanded"]["expression"], body["expanded"]["values"])
    assert compact.loss == pytest.approx(expanded.loss, abs=1e-12) == float(scores.detach().sum())
    np.testing.assert_allclose(compact.input_grads["Q"], q.grad.numpy(), atol=1e-12)
    for j in range(2):
        for c in range(2):
            assert expanded.input_grads[f"k_{j}_{c}"] == pytest.approx(float(k.grad[j, c]), abs=1e-12)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"kind": "conv2d", "a": [[0.0] * 9] * 9, "b": [[1.0, 1.0], [1.0, 1.0]]}, "limit_exceeded"),
        ({"kind": "conv2d", "a": [[1.0]], "b": KERNEL}, "bad_value"),
        ({"kind": "attention_scores", "a": Q, "b": [[1.0, 2.0, 3.0]]}, "bad_value"),
        ({"kind": "conv2d", "a": [[1.0, 2.0], [3.0]], "b": [[1.0]]}, "bad_value"),
    ],
)
def test_expansions_refuse_large_or_malformed_inputs(client: TestClient, body: dict, code: str) -> None:
    r = client.post("/api/expand", json=body)
    assert 400 <= r.status_code < 500
    assert r.json()["error"]["code"] == code
    if code == "limit_exceeded":
        assert str(LIMITS.max_expand_terms) in r.json()["error"]["message"]



@pytest.mark.parametrize(("lesson_id", "kind", "names", "shapes"), [
    ("convolution", "conv2d", ("x", "w"), ((3, 3), (2, 2))),
    ("attention-scores", "attention_scores", ("q", "k"), ((2, 2), (2, 2))),
])
def test_lessons_show_the_expansion_the_api_writes(client: TestClient, lesson_id: str, kind: str,
                                                   names: tuple[str, str], shapes: tuple) -> None:
    from chainrule.teaching.course import course

    state = next(item for item in course() if item["id"] == lesson_id)["steps"][0]["view"]["state"]
    a, b = ([[float(state["values"][f"{name}_{i}_{j}"]) for j in range(cols)] for i in range(rows)]
            for name, (rows, cols) in zip(names, shapes, strict=True))
    body = client.post("/api/expand", json={"kind": kind, "a": a, "b": b}).json()
    assert state["expression"] == body["expanded"]["expression"]
