"""The page without a server: the standalone HTML export opened from file:// in Chromium with
the network disabled draws both graphs and steps through them."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import smallest_label_px, untranslated_keys, wait_ready

pytestmark = pytest.mark.e2e

WORKED = {"expression": "y = w*x + b\nloss = abs(y_true - y)", "values": {"x": 2, "y_true": 4, "w": 3, "b": 1}}


def exported(page: Page, tmp_path: Path, body: dict, name: str) -> Path:
    r = page.request.post("/api/export/html", data=body)
    assert r.ok, r.text()
    assert r.headers["content-type"].startswith("text/html")
    path = tmp_path / name
    path.write_bytes(r.body())
    return path


def open_offline(browser: Browser, path: Path) -> tuple[Page, list[str], list[str]]:
    """The file in a fresh context with the network off; every request that is not the file
    itself (or a data: URL) is recorded, as is every console error."""
    context = browser.new_context(offline=True, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    wait_ready(page)
    return page, requests, errors


def main_text(page: Page, view: str, label: str) -> str:
    return page.locator(f"#svg-{view} g.node[data-label='{label}'] text.main").text_content() or ""


def test_standalone_html_draws_and_steps_offline(page: Page, browser: Browser, tmp_path: Path,
                                                 artifacts: Path) -> None:
    path = exported(page, tmp_path, WORKED, "worked.html")
    html = path.read_text()
    assert "<script src" not in html and "<link rel=\"stylesheet\"" not in html
    offline, requests, errors = open_offline(browser, path)
    assert main_text(offline, "forward", "loss") == "3"
    assert main_text(offline, "forward", "y") == "7"
    assert main_text(offline, "backward", "w") == "grad = 2"
    assert main_text(offline, "backward", "x") == "grad = 3"
    expect(offline.locator("#source")).to_have_text(WORKED["expression"])
    assert smallest_label_px(offline) >= 10.99  # readable at the size the page opens at

    # forward step-through: values appear one node at a time
    offline.locator("#btn-forward").click()
    expect(offline.locator("#explain")).to_have_attribute("data-mode", "forward")
    assert main_text(offline, "forward", "loss") == "?"
    forward_steps = offline.evaluate("window.chainrule.model.order.length")
    for _ in range(forward_steps - 1):
        offline.keyboard.press("ArrowRight")
    assert main_text(offline, "forward", "loss") == "3"
    expect(offline.locator("#explain-math .katex")).to_have_count(1)  # typeset with the inlined KaTeX
    # on into the backward pass: the output's gradient first, then back along the edges
    offline.keyboard.press("ArrowRight")
    expect(offline.locator("#explain")).to_have_attribute("data-mode", "backward")
    expect(offline.locator("#step-counter")).to_contain_text("1")
    steps = 1
    while offline.locator("#explain").get_attribute("data-node") != offline.evaluate(
            "window.chainrule.model.nodes.get(window.chainrule.model.order.find("
            "id => window.chainrule.model.nodes.get(id).label === 'w')).id") and steps < 20:
        offline.keyboard.press("ArrowRight")
        steps += 1
    expect(offline.locator("#explain-text")).to_contain_text("w")
    assert main_text(offline, "backward", "w") == "grad = 2"
    offline.screenshot(path=str(artifacts / "standalone-offline.png"))
    assert untranslated_keys(offline) == []
    offline.locator("#btn-reset").click()
    expect(offline.locator("#explain")).to_have_attribute("data-mode", "none")

    assert requests == []
    assert errors == []
    offline.context.close()


def test_user_text_stays_text_in_the_standalone_page(page: Page, browser: Browser, tmp_path: Path) -> None:
    body = {"expression": "y = x * 2  # </script><script>window.pwned = 1</script><b>bold</b>", "values": {"x": 1}}
    path = exported(page, tmp_path, body, "hostile.html")
    offline, requests, errors = open_offline(browser, path)
    assert offline.evaluate("window.pwned") is None
    expect(offline.locator("#source")).to_have_text(body["expression"])
    assert offline.locator("b").count() == 0
    assert requests == [] and errors == []
    offline.context.close()


def test_vietnamese_standalone_page(page: Page, browser: Browser, tmp_path: Path) -> None:
    path = exported(page, tmp_path, {**WORKED, "lang": "vi"}, "vi.html")
    offline, requests, errors = open_offline(browser, path)
    expect(offline.locator("#btn-forward")).to_have_text("Truyền tiến ▶")
    assert offline.locator("html").get_attribute("lang") == "vi"
    assert requests == [] and errors == []
    offline.context.close()
