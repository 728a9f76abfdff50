"""The Learn mode's lessons: data files that agree with each other, numbers the text states that
the API really gives, and the routes that serve them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from chainrule.main import create_app
from chainrule.teaching.course import LESSON_DIR, check_lesson, course, lesson, lesson_index

ORDER = ["training-loop", "naive-nudge", "gradient", "gradient-descent", "minibatch-sgd", "momentum",
         "chain-rule", "computational-graph", "two-layer-network", "convolution",
         "attention-scores"]
STEPS = [(item["id"], i, step) for item in course() for i, step in enumerate(item["steps"])]


def test_the_lessons_follow_the_chapter_in_order() -> None:
    assert [item["id"] for item in lesson_index()] == ORDER
    assert [item["number"] for item in lesson_index("vi")] == list(range(1, len(ORDER) + 1))
    assert len(list(LESSON_DIR.glob("*.json"))) == 3 * len(ORDER)  # neutral + en + vi each


def test_both_languages_have_every_step_and_differ() -> None:
    for item in course():
        en, vi = lesson(item["id"], "en"), lesson(item["id"], "vi")
        assert [s["view"] for s in en["steps"]] == [s["view"] for s in vi["steps"]]
        assert en["summary"] != vi["summary"] and en["try"]["text"] != vi["try"]["text"]
        assert all(s["text"] and all(p.strip() for p in s["text"]) for s in en["steps"] + vi["steps"])


def request_values(state: dict[str, Any]) -> dict[str, Any]:
    """The values panel's texts as the API takes them (every lesson value is JSON)."""
    return {name: json.loads(text) for name, text in state["values"].items()}


@pytest.mark.parametrize(("lesson_id", "index", "step"), [s for s in STEPS if s[2].get("expect")],
                         ids=[f"{s[0]}-{s[1] + 1}" for s in STEPS if s[2].get("expect")])
def test_the_numbers_a_step_states_are_what_the_api_computes(client: TestClient, lesson_id: str,
                                                             index: int, step: dict[str, Any]) -> None:
    state, expect = step["view"]["state"], step["expect"]
    body = {"expression": state["expression"], "values": request_values(state)}
    if "value" in expect or "gradients" in expect:
        r = client.post("/api/graph", json=body)
        assert r.status_code == 200, r.text
        if "value" in expect:
            assert r.json()["value"] == pytest.approx(expect["value"], abs=5e-5)
        for name, grad in expect.get("gradients", {}).items():
            assert r.json()["gradients"][name] == pytest.approx(grad, abs=1e-9)
    if "losses" in expect or "final" in expect:
        r = client.post("/api/train", json={**body, "params": state["trainParams"],
                                            "optimizer": state["optimizer"], "steps": state["trainSteps"]})
        assert r.status_code == 200, r.text
        losses = [s["loss"] for s in r.json()["trajectory"]]
        assert losses[:len(expect.get("losses", []))] == pytest.approx(expect.get("losses", []), abs=1e-9)
        for name, value in expect.get("final", {}).items():
            assert r.json()["final_params"][name] == pytest.approx(value, abs=1e-3)


def test_lesson_two_tells_the_nudge_story_on_a_real_model(client: TestClient) -> None:
    nudge = lesson("naive-nudge", "en")
    told = [(s["view"]["state"]["values"]["w"], s["expect"]["value"]) for s in nudge["steps"][:3]]
    assert told == [("0.3", 0.5), ("0.35", 0.6), ("0.25", 0.4)]
    words = " ".join(" ".join(s["text"]) for s in nudge["steps"])
    for number in ("0.3", "0.5", "0.35", "0.6", "0.25", "0.4", "−0.05"):
        assert number in words
    for vi_step, w in zip(lesson("naive-nudge", "vi")["steps"][:3], ("0.3", "0.35", "0.25"), strict=True):
        assert w in " ".join(vi_step["text"])


def test_lesson_eight_multiplies_1_1_2() -> None:
    for lang in ("en", "vi"):
        worked = lesson("computational-graph", lang)
        assert "1 × 1 × 2 = 2" in " ".join(worked["steps"][-1]["text"])
        assert worked["steps"][-1]["expect"] == {"gradients": {"w": 2.0, "b": 1.0}}


def test_every_try_it_is_a_working_exercise(client: TestClient) -> None:
    for item in course():
        for lang in ("en", "vi"):
            r = client.post("/api/exercise", json={**item["try"], "lang": lang})
            assert r.status_code == 200, (item["id"], r.text)
            assert r.json()["exercise"]["questions"]


def test_lesson_routes(client: TestClient) -> None:
    r = client.get("/api/lessons", params={"lang": "vi"})
    assert r.status_code == 200 and r.json()[1]["title"] == lesson("naive-nudge", "vi")["title"]
    r = client.get("/api/lessons/computational-graph")
    assert r.status_code == 200
    assert r.json()["previous"] == "chain-rule" and r.json()["next"] == "two-layer-network"
    assert r.json()["try"]["exercise"]["expression"].startswith("y = w*x + b")
    missing = client.get("/api/lessons/no-such-lesson")
    assert missing.status_code == 404 and "naive-nudge" in missing.json()["error"]["message"]
    assert client.get("/api/lessons", params={"lang": "fr"}).status_code == 422
    for path in ("/learn", "/learn/naive-nudge", "/learn/naive-nudge?step=3&embed=1"):
        page = client.get(path)
        assert page.status_code == 200 and "/static/js/learn/learn.js" in page.text
    assert client.get("/learn/no-such-lesson").status_code == 404


@pytest.mark.parametrize(("broken", "says"), [
    ({"steps": []}, "needs a list of steps"),
    ({"steps": [{"view": {"page": "nowhere", "state": {}}}]}, "a view needs a page"),
    ({"steps": [{"view": {"page": "embed", "state": {}}, "expect": {"slope": 1}}]}, "unknown expectation"),
])
def test_a_broken_lesson_file_is_refused(broken: dict[str, Any], says: str) -> None:
    texts = {"en": {"title": "t", "summary": "s", "try": "x", "steps": [{"text": ["p"]}]}}
    with pytest.raises(ValueError, match=says):
        check_lesson({"id": "broken", **broken, "texts": texts})
    good = {"id": "fine", "steps": [{"view": {"page": "embed", "state": {}}}], "texts": texts}
    check_lesson(good)
    with pytest.raises(ValueError, match="steps of text"):
        check_lesson({**good, "texts": {"en": {**texts["en"], "steps": []}}})


def test_lessons_may_be_framed_like_the_embed(monkeypatch: pytest.MonkeyPatch) -> None:
    def frame_ancestors(client: TestClient, path: str) -> str:
        csp = client.get(path).headers["content-security-policy"]
        return next(part.split(None, 1)[1] for part in csp.split("; ") if part.startswith("frame-ancestors"))

    with TestClient(create_app()) as c:
        assert frame_ancestors(c, "/learn/naive-nudge?embed=1") == "*"
        assert frame_ancestors(c, "/learn") == "*"
        assert frame_ancestors(c, "/") == "'self'"
    monkeypatch.setenv("CHAINRULE_FRAME_ANCESTORS", "https://lms.example.edu")
    with TestClient(create_app()) as c:
        assert frame_ancestors(c, "/learn/gradient") == "https://lms.example.edu"


@pytest.mark.parametrize(("lesson_id", "index", "step"), [s for s in STEPS if "losses" in s[2].get("expect", {})],
                         ids=[f"{s[0]}-{s[1] + 1}" for s in STEPS if "losses" in s[2].get("expect", {})])
def test_a_loss_that_is_zero_only_on_paper_is_explained_with_its_number(
        client: TestClient, lesson_id: str, index: int, step: dict[str, Any]) -> None:
    """Where training reaches loss 0 on paper but the app's floats leave a residue (and so a
    gradient that keeps moving the weights), each language's text states that residue: the
    rebound that follows is rounding, and the lesson must not explain it otherwise."""
    state = step["view"]["state"]
    r = client.post("/api/train", json={"expression": state["expression"], "values": request_values(state),
                                        "params": state["trainParams"], "optimizer": state["optimizer"],
                                        "steps": state["trainSteps"]})
    losses = [s["loss"] for s in r.json()["trajectory"]][:len(step["expect"]["losses"])]
    residues = [loss for loss in losses if 0 < abs(loss) < 1e-9]
    for lang in ("en", "vi"):
        words = " ".join(lesson(lesson_id, lang)["steps"][index]["text"])
        for residue in residues:
            assert f"{residue:.1e}" in words, (lesson_id, lang, residue)


@pytest.mark.parametrize(("lesson_id", "index", "step"), STEPS, ids=[f"{s[0]}-{s[1] + 1}" for s in STEPS])
def test_every_step_frames_nodes_its_graph_has(client: TestClient, lesson_id: str, index: int,
                                              step: dict[str, Any]) -> None:
    """Each step names the nodes it is about (view.frame), and they are nodes of its graph."""
    state = step["view"]["state"]
    frame = step["view"].get("frame")
    assert frame and all(isinstance(name, str) for name in frame), f"{lesson_id} step {index + 1}: no frame"
    values = request_values(state)
    if state.get("trainData"):  # a dataset's columns feed the inputs of the same names
        values |= client.get(f"/api/datasets/{state['trainData']}", params={"n": 2}).json()["columns"]
    r = client.post("/api/graph", json={"expression": state["expression"], "values": values})
    known = {n["label"] for n in r.json()["nodes"]} | {n.get("name") for n in r.json()["nodes"]}
    assert set(frame) <= known, f"{lesson_id} step {index + 1}: {sorted(set(frame) - known)}"
