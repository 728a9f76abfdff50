"""Issue 23 in headless Chromium: the probe, the practice blanks, the training panel and the
lessons' try-its are operated from the keyboard alone, and what they answer reaches a live
region (role=status or aria-live) with the numbers the server computed."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

WORKED = "y = w*x + b\nloss = abs(y_true - y)"
VALUES = {"x": "2", "y_true": "4", "w": "3", "b": "1"}


def tab_to(page: Page, selector: str, limit: int = 120) -> None:
    """Press Tab until the focus is on an element matching `selector` (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
    pytest.fail(f"{selector} is not reachable with Tab")


def live(page: Page, selector: str) -> bool:
    """Is the element a live region, or inside one?"""
    return page.evaluate(
        """(s) => { const e = document.querySelector(s);
          return !!e?.closest('[aria-live]:not([aria-live="off"]), [role=status], [role=alert]'); }""",
        selector,
    )


def test_practice_blanks_by_keyboard_are_announced(page: Page, console_errors: list[str]) -> None:
    page.goto(f"/?e={quote(WORKED)}&v={quote(json.dumps(VALUES))}&practice=1&lang=en")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15_000)
    body = {"expression": WORKED, "values": {k: float(v) for k, v in VALUES.items()}}
    truth = page.request.post("/api/graph", data=body).json()
    loss_edge = next(e for e in truth["edges"] if e["target"] == truth["output"])
    tab_to(page, "#svg-backward .practice-layer input:enabled")
    prompt = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert prompt and prompt.endswith("= ?")
    page.keyboard.type(repr(loss_edge["local"]))
    page.keyboard.press("Enter")
    status = page.locator("#practice-status")
    expect(status).to_contain_text("1 of 14")
    assert live(page, "#practice-status")
    # a wrong answer: the hint is an alert, the blank stays open for another try
    tab_to(page, "#svg-backward .practice-layer input:enabled")
    page.keyboard.type("12345")
    page.keyboard.press("Enter")
    expect(page.locator("#practice-hint")).to_be_visible()
    assert live(page, "#practice-hint")
    assert console_errors == []


def test_probe_by_keyboard_is_announced(page: Page, console_errors: list[str]) -> None:
    page.goto(f"/?e={quote(WORKED)}&v={quote(json.dumps(VALUES))}&lang=en")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15_000)
    expect(page.locator("#probe-input option")).not_to_have_count(0)
    tab_to(page, "#probe-input")
    while page.locator("#probe-input").input_value() != "w":
        page.keyboard.press("ArrowDown")
    tab_to(page, "#probe-eps-text")
    page.keyboard.press("Control+a")
    page.keyboard.type("1e-5")
    page.keyboard.press("Enter")
    verdict = page.locator("#probe-verdict")
    expect(verdict).to_contain_text("agrees", timeout=10_000)
    assert live(page, "#probe-verdict")
    assert console_errors == []


def test_training_step_by_keyboard_is_announced(page: Page, console_errors: list[str]) -> None:
    page.goto(f"/?e={quote(WORKED)}&v={quote(json.dumps(VALUES))}&lang=vi")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15_000)
    # the first training example (the worked example, trained on w and b), chosen by arrow key
    tab_to(page, "#train-example")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#train-params input[value='w']")).to_be_checked(timeout=10_000)
    update = page.locator("#train-update")
    # the update the next Step applies (SGD, lr 0.1, grad 2), in a live region
    expect(update).to_contain_text("3 − 0.1×2 = 2.8", timeout=10_000)
    assert live(page, "#train-update") and live(page, "#train-counter")
    tab_to(page, "#train-step")
    page.keyboard.press("Enter")
    expect(page.locator("#train-counter")).to_contain_text("1", timeout=15_000)
    expect(update).to_contain_text("2.8 − 0.1×2 = 2.6")
    expect(page.locator("#svg-forward g.node[data-label='w'] text.main")).to_have_text("2.8")
    assert console_errors == []


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_lesson_try_it_by_keyboard_is_announced(page: Page, console_errors: list[str], lang: str) -> None:
    page.goto(f"/learn/chain-rule?step=99&lang={lang}")
    expect(page.locator("#learn-try")).to_be_visible(timeout=15_000)
    expect(page.locator("#learn-try-form input").first).to_be_visible(timeout=15_000)
    assert live(page, "#learn-count") and live(page, "#learn-title")
    assert not page.evaluate("!!document.querySelector('article[aria-live]')")  # the lesson is not re-read whole
    tab_to(page, "#learn-try-form input")
    page.keyboard.type("123456")
    page.keyboard.press("Enter")  # submits the form
    score = page.locator("#learn-try-score")
    expect(score).not_to_have_text("", timeout=10_000)
    assert live(page, "#learn-try-score")
    verdict = page.locator(".quiz-verdict").first
    expect(verdict).to_contain_text({"en": "not yet", "vi": "chưa đúng"}[lang])  # words, not only red
    assert live(page, ".quiz-verdict")
    assert console_errors == []
