"""A lesson's live graph on a phone uses the frame: the two-layer network (17 nodes) drew into
a 344 × 250 px strip of a 358 × 675 px frame, its boxes a few pixels tall. Every step's graph
takes the frame's width and most of its height, and still fits in the frame whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.helpers import wait_ready

LESSON = "two-layer-network"

#: The frame's box, the shown graph's box (the <svg> of the view the step shows) and the box of
#: its panel, in the lesson page's pixels.
SIZES_JS = """() => {
  const frame = document.getElementById('learn-frame');
  const f = frame.getBoundingClientRect();
  const doc = frame.contentDocument;
  const svg = [...doc.querySelectorAll('svg.graph')].find((s) => s.getBoundingClientRect().width > 0);
  const box = (el) => { const r = el.getBoundingClientRect(); return {width: r.width, height: r.height}; };
  return {frame: {width: f.width, height: f.height}, graph: box(svg), panel: box(svg.closest('.graph-panel')),
          nodes: svg.querySelectorAll('g.node').length};
}"""


@pytest.fixture
def phone(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def test_the_two_layer_network_fills_a_phones_frame(phone: Page, base_url: str, artifacts: Path) -> None:
    page = phone
    lesson = page.request.get(f"{base_url}/api/lessons/{LESSON}").json()
    assert lesson["number"] == 9
    failures = []
    for k in range(1, len(lesson["steps"]) + 1):
        page.goto(f"{base_url}/learn/{LESSON}?lang=en&step={k}")
        wait_ready(page.frame_locator("#learn-frame"))
        page.locator("#learn-frame").scroll_into_view_if_needed()
        m = page.evaluate(SIZES_JS)
        frame, graph, panel = m["frame"], m["graph"], m["panel"]
        if graph["width"] < 0.9 * frame["width"]:
            failures.append(f"step {k}: the graph is {graph['width']:.0f} px wide in a {frame['width']:.0f} px frame")
        if graph["height"] < 0.6 * frame["height"]:
            failures.append(f"step {k}: the graph is {graph['height']:.0f} px tall in a {frame['height']:.0f} px frame")
        if panel["height"] > frame["height"]:
            failures.append(f"step {k}: the graph's panel ({panel['height']:.0f} px) is taller than the frame")
        page.screenshot(path=str(artifacts / f"learn-phone-{LESSON}-{k}.png"))
    assert failures == [], "\n".join(failures)
