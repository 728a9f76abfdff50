"""LTI in a real browser, framed by the platform's course page as LMSs show tools: the
instructor's deep-linking picker, a student's graded launch (a wrong attempt without the
expected answers, then full marks) with the scores the platform receives, the same with the
browser's cookies gone (the page's Bearer token carries the session), a Vietnamese launch,
and the instructor's learners and CSV. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Frame, Page, expect

from tests.lti.conftest import database_url, postgres  # noqa: F401  (fixtures)
from tests.lti.platform import INSTRUCTOR, Message, Platform
from tests.lti.servers import tool_and_platform, wait_for

pytestmark = pytest.mark.e2e


def tool_frame(page: Page, platform: Platform, message: Message) -> Frame:
    """The platform's course page with chainrule in its iframe, launched for ``message``."""
    page.goto(f"{platform.base}/course?start={requests.utils.quote(platform.start_url(message), safe='')}")
    frame = page.frame(name="tool")
    assert frame is not None
    return frame


def right_answers(tool: str, exercise: dict[str, Any]) -> dict[str, str]:
    graph = requests.post(tool + "/api/graph", json={"expression": exercise["expression"],
                                                     "values": exercise["values"]}, timeout=30).json()
    grads = {node["id"]: node["grad"] for node in graph["nodes"]}
    return {q["id"]: repr(grads[q["node"]]) for q in exercise["questions"]}


def answer_all(frame: Frame, answers: dict[str, str]) -> None:
    for qid, value in answers.items():
        frame.fill(f"#answer-{qid}", value)
    frame.click("#lti-check")


def test_picker_launch_grading_and_scores_in_a_browser(page: Page, console_errors: list[str],
                                                       artifacts: Path, tmp_path: Path,
                                                       database_url: str) -> None:  # noqa: F811
    backend = "postgres" if database_url.startswith("postgresql") else "sqlite"
    with tool_and_platform(tmp_path, database_url) as (tool, platform):
        # The instructor adds a graded exercise through the picker.
        picker = tool_frame(page, platform, Message(user="teacher-1", kind="deeplink", roles=[INSTRUCTOR]))
        expect(picker.locator("h2")).to_have_text("Add chainrule to your course", timeout=20_000)
        expect(picker.locator('input[value="example:worked"]')).to_be_checked()
        page.screenshot(path=str(artifacts / f"lti-picker-{backend}.png"))
        picker.click("#lti-add")
        frame = page.frame(name="tool")
        assert frame is not None
        expect(frame.locator("h1")).to_have_text("Platform received 1 item(s)", timeout=20_000)
        [[item]] = platform.deep_link_items
        assert item["lineItem"]["scoreMaximum"] == 1

        # A student opens it, framed; a wrong attempt first.
        student = Message(user="student-7", custom=item["custom"], lineitem=platform.lineitem("item-7"))
        frame = tool_frame(page, platform, student)
        expect(frame.locator("#lti-heading")).to_have_text("Exercise", timeout=20_000)
        exercise = json.loads(item["custom"]["exercise"])
        expect(frame.locator("#lti-expression")).to_have_text(exercise["expression"])
        answers = right_answers(tool, exercise)
        first = next(iter(answers))
        answer_all(frame, {**answers, first: "12345"})
        expect(frame.locator("#lti-passback")).to_have_attribute("data-status", "sent", timeout=20_000)
        total = len(answers)
        expect(frame.locator("#lti-score")).to_contain_text(f"Score: {total - 1}/{total}")
        expect(frame.locator(f'[data-question="{first}"] .lti-verdict')).to_contain_text("wrong")
        expect(frame.locator(f'[data-question="{first}"] .lti-verdict')).not_to_contain_text("expected")
        expect(frame.locator(".lti-result")).to_contain_text("The expected answers are shown once")
        page.screenshot(path=str(artifacts / f"lti-wrong-attempt-{backend}.png"))

        # The framed page's cookies are blocked or gone: the Bearer token still carries the session.
        page.context.clear_cookies()
        answer_all(frame, answers)
        expect(frame.locator("#lti-score")).to_contain_text(f"Score: {total}/{total}", timeout=20_000)
        expect(frame.locator("#lti-passback")).to_have_attribute("data-status", "sent")
        expect(frame.locator("#lti-score")).to_contain_text("best so far 100%")
        page.screenshot(path=str(artifacts / f"lti-full-marks-{backend}.png"))
        wait_for(lambda: len(platform.scores) == 2, what="two scores at the platform")
        assert [(s["userId"], s["scoreGiven"]) for s in platform.scores] == [
            ("student-7", (total - 1) / total), ("student-7", 1.0)]

        # In Vietnamese when the platform's locale is Vietnamese.
        frame = tool_frame(page, platform, Message(user="student-8", custom=item["custom"], locale="vi-VN",
                                                   lineitem=platform.lineitem("item-7")))
        expect(frame.locator("#lti-heading")).to_have_text("Bài tập", timeout=20_000)
        expect(frame.locator("#lti-check")).to_have_text("Kiểm tra đáp án")

        # The instructor sees the learners and exports them.
        frame = tool_frame(page, platform, Message(user="teacher-1", roles=[INSTRUCTOR], custom=item["custom"],
                                                   lineitem=platform.lineitem("item-7")))
        rows = frame.locator("#lti-roster-table tbody tr")
        expect(rows.filter(has_text="student-7")).to_contain_text("100%", timeout=20_000)
        page.screenshot(path=str(artifacts / f"lti-instructor-{backend}.png"))
        with page.expect_download() as download:
            frame.click("#lti-export")
        csv_text = Path(download.value.path()).read_text()
        assert csv_text.splitlines()[0].startswith("learner,attempts,best_score")
        assert any(line.startswith("student-7,2,1.0,") for line in csv_text.splitlines()), csv_text
        assert console_errors == []


def test_lesson_and_expression_launches_open_in_the_platforms_language(page: Page, artifacts: Path, tmp_path: Path,
                                                                     database_url: str) -> None:  # noqa: F811
    with tool_and_platform(tmp_path, database_url) as (_tool, platform):
        frame = tool_frame(page, platform, Message(user="s1", custom={"lesson": "gradient"}, locale="vi"))
        expect(frame.locator("html")).to_have_attribute("lang", "vi", timeout=20_000)
        expect(frame.locator("#learn-main")).to_have_attribute("data-lesson", "gradient")
        expect(frame.locator("meta[name=chainrule-launch]")).to_have_count(1)
        live = frame.frame_locator("#learn-frame")
        expect(live.locator("body")).to_have_attribute("data-ready", "true", timeout=20_000)
        expect(live.locator("g.node[data-label='loss'] >> visible=true").first).to_be_visible(timeout=20_000)
        page.screenshot(path=str(artifacts / "lti-lesson-vi.png"))
        # The lesson progress of a launched user is kept on the server, not in this browser.
        token = frame.locator("meta[name=chainrule-launch]").get_attribute("content")
        wait_for(lambda: requests.get(f"{_tool}/lti/api/progress", headers={"Authorization": f"Bearer {token}"},
                                      timeout=30).json().get("gradient", {}).get("seen", 0) >= 1,
                 what="the lesson's progress on the server")
        frame.click("#learn-next")
        wait_for(lambda: requests.get(f"{_tool}/lti/api/progress", headers={"Authorization": f"Bearer {token}"},
                                      timeout=30).json()["gradient"]["seen"] >= 2, what="step 2 on the server")
        page.context.clear_cookies()
        page.evaluate("localStorage.clear()")
        again = tool_frame(page, platform, Message(user="s1", custom={"lesson": "gradient"}, locale="vi"))
        expect(again.locator("meta[name=chainrule-progress]")).to_have_attribute(
            "content", re.compile(r'"gradient": \{"done": false, "seen": [23]\}'), timeout=20_000)
        # "Forget my progress" forgets the server's copy too, not only what the page shows.
        again.locator("#learn-reset").click()
        wait_for(lambda: requests.get(f"{_tool}/lti/api/progress", headers={"Authorization": f"Bearer {token}"},
                                      timeout=30).json() == {}, what="the server's progress forgotten")

        # An expression launch opens the app on it.
        frame = tool_frame(page, platform, Message(user="s1", custom={
            "expression": "y = 3*x", "values": json.dumps({"x": 2})}))
        expect(frame.locator("body")).to_have_attribute("data-ready", "true", timeout=20_000)
        expect(frame.locator("#source")).to_have_value("y = 3*x")
        page.screenshot(path=str(artifacts / "lti-expression.png"))
