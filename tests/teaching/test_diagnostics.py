"""Gradient health on POST /api/graph: each health example raises exactly its kind on its
node, healthy graphs raise nothing, and every message exists in English and Vietnamese."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from chainrule import analyze, train
from chainrule.config import LIMITS
from chainrule.examples import EXAMPLES
from chainrule.teaching.diagnostics import KINDS, check_messages, messages
from chainrule.training.examples import TRAINING_EXAMPLES, train_kwargs

HEALTH = [e for e in EXAMPLES if "shows" in e]
PLAIN = [e for e in EXAMPLES if "shows" not in e]


def flags(result: dict[str, Any]) -> set[tuple[str, str]]:
    """(kind, node label) of every diagnostic."""
    labels = {n["id"]: n["label"] for n in result["nodes"]}
    return {(d["kind"], labels[d["node"]]) for d in result["diagnostics"]}


def post(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/api/graph", json=body)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def test_every_kind_has_an_example() -> None:
    shown = {e["shows"]["kind"] for e in HEALTH} | {e["shows"]["kind"] for e in TRAINING_EXAMPLES
                                                    if "shows" in e}
    assert set(KINDS) <= shown


@pytest.mark.parametrize("example", HEALTH, ids=[e["id"] for e in HEALTH])
def test_health_example_raises_exactly_its_kind(client: TestClient, example: dict[str, Any]) -> None:
    result = post(client, {"expression": example["expression"], "values": example["values"]})
    shows = example["shows"]
    assert flags(result) == {(shows["kind"], label) for label in shows["nodes"]}
    for d in result["diagnostics"]:
        assert d["severity"] in ("error", "warning", "info")
        assert d["message"] and "{" not in d["message"]


@pytest.mark.parametrize("example", PLAIN, ids=[e["id"] for e in PLAIN])
def test_shipped_examples_are_healthy(client: TestClient, example: dict[str, Any]) -> None:
    result = post(client, {"expression": example["expression"], "values": example["values"]})
    assert result["diagnostics"] == []


def test_messages_say_what_happened_and_what_to_try() -> None:
    chain = next(e for e in EXAMPLES if e["id"] == "sigmoid-chain")
    (d,) = analyze(chain["expression"], chain["values"])["diagnostics"]
    assert "x" in d["message"] and "activation" in d["message"]
    assert "h9 → h10" in d["params"]["edges"]  # the edges with the smallest locals are named
    nan = next(e for e in EXAMPLES if e["id"] == "log-softmax-nan")
    (d,) = analyze(nan["expression"], nan["values"])["diagnostics"]
    assert "log_softmax(z) instead of log(softmax(z))" in d["message"]
    assert d["severity"] == "error" and d["params"]["number"] == "-Infinity"


def test_vietnamese_messages_exist_for_every_kind(client: TestClient) -> None:
    assert check_messages() == []
    for kind in KINDS:
        assert messages()[kind]["vi"] != messages()[kind]["en"]
    for example in HEALTH[:-1] if HEALTH[-1]["shows"]["kind"] is None else HEALTH:
        if example["shows"]["kind"] is None:
            continue
        en = post(client, {"expression": example["expression"], "values": example["values"]})
        vi = post(client, {"expression": example["expression"], "values": example["values"],
                           "lang": "vi"})
        assert [d["kind"] for d in vi["diagnostics"]] == [d["kind"] for d in en["diagnostics"]]
        for a, b in zip(en["diagnostics"], vi["diagnostics"], strict=True):
            assert a["message"] != b["message"] and "{" not in b["message"]


def test_a_bad_lang_is_a_4xx(client: TestClient) -> None:
    r = client.post("/api/graph", json={"expression": "x*2", "values": {"x": 1}, "lang": "fr"})
    assert r.status_code == 422 and "lang" in r.json()["error"]["message"]


def test_non_finite_gradient_with_finite_values_starts_at_its_op() -> None:
    result = analyze("y = sqrt(x)", {"x": 0.0})
    assert flags(result) == {("nonfinite_origin", "y")}
    assert result["diagnostics"][0]["code"] == "nonfinite_grad"


def test_a_non_finite_input_is_its_own_origin() -> None:
    result = analyze("y = x * 2", {"x": "NaN"})
    assert flags(result) == {("nonfinite_origin", "x")}


def test_kinks_of_ties_and_reductions() -> None:
    assert flags(analyze("y = maximum(a, b)", {"a": 1.0, "b": 1.0})) == {("kink", "y")}
    assert flags(analyze("y = max(v)", {"v": [1.0, 3.0, 3.0]})) == {("kink", "y")}
    assert flags(analyze("y = max(v)", {"v": [1.0, 2.0, 3.0]})) == set()
    assert flags(analyze("y = relu(x)", {"x": 0.0})) == {("kink", "y"), ("dead_relu", "y")}


def test_kinks_of_the_neural_network_functions() -> None:
    """leaky_relu at 0 (torch: the negative slope) and a max_pool2d window with a tied
    maximum (torch: the first one) are flagged with their own convention; the codes differ."""
    result = analyze("y = leaky_relu(x, 0.1)", {"x": [0.0, 1.0]})
    assert flags(result) == {("kink", "y")}
    assert [d["code"] for d in result["diagnostics"]] == ["kink_slope"]
    tied = [[[1.0, 1.0, 0.0, 2.0], [0.0, 0.5, 1.0, 0.0]]]
    result = analyze("y = max_pool2d(x, 2)", {"x": tied})
    assert flags(result) == {("kink", "y")} and result["diagnostics"][0]["code"] == "kink_first"
    assert flags(analyze("y = max_pool2d(x, 2)", {"x": [[[1.0, 2.0, 0.0, 2.0], [0.0, 0.5, 1.0, 0.0]]]})) \
        == set()
    assert flags(analyze("y = leaky_relu(x)", {"x": [-1.0, 1.0]})) == set()


def test_tensor_saturation_needs_most_elements() -> None:
    assert flags(analyze("h = tanh(v)\nloss = sum(h)", {"v": [9.0, 9.0, 0.1]})) == {("saturated", "h")}
    assert flags(analyze("h = tanh(v)\nloss = sum(h)", {"v": [9.0, 0.2, 0.1]})) == set()


def test_the_number_of_flags_is_capped() -> None:
    n = LIMITS.max_diagnostics + 20
    expression = " + ".join(f"tanh({k + 10}*x)" for k in range(n))
    result = analyze(expression, {"x": 1.0})
    assert len(result["diagnostics"]) == LIMITS.max_diagnostics
    assert any("CHAINRULE_MAX_DIAGNOSTICS" in w for w in result["warnings"])


# ------------------------------------------------------------------ during training


def graph_at(example: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
    values = dict(example["values"])
    values.update(step["params"])
    values.update(example.get("data", {}))
    return analyze(example["expression"], values)


@pytest.mark.parametrize("example_id", ["large-lr-exploding", "large-lr-nan"])
def test_a_large_learning_rate_raises_its_flag_during_training(example_id: str) -> None:
    example = next(e for e in TRAINING_EXAMPLES if e["id"] == example_id)
    shows = example["shows"]
    run = train(**train_kwargs(example))
    assert run["stopped"] == "diverged"
    seen = [flags(graph_at(example, step)) for step in run["trajectory"]]
    assert seen[0] == set()  # healthy at the start
    first = next(k for k, f in enumerate(seen) if f)
    assert {kind for kind, _ in seen[first]} == {shows["kind"]}
    assert {label for _, label in seen[first]} >= set(shows["nodes"])
    if shows["kind"] == "nonfinite_origin":  # the first NaN step is the last one
        assert first == len(seen) - 1
        assert run["trajectory"][first]["loss"] == "NaN"
