"""Hostile and careless input in Chromium (issue 11): the page stays bounded and responsive."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_app import open_app

pytestmark = pytest.mark.e2e

HUGE = "loss = sum(tanh(sin(cos(exp(x)))))"
HUGE_INIT = '{"init": "normal", "shape": [1000000]}'


def test_a_million_element_tensor_arrives_summarized(page: Page, console_errors: list[str],
                                                     artifacts: Path) -> None:
    open_app(page)
    sizes: list[int] = []
    page.on("response", lambda r: sizes.append(len(r.body())) if r.url.endswith("/api/graph") else None)
    page.evaluate("document.body.dataset.ready = ''")
    page.evaluate(
        """([expr, init]) => {
        window.chainrule.store.set({values: {x: init}, expression: expr, collapsed: []});
        document.getElementById('source').value = expr;
        document.getElementById('btn-analyze').click();
    }""",
        [HUGE, HUGE_INIT],
    )
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=20_000)
    expect(page.locator("body")).not_to_have_class("has-error")
    assert sizes and max(sizes) < 200_000, sizes  # not the 359 MB of full values
    row = page.locator("#node-table tbody tr[data-id='n0']")
    expect(row.locator("td.value")).to_contain_text("[1000000]")
    assert "object" not in (row.locator("td.grad").text_content() or "")
    page.screenshot(path=str(artifacts / "hardening-million-summarized.png"), full_page=True)
    assert console_errors == []
