"""The whole LTI flow over real HTTP against a platform someone else wrote (lti1p3platform):
deep linking -> a graded launch -> gradings -> scores received, exactly once, on SQLite and
PostgreSQL; the forgeries that pass nothing back; a platform that is down loses nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import requests

from tests.lti.client import Launched, form_of, grade, launch
from tests.lti.platform import INSTRUCTOR, LEARNER, Message, Platform
from tests.lti.servers import tool_and_platform, wait_for


def true_answers(tool: str, exercise: dict[str, Any]) -> dict[str, Any]:
    """The right answers, read from the analysis of the same expression (POST /api/graph)."""
    graph = requests.post(tool + "/api/graph", json={"expression": exercise["expression"],
                                                     "values": exercise["values"]}, timeout=30).json()
    grads = {node["id"]: node["grad"] for node in graph["nodes"]}
    return {q["id"]: grads[q["node"]] for q in exercise["questions"]}


def deep_link_exercise(tool: str, platform: Platform, choice: str = "example:worked") -> dict[str, Any]:
    """An instructor picks a graded exercise; the platform verifies and keeps the item."""
    picker = launch(platform, Message(user="teacher-1", kind="deeplink", roles=[INSTRUCTOR]))
    assert picker.response.status_code == 200, picker.response.text[:500]
    assert 'name="choice"' in picker.response.text
    csp = picker.response.headers["content-security-policy"]
    assert "frame-ancestors *" in csp
    answer = picker.browser.post(tool + "/lti/deep-link", data={"launch": picker.token, "choice": choice,
                                                                "expression": "", "values": "{}"}, timeout=30)
    assert answer.status_code == 200, answer.text[:500]
    assert f"form-action 'self' {platform.base}" in answer.headers["content-security-policy"]
    action, fields = form_of(answer.text)
    assert action == platform.base + "/deep_link_return"
    back = picker.browser.post(action, data=fields, timeout=30)
    assert back.status_code == 200, back.text[:500]
    [items] = platform.deep_link_items[-1:]
    [item] = items
    return item  # type: ignore[no-any-return]


def student_launch(tool: str, platform: Platform, item: dict[str, Any], user: str
                   ) -> tuple[Launched, dict[str, Any], dict[str, Any]]:
    """A learner's graded launch of the picked item: the launch, its exercise, the right answers."""
    student = launch(platform, Message(user=user, custom=item["custom"], lineitem=platform.lineitem()))
    exercise = student.data["exercise"]
    return student, exercise, true_answers(tool, exercise)


def test_deep_link_then_graded_launch_passes_scores_back(tmp_path: Path, database_url: str) -> None:
    with tool_and_platform(tmp_path, database_url) as (tool, platform):
        item = deep_link_exercise(tool, platform)
        assert item["type"] == "ltiResourceLink" and item["url"] == tool + "/lti/launch"
        assert item["lineItem"]["scoreMaximum"] == 1
        exercise = json.loads(item["custom"]["exercise"])
        assert exercise["expression"].startswith("y = w*x + b")

        student = launch(platform, Message(user="student-1", custom=item["custom"],
                                           lineitem=platform.lineitem("item-1", "course=1")))
        assert student.response.status_code == 200, student.response.text[:800]
        page = student.data
        assert page["exercise"] == exercise and page["graded"] is True
        right = true_answers(tool, exercise)
        first = next(iter(right))

        # A wrong attempt: scored, passed back, and the expected answers withheld.
        wrong = {**right, first: right[first] + 1}
        answer = grade(tool, student.token, page["exercise"], wrong)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["correct"] == body["total"] - 1
        assert body["passback"]["status"] == "sent", body["passback"]
        assert all("expected" not in r for r in body["results"].values())
        assert body["attempt"] == {"number": 1, "best": body["score"], "final": False,
                                   "policy": "unlimited attempts; the best score counts"}

        # The full marks: final, so the expected answers come back.
        answer = grade(tool, student.token, page["exercise"], right).json()
        assert answer["score"] == 1.0 and answer["passback"]["status"] == "sent"
        assert all("expected" in r for r in answer["results"].values())

        # A worse attempt after it: the platform is sent the best score, not the last one.
        answer = grade(tool, student.token, page["exercise"], {}).json()
        assert answer["score"] == 0.0 and answer["attempt"]["best"] == 1.0

        scores = [s for s in platform.scores if s["userId"] == "student-1"]
        assert [s["scoreGiven"] for s in scores] == [body["score"], 1.0, 1.0]
        assert all(s["scoreMaximum"] == 1 and s["activityProgress"] == "Completed"
                   and s["gradingProgress"] == "FullyGraded" and s["lineitem"] == "item-1"
                   and s["query"] == "course=1" for s in scores)
        assert platform.token_requests == 1  # the client-credentials token is cached


def test_forged_gradings_pass_nothing_back(tmp_path: Path, database_url: str) -> None:
    with tool_and_platform(tmp_path, database_url) as (tool, platform):
        item = deep_link_exercise(tool, platform)
        alice, exercise, right = student_launch(tool, platform, item, "alice")

        # An edited exercise (easier values) is not this launch's exercise.
        edited = {**exercise, "values": {**exercise["values"], "w": 0}}
        refused = grade(tool, alice.token, edited, true_answers(tool, edited))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_this_launch"
        # Outside a launch: graded as always (answers shown), nothing passed back.
        outside = grade(tool, None, exercise, right)
        assert outside.status_code == 200 and "passback" not in outside.json()
        assert all("expected" in r for r in outside.json()["results"].values())
        # A made-up or stale session token is refused, not graded silently.
        stale = grade(tool, "not-a-launch", exercise, right)
        assert stale.status_code == 401 and stale.json()["error"]["code"] == "launch_expired"
        # The cookie of a launch counts only for requests from a launched page.
        cookie_only = requests.post(tool + "/api/grade", json={"exercise": exercise, "answers": right},
                                    cookies={"chainrule_lti": alice.token}, timeout=30)
        assert cookie_only.status_code == 200 and "passback" not in cookie_only.json()
        # Another student's exercise in an ungraded launch of a lesson: nothing passed back.
        lesson = launch(platform, Message(user="bob", custom={"lesson": "training-loop"},
                                          lineitem=platform.lineitem("item-2")))
        assert lesson.response.status_code == 200
        replay = grade(tool, lesson.token, exercise, right).json()
        assert replay["passback"]["status"] == "failed"
        assert platform.scores == []

        # Alice's own grading is the only score the platform ever receives.
        assert grade(tool, alice.token, exercise, right).json()["passback"]["status"] == "sent"
        assert [(s["userId"], s["scoreGiven"]) for s in platform.scores] == [("alice", 1.0)]


def test_a_platform_that_is_down_loses_no_score(tmp_path: Path, database_url: str) -> None:
    with tool_and_platform(tmp_path, database_url) as (tool, platform):
        item = deep_link_exercise(tool, platform)
        student, exercise, right = student_launch(tool, platform, item, "carol")
        platform.down = True
        queued = [grade(tool, student.token, exercise, answers).json()["passback"]
                  for answers in ({}, right)]
        assert [q["status"] for q in queued] == ["queued", "queued"], queued
        assert "503" in queued[0]["detail"]
        assert platform.scores == []
        platform.down = False
        wait_for(lambda: len(platform.scores) == 2, timeout=60, what="the queued scores to be sent")
        # Retried with backoff until the platform took them; each attempt's score exactly once.
        time.sleep(1.0)
        assert sorted(s["scoreGiven"] for s in platform.scores) == [0.0, 1.0]


def test_instructor_sees_learners_and_exports_csv(tmp_path: Path, database_url: str) -> None:
    with tool_and_platform(tmp_path, database_url) as (tool, platform):
        item = deep_link_exercise(tool, platform)
        for user, correct in (("dora", True), ("erik", False)):
            student = launch(platform, Message(user=user, custom=item["custom"], lineitem=platform.lineitem()))
            exercise = student.data["exercise"]
            grade(tool, student.token, exercise, true_answers(tool, exercise) if correct else {})
        teacher = launch(platform, Message(user="teacher-1", roles=[INSTRUCTOR], custom=item["custom"],
                                           lineitem=platform.lineitem()))
        assert teacher.data["instructor"] is True
        headers = {"Authorization": f"Bearer {teacher.token}"}
        rows = requests.get(tool + "/lti/api/roster", headers=headers, timeout=30).json()
        learners = {r["learner"]: r for r in rows}
        assert learners["dora"]["best_score"] == 1.0 and learners["dora"]["attempts"] == 1
        assert learners["erik"]["best_score"] == 0.0 and learners["erik"]["scores_sent"] == 1
        csv_text = requests.get(tool + "/lti/api/roster.csv", headers=headers, timeout=30).text
        assert csv_text.splitlines()[0] == "learner,attempts,best_score,last_attempt,scores_sent,scores_queued,scores_failed"
        assert any(line.startswith("dora,1,1.0,") for line in csv_text.splitlines())
        # A learner may not see the others.
        learner = launch(platform, Message(user="erik", roles=[LEARNER], custom=item["custom"]))
        denied = requests.get(tool + "/lti/api/roster", headers={"Authorization": f"Bearer {learner.token}"},
                              timeout=30)
        assert denied.status_code == 403


def test_two_workers_send_each_queued_score_exactly_once(tmp_path: Path, database_url: str) -> None:
    """Both worker processes run the retry loop over the same queue: every attempt's score
    reaches the platform once, never twice."""
    with tool_and_platform(tmp_path, database_url, workers=2) as (tool, platform):
        item = deep_link_exercise(tool, platform)
        platform.down = True
        attempts = 0
        for user in ("f1", "f2", "f3"):
            student, exercise, right = student_launch(tool, platform, item, user)
            for answers in ({}, right, {next(iter(right)): right[next(iter(right))]}):
                assert grade(tool, student.token, exercise, answers).json()["passback"]["status"] == "queued"
                attempts += 1
        refused_sends = platform.score_requests
        assert refused_sends >= attempts  # each was tried once inline, and refused
        platform.down = False
        wait_for(lambda: len(platform.scores) == attempts, timeout=60, what="every queued score")
        time.sleep(2.0)  # both workers polled several more times meanwhile
        assert len(platform.scores) == attempts
        timestamps = [(s["userId"], s["timestamp"]) for s in platform.scores]
        assert len(set(timestamps)) == attempts  # no attempt's score twice
        best = {s["userId"]: max(x["scoreGiven"] for x in platform.scores if x["userId"] == s["userId"])
                for s in platform.scores}
        assert best == {"f1": 1.0, "f2": 1.0, "f3": 1.0}
