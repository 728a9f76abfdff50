"""The Learn mode in a real browser: every lesson walked end to end in both languages (one
session), the numbers of lessons 2 and 8 read off the live view, a try-it solved with a hint
first, progress remembered, and the lesson links (step, language, embed)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from tests.e2e.helpers import wait_ready

pytestmark = pytest.mark.e2e


def frame_ready(page: Page, expression: str) -> FrameLocator:
    """The live view, once it has analysed ``expression``."""
    frame = page.frame_locator("#learn-frame")
    wait_ready(frame, timeout=20_000)
    expect(frame.locator("#source")).to_have_value(expression, timeout=10_000)
    return frame


def node_main(frame: FrameLocator, label: str) -> str:
    node = frame.locator(f"g.node[data-label='{label}'] text.main >> visible=true").first
    expect(node).to_be_visible(timeout=10_000)
    return node.text_content() or ""


def test_walk_every_lesson_in_both_languages(page: Page, console_errors: list[str], artifacts: Path) -> None:
    lessons = page.request.get("/api/lessons").json()
    assert len(lessons) == 11
    for lang in ("en", "vi"):
        page.goto(f"/learn/{lessons[0]['id']}?lang={lang}")
        wait_ready(page)
        for number, item in enumerate(lessons, start=1):
            data = page.request.get(f"/api/lessons/{item['id']}?lang={lang}").json()
            expect(page.locator("#learn-title")).to_have_text(data["title"])
            assert page.url.endswith(f"/learn/{item['id']}?lang={lang}")
            for k, step in enumerate(data["steps"], start=1):
                expect(page.locator("#learn-count")).to_contain_text(f"{number}")
                expect(page.locator("#learn-body p").first).to_have_text(step["text"][0])
                frame = frame_ready(page, step["view"]["state"]["expression"])
                if item["id"] == "naive-nudge" and k <= 3:  # the story, on the live graph
                    assert node_main(frame, "loss") == ["0.5", "0.6", "0.4"][k - 1]
                if item["id"] == "naive-nudge" and k == 4:  # and again with the nudge probe
                    frame.locator("#probe-input").select_option("w")
                    for eps, loss in (("0.05", "0.6"), ("-0.05", "0.4")):
                        frame.locator("#probe-eps-text").fill(eps)
                        expect(frame.locator("#probe-table tr[data-row='new-loss'] td")).to_have_text(loss)
                        expect(frame.locator("#probe-table tr[data-row='slope'] td")).to_have_text("2")
                if item["id"] == "computational-graph" and k == len(data["steps"]):
                    assert "1 × 1 × 2 = 2" in page.locator("#learn-body").text_content()
                    assert node_main(frame, "w").endswith("2")
                if k == len(data["steps"]):
                    page.screenshot(path=str(artifacts / f"learn-{lang}-{number}-{item['id']}.png"))
                page.locator("#learn-next").click()
            # the try-it task: questions from the exercise API, in this language
            expect(page.locator("#learn-try")).to_be_visible()
            expect(page.locator("#learn-try-text")).to_have_text(data["try"]["text"])
            expect(page.locator(".quiz-row").first).to_be_visible()
            if number < len(lessons):
                page.locator("#learn-next").click()
        expect(page.locator("#learn-next")).to_be_hidden()
    assert console_errors == []


def test_lesson_8_try_it_solved_by_typing_with_a_hint_first(page: Page, console_errors: list[str],
                                                             artifacts: Path) -> None:
    page.goto("/learn/computational-graph?step=5&lang=en")
    expect(page.locator(".quiz-row")).to_have_count(7)
    answers = {"d loss/d (y_true - y)": "-1", "d loss/d y_true": "-1", "d loss/d y": "1",
               "d loss/d b": "1", "d loss/d (w * x)": "1*1", "d loss/d x": "3", "d loss/d w": "3"}
    for prompt, answer in answers.items():
        page.get_by_label(f"Answer to: {prompt} = ?").fill(answer)
    page.locator("#quiz-check").click()
    expect(page.locator("#learn-try-score")).to_have_text("6 of 7 right")
    w_row = page.locator(".quiz-row").filter(has=page.get_by_label("Answer to: d loss/d w = ?"))
    expect(w_row.locator(".quiz-verdict")).to_have_text("✗ not yet")
    expect(w_row.locator(".quiz-hint")).to_contain_text("d loss/d w = d loss/d (y_true - y)")
    page.get_by_label("Answer to: d loss/d w = ?").fill("1*1*2")
    page.locator("#quiz-check").click()
    expect(page.locator("#learn-try-score")).to_have_text("All right: lesson done.")
    expect(w_row.locator(".quiz-hint")).to_be_hidden()
    page.screenshot(path=str(artifacts / "learn-try-solved.png"))
    done = page.locator("#learn-path li").filter(has_text="The computational graph").locator(".learn-mark")
    expect(done).to_have_attribute("data-progress", "done")
    page.reload()  # progress is remembered in this browser
    expect(done).to_have_attribute("data-progress", "done")
    assert console_errors == []


def test_lesson_links_restore_step_language_and_embed(page: Page, console_errors: list[str]) -> None:
    page.goto("/learn/gradient?step=2&lang=vi&embed=1")
    wait_ready(page)
    expect(page.locator(".learn-header")).to_be_hidden()
    expect(page.locator(".learn-path")).to_be_hidden()
    expect(page.locator("#learn-count")).to_have_text("Bài 3 / 11 · bước 2 / 3")
    frame_ready(page, "y_pred = w*x + b\nloss = abs(y_pred - y_true)")
    page.locator("#learn-prev").click()
    assert "step=" not in page.url and "lang=vi" in page.url and "embed=1" in page.url
    page.evaluate("history.back()")
    expect(page.locator("#learn-count")).to_have_text("Bài 3 / 11 · bước 2 / 3")
    page.goto("/learn")
    expect(page.locator(".learn-index li")).to_have_count(11)
    assert console_errors == []


@contextmanager
def course_site(live_server: str) -> Iterator[str]:
    """Another origin (a second server on another loopback port) whose page frames a lesson
    given in its query: ``/?lesson=momentum``."""

    class Course(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            lesson = self.path.partition("lesson=")[2] or "momentum"
            body = (f'<!doctype html><title>course</title><iframe id="course" width="1300" height="900" '
                    f'src="{live_server}/learn/{lesson}?embed=1&lang=en"></iframe>').encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Course)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_lesson_embedded_by_another_site(page: Page, live_server: str) -> None:
    """A course page on another origin frames a lesson: graph steps show live; an app step
    (training), which only this server may frame, becomes a link that opens it."""
    with course_site(live_server) as course:
        page.goto(f"{course}/?lesson=momentum")
        lesson = page.frame_locator("#course")
        wait_ready(lesson)
        expect(lesson.locator("#learn-blocked")).to_be_visible()
        expect(lesson.locator("#learn-blocked-link")).to_have_attribute("href", re.compile(r"^/\?e="))
        expect(lesson.locator("#learn-frame")).to_be_hidden()
        page.goto(f"{course}/?lesson=chain-rule")
        view = page.frame_locator("#course").frame_locator("#learn-frame")
        wait_ready(view)
        expect(view.locator("#source")).to_have_value("x1 = 2*x + 1\ny = x1**2")
