"""HTTP: GET /api/ops, /api/examples, /api/health, /openapi.json."""

from __future__ import annotations

from fastapi.testclient import TestClient

from chainrule.engine import ENGINE_KIND
from chainrule.engine.ops import OPS


def test_health(client: TestClient) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and isinstance(body["version"], str) and body["version"]
    assert body["engine"] == ENGINE_KIND


def test_ops_lists_the_whole_table(client: TestClient) -> None:
    r = client.get("/api/ops")
    assert r.status_code == 200
    ops = {op["name"]: op for op in r.json()}
    assert set(ops) == set(OPS)
    for name, op in ops.items():
        assert op["arity"] == OPS[name].arity == len(op["local_formulas"])
        assert op["formula"] and "{" not in op["formula"]
    required = ["relu", "sigmoid", "tanh", "exp", "log", "sqrt", "abs", "sin", "cos", "square", "dot", "matmul", "sum", "mean", "max", "min", "softmax", "log_softmax", "logsumexp", "transpose", "maximum", "minimum", "mse", "cross_entropy"]
    assert all(ops[name]["callable"] for name in required)
    assert {ops[n]["symbol"] for n in ("add", "sub", "mul", "div", "pow", "matmul")} == \
        {"+", "-", "*", "/", "**", "@"}


def test_examples_worked_first_and_all_analyzable(client: TestClient) -> None:
    r = client.get("/api/examples")
    assert r.status_code == 200
    examples = r.json()
    assert examples[0]["expression"].replace("\n", "; ") == "y = w*x + b; loss = abs(y_true - y)"
    expressions = " ".join(e["expression"] for e in examples)
    for needle in ("relu(x @ W + b)", "cross_entropy", "sigmoid", "w**4 - 3*w**2 + w + 2*sin(3*w)"):
        assert needle in expressions
    for example in examples:
        g = client.post("/api/graph", json={"expression": example["expression"],
                                            "values": example["values"]})
        assert g.status_code == 200, (example["id"], g.text[:200])


def test_openapi_and_unknown_paths(client: TestClient) -> None:
    assert client.get("/openapi.json").status_code == 200
    r = client.get("/api/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.get("/api/graph")
    assert r.status_code == 405 and "error" in r.json()
