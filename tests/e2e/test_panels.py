"""The panel interface (static/js/panels.js): every panel gets each analysis and each language change."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import open_app

pytestmark = pytest.mark.e2e


def test_panels_follow_analyses_and_language(page: Page, console_errors: list[str], artifacts: Path) -> None:
    open_app(page)
    # the node table got the analysis: one row per node of the worked example
    nodes = page.evaluate("window.chainrule.model.order.length")
    expect(page.locator("#node-table tbody tr")).to_have_count(nodes)
    expect(page.locator("#node-table tbody tr[data-id] td.op").first).to_have_text("input")

    # the gradient check runs through the analysis and renders a verdict per input
    page.locator("#btn-check").click()
    expect(page.locator("#check-table tbody tr[data-name]")).to_have_count(4)
    expect(page.locator("#check-table tbody tr[data-name='w'] td.rel-error")).to_contain_text("good")

    # a language change relabels every panel, the check table and the node table included
    page.locator("#lang").select_option("vi")
    expect(page.locator("#check-table tbody tr[data-name='w'] td.rel-error")).to_contain_text("tốt")
    expect(page.locator("#node-table tbody tr[data-id] td.op").first).to_have_text("đầu vào")
    page.locator("#lang").select_option("en")

    # an error reaches the panels too: the values panel marks the name the API found without a value
    page.locator("#source").fill("y = w*x + b\nloss = abs(y_true - y) + q")
    page.locator("#btn-analyze").click()
    row = page.locator(".value-row[data-name='q']")
    expect(row.locator(".value-note")).to_have_text("needs a value")
    expect(row.locator("input")).to_have_class("value-input invalid")
    page.screenshot(path=str(artifacts / "panels-missing-value.png"), full_page=True)
    row.locator("input").fill("2")
    row.locator("input").press("Enter")
    expect(row.locator(".value-note")).to_have_text("")
    expect(page.locator("#node-table tbody tr")).to_have_count(nodes + 2)
    # the only console error is the browser's note of the expected 400 (the missing value)
    assert [e for e in console_errors if "400 (Bad Request)" not in e] == []
