"""Every lesson's try-it, answered as a student would with the numbers the lesson's own
expression gives through the API (/api/graph), is graded right in both languages; and every
prompt names only what the student can see: names of the expression, never a numbered
temporary (t1) the engine made up."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from chainrule.teaching.course import course
from chainrule.teaching.exercises import TEXT_DIR

TRIES = [(item["id"], lang, item["try"]) for item in course() for lang in ("en", "vi")]
IDENT = re.compile(r"[A-Za-z_]\w*")


def truth(graph: dict[str, Any], question: dict[str, Any]) -> Any:
    """The number a question asks for, read off the lesson expression's analysis."""
    if question["kind"] == "local":
        return next(e["local"] for e in graph["edges"] if e["id"] == question["edge"])
    node = next(n for n in graph["nodes"] if n["id"] == question["node"])
    return node["value" if question["kind"] == "value" else "grad"]


def template_words(lang: str) -> set[str]:
    words = json.loads((TEXT_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    return {w for text in words.values() for w in IDENT.findall(re.sub(r"\{\w+\}", " ", text))}


@pytest.mark.parametrize(("lesson_id", "lang", "spec"), TRIES, ids=[f"{t[0]}-{t[1]}" for t in TRIES])
def test_a_try_it_answered_with_the_api_numbers_is_all_right(client: TestClient, lesson_id: str,
                                                             lang: str, spec: dict[str, Any]) -> None:
    made = client.post("/api/exercise", json={**spec, "lang": lang})
    assert made.status_code == 200, made.text
    exercise = made.json()["exercise"]
    graph = client.post("/api/graph", json={"expression": spec["expression"], "values": spec["values"]})
    assert graph.status_code == 200, graph.text
    answers = {q["id"]: truth(graph.json(), q) for q in exercise["questions"]}
    graded = client.post("/api/grade", json={"exercise": exercise, "answers": answers})
    assert graded.status_code == 200, graded.text
    assert graded.json()["score"] == 1, (lesson_id, lang, graded.json()["results"])
    # the same numbers typed as text, with the typography of the lessons (− for minus)
    typed = {qid: json.dumps(v).replace("-", "−") if not isinstance(v, list) else v
             for qid, v in answers.items()}
    graded = client.post("/api/grade", json={"exercise": exercise, "answers": typed})
    assert graded.status_code == 200 and graded.json()["score"] == 1, graded.text


@pytest.mark.parametrize(("lesson_id", "lang", "spec"), TRIES, ids=[f"{t[0]}-{t[1]}" for t in TRIES])
def test_a_try_it_prompt_names_only_what_the_expression_names(client: TestClient, lesson_id: str,
                                                              lang: str, spec: dict[str, Any]) -> None:
    exercise = client.post("/api/exercise", json={**spec, "lang": lang}).json()["exercise"]
    known = set(IDENT.findall(spec["expression"])) | template_words(lang)
    for question in exercise["questions"]:
        unknown = set(IDENT.findall(question["prompt"])) - known
        assert not unknown, f"{lesson_id} ({lang}): {question['prompt']!r} names {sorted(unknown)}"


def test_a_try_it_asks_what_its_text_asks() -> None:
    """Where a try-it's text asks for one gradient (d loss/d w), the exercise asks exactly that."""
    for item in course():
        for lang, words in item["texts"].items():
            asked = re.findall(r"d (\w+)/d (\w+)", words["try"])
            if asked and "nodes" in item["try"]:
                assert [node for _, node in asked] == item["try"]["nodes"], (item["id"], lang)


def test_nodes_keeps_the_questions_about_those_nodes(client: TestClient) -> None:
    body = {"expression": "y = w*x + b\nloss = abs(y_true - y)",
            "values": {"x": 2, "y_true": 4, "w": 3, "b": 1}, "ask": ["grad", "local"]}
    made = client.post("/api/exercise", json={**body, "nodes": ["w"]}).json()["exercise"]
    assert [q["prompt"] for q in made["questions"]] == ["local gradient d(w * x)/d(w) = ?",
                                                         "d loss/d w = ?"]
    missing = client.post("/api/exercise", json={**body, "nodes": ["v"]})
    assert missing.status_code == 400
    assert missing.json()["error"]["params"]["reason"] == "unknown_key"


def test_an_answer_of_the_wrong_shape_says_so_by_code(client: TestClient) -> None:
    body = {"expression": "loss = mean((w*x - y)**2)", "values": {"w": 1, "x": [1, 2], "y": [2, 4]},
            "ask": ["grad"]}
    exercise = client.post("/api/exercise", json=body).json()["exercise"]
    vector = next(q for q in exercise["questions"] if q["shape"] == [2])
    r = client.post("/api/grade", json={"exercise": exercise, "answers": {vector["id"]: "-5"}})
    assert r.status_code == 400
    assert r.json()["error"]["params"]["reason"] == "wrong_shape"
    names = client.post("/api/grade", json={"exercise": exercise, "answers": {vector["id"]: "w*2"}})
    assert names.json()["error"]["params"]["reason"] == "uses_names"


def test_an_infinite_answer_is_told_why_it_is_wrong(client: TestClient) -> None:
    body = {"expression": "y = w*x + b\nloss = abs(y_true - y)",
            "values": {"x": 2, "y_true": 4, "w": 3, "b": 1}, "ask": ["grad"], "nodes": ["w"]}
    for lang in ("en", "vi"):
        exercise = client.post("/api/exercise", json={**body, "lang": lang}).json()["exercise"]
        qid = exercise["questions"][0]["id"]
        graded = client.post("/api/grade", json={"exercise": exercise, "answers": {qid: "1/0"}}).json()
        result = graded["results"][qid]
        assert not result["correct"] and "Infinity" in result["hint"]
        plain = client.post("/api/grade", json={"exercise": exercise, "answers": {qid: "5"}}).json()
        assert "Infinity" not in plain["results"][qid]["hint"]
