"""HTTP: POST /api/exercise and /api/grade follow the contract; bad answers are 4xx bad_value."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from chainrule import exercise
from chainrule.examples import EXAMPLES

WORKED = next(e for e in EXAMPLES if e["id"] == "worked")
MLP = next(e for e in EXAMPLES if e["id"] == "mlp")


def make(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post("/api/exercise", json={"expression": WORKED["expression"],
                                           "values": WORKED["values"], **body})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_exercise_then_grade_over_http(client: TestClient) -> None:
    made = make(client, ask=["grad"])
    assert made == exercise(WORKED["expression"], WORKED["values"], ask=["grad"])
    ex = made["exercise"]
    q = next(q for q in ex["questions"] if q["prompt"] == "d loss/d w = ?")
    r = client.post("/api/grade", json={"exercise": ex, "answers": {q["id"]: "1*1*2", "q1": 7}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["results"][q["id"]] == {"correct": True, "expected": 2.0, "given": 2.0}
    assert body["results"]["q1"]["correct"] is False and body["results"]["q1"]["hint"]
    assert body["total"] == len(ex["questions"]) and body["score"] == pytest.approx(1 / body["total"])


def test_an_exercise_with_initializers_round_trips(client: TestClient) -> None:
    r = client.post("/api/exercise", json={"expression": MLP["expression"], "values": MLP["values"],
                                           "count": 5, "seed": 3, "lang": "vi"})
    assert r.status_code == 200, r.text
    made = r.json()
    truth = {n["id"]: n for n in client.post("/api/graph", json={
        "expression": MLP["expression"], "values": MLP["values"]}).json()["nodes"]}
    edges = {e["id"]: e for e in client.post("/api/graph", json={
        "expression": MLP["expression"], "values": MLP["values"]}).json()["edges"]}
    answers = {q["id"]: edges[q["edge"]]["local"] if q["kind"] == "local" else truth[q["node"]]["grad"]
               for q in made["exercise"]["questions"]}
    r = client.post("/api/grade", json={"exercise": made["exercise"], "answers": answers})
    assert r.status_code == 200, r.text
    assert r.json()["score"] == 1.0 and r.json()["total"] == 5


@pytest.mark.parametrize(("answers", "says"), [
    ({"q42": 1}, "q42"), ({"q1": "x + 1"}, "q1"), ({"q1": "1 +"}, "q1"), ({"q1": [[1, 2]]}, "q1"),
])
def test_bad_answers_are_4xx_bad_value_naming_the_question(client: TestClient, answers: dict[str, Any],
                                                           says: str) -> None:
    ex = make(client, ask=["grad"])["exercise"]
    r = client.post("/api/grade", json={"exercise": ex, "answers": answers})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "bad_value" and says in r.json()["error"]["message"]


@pytest.mark.parametrize("body", [
    {"ask": ["nonsense"]}, {"count": 0}, {"lang": "de"}, {"values": {"x": 2}},
])
def test_bad_exercise_requests_are_4xx(client: TestClient, body: dict[str, Any]) -> None:
    r = client.post("/api/exercise", json={"expression": WORKED["expression"],
                                           "values": WORKED["values"], **body})
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["error"]["code"] in ("invalid_request", "missing_value")


def test_grade_refuses_a_broken_exercise_with_4xx(client: TestClient) -> None:
    ex = make(client)["exercise"]
    for broken in ({**ex, "questions": [{"id": "q1", "kind": "grad", "node": "n99"}]},
                   {**ex, "expression": "y = w*"}, {**ex, "questions": []}):
        r = client.post("/api/grade", json={"exercise": broken, "answers": {"q1": 1}})
        assert 400 <= r.status_code < 500, r.text
    r = client.post("/api/grade", json={"exercise": ex, "answers": {"q1": 1}, "rtol": 5})
    assert r.status_code == 422
