"""A summarized tensor's full values on demand, in Chromium: the node details of a 200×100
input show its summary, and "Show all values" fetches that one node in full (``full: [id]``)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import open_app, wait_ready

pytestmark = pytest.mark.e2e

EXPRESSION = "y = tanh(x)\nloss = sum(y * y)"
X = {"init": "normal", "shape": [200, 100], "seed": 7}
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def numbers(text: str) -> list[float]:
    return [float(m) for m in NUMBER.findall(text.replace("−", "-"))]


def test_show_all_values_of_a_summarized_tensor(page: Page, console_errors: list[str],
                                               artifacts: Path) -> None:
    open_app(page)
    asked: list[dict] = []
    page.on("request", lambda r: asked.append(r.post_data_json) if r.url.endswith("/api/graph") else None)
    page.evaluate("document.body.dataset.ready = ''")
    page.evaluate(
        """([expr, x]) => {
        window.chainrule.store.set({values: {x: JSON.stringify(x)}, expression: expr, collapsed: []});
        document.getElementById('source').value = expr;
        document.getElementById('btn-analyze').click();
    }""",
        [EXPRESSION, X],
    )
    wait_ready(page, timeout=20_000)
    expect(page.locator("body")).not_to_have_class("has-error")

    page.locator("#svg-forward g.node[data-label='x']").first.click()
    inspector = page.locator("#inspector")
    expect(inspector).to_be_visible()
    value, grad = inspector.locator("pre").nth(0), inspector.locator("pre").nth(1)
    expect(value).to_contain_text("[200×100] min")  # the summary
    expect(grad).to_contain_text("[200×100] min")
    page.screenshot(path=str(artifacts / "full-values-summary.png"))

    show_all = inspector.get_by_role("button", name="Show all values")
    show_all.click()
    expect(inspector.locator(".inspector-full-note")).to_have_text("All values shown.")
    expect(show_all).to_be_hidden()
    assert asked[-1]["full"] == ["n0"] and asked[-1]["detail"] == "auto"
    page.screenshot(path=str(artifacts / "full-values-shown.png"))

    truth = page.request.post("/api/graph", data={"expression": EXPRESSION, "values": {"x": X}}).json()
    x = np.array(truth["nodes"][0]["value"])
    dx = np.array(truth["nodes"][0]["grad"])
    assert x.shape == (200, 100)
    for pre, full in ((value, x), (grad, dx)):
        text = pre.text_content() or ""
        assert "min" not in text and text.startswith("[[")
        assert text.endswith(" …")  # fmtFull's character cap: the last number may be cut
        shown = numbers(text)[:-1]
        assert len(shown) > 1_000  # far more than a summary's preview, within fmtFull's cap
        np.testing.assert_allclose(shown, full.reshape(-1)[:len(shown)], rtol=1e-5, atol=1e-12)
    # the inspector scrolls the values: the first row is what a reader sees first
    assert numbers(value.text_content() or "")[:100] == pytest.approx(x[0].tolist(), rel=1e-5)
    assert console_errors == []
