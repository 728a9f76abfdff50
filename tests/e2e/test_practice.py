"""Practice mode in a real browser: the worked example's backward pass done entirely by typing
into the blanks on the backward graph, in backward order, one wrong answer getting a hint
first; an exercise is a link and an embed (?practice=1)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import wait_ready

pytestmark = pytest.mark.e2e

WORKED = "y = w*x + b\nloss = abs(y_true - y)"
VALUES = {"x": "2", "y_true": "4", "w": "3", "b": "1"}
LINK = f"e={quote(WORKED)}&v={quote(json.dumps(VALUES))}&practice=1&lang=en"


def answers_by_prompt(page: Page) -> dict[str, str]:
    """The right answer of every blank, from the API (the page is not asked)."""
    body = {"expression": WORKED, "values": {k: float(v) for k, v in VALUES.items()}}
    questions = page.request.post("/api/exercise", data=body).json()["exercise"]["questions"]
    truth = page.request.post("/api/graph", data=body).json()
    nodes = {n["id"]: n for n in truth["nodes"]}
    edges = {e["id"]: e for e in truth["edges"]}
    return {q["prompt"]: repr(edges[q["edge"]]["local"] if q["kind"] == "local" else nodes[q["node"]]["grad"])
            for q in questions}


def test_the_worked_backward_pass_typed_on_the_graph(page: Page, console_errors: list[str], artifacts: Path) -> None:
    page.goto(f"/?{LINK}")
    wait_ready(page)
    blanks = page.locator("#svg-backward .practice-layer input")
    expect(blanks).to_have_count(14)
    answers = answers_by_prompt(page)
    assert len(answers) == 14
    expect(page.locator("#svg-backward .practice-layer input:enabled")).to_have_count(1)  # the edge into the loss
    wrong_first = "d loss/d w = ?"
    typed: list[str] = []
    for _ in range(20):
        open_blanks = page.locator("#svg-backward .practice-layer input:enabled")
        if open_blanks.count() == 0:
            break
        prompt = open_blanks.first.get_attribute("aria-label") or ""
        blank = page.get_by_label(prompt, exact=True)
        if prompt == wrong_first:
            blank.fill("3")
            blank.press("Enter")
            expect(page.locator("#practice-hint")).to_contain_text("d loss/d w = d loss/d (y_true - y)")
            expect(blank).to_have_class("wrong")
            expect(blank).to_be_enabled()
            page.screenshot(path=str(artifacts / "practice-hint.png"))
            blank = page.get_by_label(prompt, exact=True)
            blank.fill("1*1*2")
        else:
            blank.fill(answers[prompt])
        blank.press("Enter")
        expect(page.get_by_label(prompt, exact=True)).to_have_count(0)  # accepted: the blank is gone
        typed.append(prompt)
    assert sorted(typed) == sorted(answers)
    assert wrong_first in typed
    # backward order: a node's gradient only after its consumers' (the output's is 1)
    assert typed.index("d loss/d w = ?") > typed.index("d loss/d (w * x) = ?") > typed.index("d loss/d y = ?")
    expect(page.locator("#practice-status")).to_have_text("All 14 blanks filled in: the backward pass is done.")
    expect(page.locator("#svg-backward g.node[data-label='w'] text.main")).to_have_text("grad = 2")
    expect(page.locator("#svg-backward text.edge-label.practice-blank")).to_have_count(0)
    page.screenshot(path=str(artifacts / "practice-done.png"))
    assert console_errors == []


def test_an_exercise_is_an_embed_that_starts_in_practice(page: Page, console_errors: list[str]) -> None:
    page.goto(f"/embed?{LINK}&pcount=3&pseed=1&lang=vi")
    wait_ready(page)
    expect(page.locator("#svg-backward .practice-layer input")).to_have_count(3)
    expect(page.locator("#btn-practice")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#practice-status")).to_contain_text("Đã điền 0 / 3")
    page.locator("#btn-practice").click()
    expect(page.locator("#svg-backward .practice-layer input")).to_have_count(0)
    expect(page.locator("#svg-backward g.node[data-label='w'] text.main")).to_contain_text("2")
    assert console_errors == []
