"""Issue 12 §3 in headless Chromium: a result is never shown as current when it is not.
Errors sit under the editor (or beside their value), never over the code; stale graphs, steps
and gradient checks are marked; error texts come from code + params in English and
Vietnamese; a clicked node's details appear next to the graph and are announced."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import open_app

pytestmark = pytest.mark.e2e

WORKED = "y = w*x + b\nloss = abs(y_true - y)"


def boxes_overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def only_api_noise(errors: list[str]) -> list[str]:
    """Chromium logs the API's 4xx answers as console errors; anything else is a failure."""
    return [e for e in errors if "status of 400" not in e and "status of 422" not in e]


def test_syntax_error_keeps_the_code_visible_and_marks_the_graph_out_of_date(
    page: Page, console_errors: list[str], artifacts: Path
) -> None:
    open_app(page)
    expect(page.locator("#stale-note")).to_be_hidden()
    top = page.locator("#graphs").bounding_box()["y"]
    bad = "y = w*x + b\nloss = abs(y_true - y))\nz = loss * 2\nq = z + 1"
    page.locator("#source").fill(bad)
    # an edit not yet analysed already marks the old results
    expect(page.locator("body")).to_have_class("stale")
    box = page.locator("#editor-error")
    expect(box).to_be_visible()
    expect(box).to_have_attribute("data-line", "2")
    expect(box).to_contain_text("loss = abs(y_true - y))")
    expect(box).to_contain_text("Line 2, column")
    # every line of the editor stays visible and editable: the message is below it
    editor = page.locator("#editor").bounding_box()
    assert not boxes_overlap(editor, box.bounding_box())
    assert box.bounding_box()["y"] >= editor["y"] + editor["height"] - 1
    assert page.evaluate("(() => { const t = document.getElementById('source'); return t.scrollHeight <= t.clientHeight; })()")
    expect(page.locator("#gutter div.error")).to_have_text("2")
    # the previous graph is still there, visibly out of date
    expect(page.locator("#stale-note")).to_be_visible()
    assert page.locator("#graphs").bounding_box()["y"] == top  # the note moves nothing
    assert page.evaluate("getComputedStyle(document.getElementById('panel-forward')).opacity") == "0.45"
    expect(page.locator("#svg-forward g.node[data-label='loss']")).to_have_count(1)
    page.screenshot(path=str(artifacts / "syntax-error-stale.png"), clip={"x": 0, "y": 0, "width": 1500, "height": 700})
    # fixing it clears both
    page.locator("#source").fill(WORKED)
    expect(box).to_be_hidden()
    expect(page.locator("#stale-note")).to_be_hidden()
    expect(page.locator("body")).not_to_have_class("stale")
    assert only_api_noise(console_errors) == []


def test_value_errors_sit_beside_their_field_in_the_students_language(
    page: Page, console_errors: list[str], artifacts: Path
) -> None:
    values = {"W1": '{"init": "normal", "shape": [2], "std": 1}'}
    page.goto(f"/?e={quote('y = sum(W1 * 2)')}&v={quote(json.dumps(values))}")
    note = page.locator("#value-W1-note")
    expect(note).to_have_text("W1: unknown key 'std'; known: init, shape, scale, seed. Did you mean 'scale'?")
    expect(page.locator("#editor-error")).to_be_hidden()
    assert "values.W1.float" not in (page.locator("body").text_content() or "")
    page.screenshot(path=str(artifacts / "value-error-beside-field.png"), clip={"x": 0, "y": 0, "width": 700, "height": 700})
    page.locator("#lang").select_option("vi")
    expect(note).to_contain_text("khóa 'std' không xác định")
    # a text where a number belongs
    page.locator("#value-W1").fill("abc")
    page.locator("#value-W1").press("Enter")
    expect(note).to_contain_text("Không phải số")
    assert only_api_noise(console_errors) == []


def test_unknown_function_is_said_from_code_and_params(page: Page, console_errors: list[str]) -> None:
    open_app(page)
    page.locator("#source").fill("y = sinn(x)")
    box = page.locator("#editor-error")
    expect(box).to_contain_text("There is no function 'sinn'. Did you mean 'sin', 'min'?")
    page.locator("#lang").select_option("vi")
    page.locator("#source").fill("y = sinn(x) ")
    expect(box).to_contain_text("Không có hàm 'sinn'. Có phải ý bạn là 'sin', 'min'?")
    assert only_api_noise(console_errors) == []


def test_gradient_check_belongs_to_its_expression(page: Page, console_errors: list[str]) -> None:
    open_app(page)
    page.locator("#btn-check").click()
    expect(page.locator("#check-table tbody tr")).to_have_count(4)
    expect(page.locator("#check-card .stale-line")).to_be_hidden()
    page.locator("#source").fill("y = w*x + b\nloss = abs(y_true - y) * 2")
    expect(page.locator("#svg-forward g.node[data-label='loss'] text.main")).to_have_text("6")
    expect(page.locator("#check-card")).to_have_class("card is-stale")
    expect(page.locator("#check-card .stale-line")).to_contain_text("Out of date")
    assert only_api_noise(console_errors) == []


def test_node_details_appear_next_to_the_graph_and_are_announced(
    page: Page, console_errors: list[str], artifacts: Path
) -> None:
    open_app(page)
    node = page.locator("#svg-forward g.node[data-label='w']")
    node.click()
    panel = page.locator("#inspector")
    expect(panel).to_be_visible()
    expect(page.locator("#inspector-live")).to_have_text("Node w: value 3, gradient 2. Details beside the graph.")
    graphs = page.locator("#graphs").bounding_box()
    box = panel.bounding_box()
    assert graphs["y"] <= box["y"] <= graphs["y"] + graphs["height"]
    page.screenshot(path=str(artifacts / "node-details-beside-graph.png"), clip={"x": 0, "y": 0, "width": 1500, "height": 1000})
    panel.locator(".inspector-close").click()
    expect(panel).to_be_hidden()
    # Enter on a focused node does the same
    page.locator("#svg-backward g.node[data-label='b']").focus()
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    expect(page.locator("#inspector-live")).to_contain_text("Node b")
    assert console_errors == []
