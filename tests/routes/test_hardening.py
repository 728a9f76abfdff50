"""Hardening, round 2 (issue 20), in process: bounded bodies, bounded answers, no 500s, exact
integers, and links that never echo the Host header. The findings that need a real server
(a worker killed, slow bodies, load and memory) are in tests/deploy/test_hardening_server.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from chainrule.config import LIMITS
from chainrule.main import create_app
from chainrule.notebook.kernel import answer

WORKED = {"expression": "y = w*x + b; loss = abs(y_true - y)", "values": {"x": 2, "y_true": 4, "w": 3, "b": 1}}


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def error_of(r: Any, status: int | None = None) -> dict[str, Any]:
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    if status is not None:
        assert r.status_code == status, r.text[:300]
    error: dict[str, Any] = r.json()["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    return error


# ------------------------------------------------------------- 1. what is parsed is bounded


def test_a_body_with_many_bad_values_is_refused_before_they_are_validated(client: TestClient) -> None:
    body = {"expression": "y = x", "values": {f"a{i}": {"bad": True} for i in range(100_000)}}
    t0 = time.perf_counter()
    r = client.post("/api/graph", json=body)
    elapsed = time.perf_counter() - t0
    error = error_of(r, 400)
    assert error["code"] == "limit_exceeded"
    assert error["params"]["limit"] == "CHAINRULE_MAX_REQUEST_ENTRIES"
    assert error["params"]["got"] >= 100_000
    assert elapsed < LIMITS.request_budget_seconds, elapsed  # was 14 s of pydantic errors


def test_a_large_map_with_a_bad_entry_costs_the_errors_of_one_slice(client: TestClient) -> None:
    """Under the key bound, the entries are checked slice by slice: pydantic builds the
    errors of the first bad slice only, and the field named is still the first bad one."""
    values = {f"a{i:05d}": 1.0 for i in range(9_000)}
    values.update({f"b{i:05d}": {"bad": True} for i in range(1_000)})
    r = client.post("/api/graph", json={"expression": "y = a00000", "values": values})
    error = error_of(r)
    assert error["params"]["field"].startswith("values.b00000"), error


@pytest.mark.parametrize(("path", "body"), [
    ("/api/train", {"expression": "loss = w*w", "values": {"w": 1}, "params": ["w"] * 20_000}),
    ("/api/train", {"expression": "loss = w*w", "values": {"w": 1}, "params": ["w"],
                    "data": {f"c{i}": [1] for i in range(20_000)}}),
    ("/api/grade", {"exercise": {"expression": "y = x", "questions": [{"id": "q"}] * 20_000},
                    "answers": {}}),
    ("/api/grade", {"exercise": {"expression": "y = x", "questions": [{"id": "q1", "kind": "grad"}]},
                    "answers": {f"q{i}": 1 for i in range(20_000)}}),
])
def test_every_map_and_list_of_names_is_bounded(client: TestClient, path: str, body: dict[str, Any]) -> None:
    error = error_of(client.post(path, json=body))
    assert error["code"] == "limit_exceeded" and error["params"]["limit"] == "CHAINRULE_MAX_REQUEST_ENTRIES"


def test_at_the_entries_limit_a_bad_value_is_named_quickly(client: TestClient) -> None:
    body = {"expression": "y = x", "values": {f"a{i}": {"bad": True} for i in range(LIMITS.max_request_entries)}}
    t0 = time.perf_counter()
    error = error_of(client.post("/api/graph", json=body))
    assert time.perf_counter() - t0 < 3.0
    assert error["params"]["field"].startswith("values.a0")


# ------------------------------------------------------------- 2. explain text is bounded


def test_training_explains_at_most_max_explained_updates(client: TestClient, set_limit: Any) -> None:
    set_limit(max_explained_updates=40)
    names = [f"p{i}" for i in range(4)]
    body = {"expression": "loss = " + " + ".join(f"({n} - 1)**2" for n in names),
            "values": {n: 0.0 for n in names}, "params": names,
            "optimizer": {"name": "adam", "lr": 0.01}, "steps": 30}
    r = client.post("/api/train", json=body)
    assert r.status_code == 200, r.text[:300]
    result = r.json()
    explained = [s for s in result["trajectory"] if "update" in s]
    assert len(explained) == 10 and [s["step"] for s in explained] == list(range(10))
    assert len(result["trajectory"]) == 30
    assert any("CHAINRULE_MAX_EXPLAINED_UPDATES" in w for w in result["warnings"])


def test_the_probe_training_answer_is_bounded(client: TestClient) -> None:
    """10 params x 10,000 Adam steps (355 bytes) answered 84 MB."""
    names = [f"p{i}" for i in range(10)]
    body = {"expression": "loss = " + " + ".join(f"{n}*{n}" for n in names),
            "values": {n: 1.0 for n in names}, "params": names,
            "optimizer": {"name": "adam", "lr": 0.001}, "steps": 10_000}
    r = client.post("/api/train", json=body)
    assert r.status_code == 200
    assert len(r.content) < 20_000_000, len(r.content)


# ------------------------------------------------------------- 3. grading is bounded


def exercise_of(client: TestClient, expression: str, values: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/api/exercise", json={"expression": expression, "values": values})
    assert r.status_code == 200, r.text[:300]
    exercise: dict[str, Any] = r.json()["exercise"]
    return exercise


def test_repeated_question_ids_are_refused(client: TestClient) -> None:
    exercise = exercise_of(client, WORKED["expression"], WORKED["values"])
    exercise["questions"] = exercise["questions"] + [exercise["questions"][0]] * 50
    error = error_of(client.post("/api/grade", json={"exercise": exercise, "answers": {"q1": "1*" * 400 + "1"}}))
    assert error["params"]["reason"] == "duplicate" and error["params"]["names"] == ["q1"]


def test_the_same_thing_asked_twice_under_two_ids_is_refused(client: TestClient) -> None:
    exercise = exercise_of(client, WORKED["expression"], WORKED["values"])
    again = {**exercise["questions"][0], "id": "again"}
    exercise["questions"].append(again)
    error = error_of(client.post("/api/grade", json={"exercise": exercise, "answers": {}}))
    assert error["params"]["reason"] == "duplicate"


def test_hints_are_cut_to_max_hint_chars(client: TestClient) -> None:
    # a chain of statements with long names: each hint repeats the path's labels
    names = [f"n{i}_" + "x" * 200 for i in range(40)]
    lines = [f"{names[0]} = a * 2"] + [f"{names[i]} = {names[i - 1]} * 2" for i in range(1, 40)]
    exercise = exercise_of(client, "\n".join(lines), {"a": 1})
    r = client.post("/api/grade", json={"exercise": exercise, "answers": {}})
    assert r.status_code == 200, r.text[:300]
    hints = [res["hint"] for res in r.json()["results"].values()]
    assert max(len(h) for h in hints) <= LIMITS.max_hint_chars
    assert any(h.endswith("…") for h in hints)


def test_grading_stops_at_the_compute_budget(client: TestClient, set_limit: Any) -> None:
    set_limit(request_budget_seconds=0.2)
    lines = ["s0 = a * 2"] + [f"s{i} = s{i - 1} * 2 + a" for i in range(1, 400)]
    exercise = exercise_of(client, "\n".join(lines), {"a": 1})
    answers = {q["id"]: " + ".join(["1*1*1*1"] * 100) for q in exercise["questions"]}
    t0 = time.perf_counter()
    r = client.post("/api/grade", json={"exercise": exercise, "answers": answers})
    elapsed = time.perf_counter() - t0
    error = error_of(r)
    assert error["code"] == "limit_exceeded" and error["params"]["limit"] == "CHAINRULE_REQUEST_BUDGET_SECONDS"
    assert elapsed < 2.0


# ------------------------------------------------------------- 6. never a 500


@pytest.mark.parametrize("path", ["/api/train", "/api/export/pytorch"])
def test_an_error_about_a_nan_is_json(client: TestClient, path: str) -> None:
    setup = {"params": ["w"], "steps": 2, "optimizer": {"name": "adam", "betas": ["NaN", 0.9]}}
    graph = {"expression": "loss = w*w", "values": {"w": 1}}
    body = {**graph, **setup} if path == "/api/train" else {**graph, "training": setup}
    r = client.post(path, json=body)
    error = error_of(r, 400)
    assert error["params"]["field"] == "optimizer.betas" and error["params"]["got"] == "NaN"
    json.loads(r.text)  # strict JSON: no bare NaN


def test_an_answer_nested_500_deep_is_refused(client: TestClient) -> None:
    exercise = exercise_of(client, "y = w*x", {"w": 3, "x": 2})
    nested: Any = 1.0
    for _ in range(500):
        nested = [nested]
    error = error_of(client.post("/api/grade", json={"exercise": exercise, "answers": {"q1": nested}}))
    assert error["params"]["reason"] == "too_deep" and error["params"]["field"] == "answers.q1"


def test_a_seed_beyond_2_to_the_64_is_refused_over_http_and_in_the_kernel(client: TestClient) -> None:
    url = f"/api/datasets/moons?seed={2**70}"
    error = error_of(client.get(url))
    assert error["params"]["field"] == "seed" and error["params"]["max"] == LIMITS.max_seed
    reply = answer({"id": 7, "method": "GET", "url": url})
    assert reply["id"] == 7 and reply["status"] == 422
    assert reply["body"]["error"]["params"]["field"] == "seed"


def test_the_kernel_replies_even_when_a_route_fails_unexpectedly(monkeypatch: pytest.MonkeyPatch) -> None:
    import chainrule.notebook.kernel as kernel

    def broken(_: Any) -> Any:
        raise TypeError("Integer exceeds 64-bit range")

    monkeypatch.setitem(kernel.ROUTES, ("GET", "/api/meta"), (None, broken))
    reply = answer({"id": 9, "method": "GET", "url": "/api/meta"})
    assert reply["id"] == 9 and reply["status"] == 500
    assert reply["body"]["error"]["code"] == "internal_error"


# ------------------------------------------------------------- 7. big integers are refused


@pytest.mark.parametrize("number", [2**64, 2**64 + 1, -(2**63) - 1, 10**30])
def test_integers_beyond_64_bits_are_refused_not_rounded(client: TestClient, number: int) -> None:
    raw = '{"expression": "y = x*1", "values": {"x": ' + str(number) + "}}"
    r = client.post("/api/graph", content=raw, headers={"content-type": "application/json"})
    error = error_of(r, 400)
    assert error["params"]["reason"] == "too_large_integer" and error["params"]["field"] == "values.x"


def test_long_digit_runs_elsewhere_still_parse(client: TestClient) -> None:
    raw = '{"expression": "y = x*1 # 12345678901234567890", "values": {"x": 0.12345678901234567890123}}'
    r = client.post("/api/graph", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["value"] == pytest.approx(0.123456789012345678)
    bad = '{"expression": "y = x", "values": {"x": NaN}, "n": 12345678901234567890}'
    error = error_of(client.post("/api/graph", content=bad, headers={"content-type": "application/json"}))
    assert error["code"] == "invalid_json"


def test_in_the_kernel_too(client: TestClient) -> None:
    body = '{"expression": "y = x*1", "values": {"x": ' + str(2**64) + "}}"
    reply = answer({"id": 1, "method": "POST", "url": "/api/graph", "body": body})
    assert reply["status"] == 400 and reply["body"]["error"]["params"]["reason"] == "too_large_integer"


# ------------------------------------------------------------- 9. no Host echo, /metrics guarded


def test_links_do_not_echo_a_forged_host(client: TestClient) -> None:
    evil = {"host": "evil.example"}
    page = client.get("/", headers=evil)
    assert page.status_code == 200 and "evil.example" not in page.text
    embed = client.get("/oembed", params={"url": "http://testserver/embed?e=x"}, headers=evil)
    assert "evil.example" not in embed.text
    if embed.status_code == 200:
        assert embed.json()["provider_url"] == "http://testserver/"


@pytest.fixture
def metered(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("CHAINRULE_METRICS", "1")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.setenv("CHAINRULE_PUBLIC_URL", "https://chainrule.example.edu")
    with TestClient(create_app(), base_url="https://chainrule.example.edu") as c:
        yield c


def test_metrics_answers_only_the_public_host_with_the_security_headers(metered: TestClient) -> None:
    r = metered.get("/metrics")
    assert r.status_code == 200 and "chainrule_http_requests" in r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'self'" in r.headers["content-security-policy"]
    other = metered.get("/metrics", headers={"host": "evil.example"})
    assert other.status_code == 400 and other.json()["error"]["code"] == "bad_host"
