"""The training panel as a student reads it: the loss chart's tick labels at a readable size on a
laptop and a phone, and a neutral "loading" state (no instruction that does not apply) while a
freshly chosen example's graph is being analysed."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.helpers import open_app

#: The smallest text a student is asked to read (CSS px on screen).
MIN_TEXT_PX = 11

#: Each tick label of the loss chart: its text and its font size on screen (the SVG is scaled
#: into its panel, so the CSS size times the scale).
TICKS_JS = """() => [...document.querySelectorAll('#train-loss-chart .axis text')].map((t) => ({
  text: t.textContent,
  px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
  height: t.getBoundingClientRect().height,
}))"""


def translated(page: Page, key: str) -> str:
    return page.evaluate("async (k) => (await import('/static/js/i18n.js')).t(k)", key)


def start_example(page: Page, index: str) -> None:
    page.locator("#train-example").select_option(index)
    expect(page.locator("#training")).to_have_attribute("data-state", "running", timeout=20_000)


@pytest.mark.parametrize("size", [(1366, 768), (390, 844)], ids=["laptop", "phone"])
def test_loss_chart_ticks_are_readable(page: Page, console_errors: list[str], artifacts: Path,
                                       size: tuple[int, int]) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_app(page, "/?lang=en")
    start_example(page, "0")
    page.locator("#train-end").click()
    expect(page.locator("#training")).to_have_attribute("data-state", "end", timeout=20_000)
    chart = page.locator("#train-loss-chart")
    chart.scroll_into_view_if_needed()
    ticks = page.evaluate(TICKS_JS)
    assert len(ticks) >= 4, ticks
    small = [t for t in ticks if t["px"] < MIN_TEXT_PX or t["height"] < MIN_TEXT_PX]
    assert small == [], small
    # the chart still fits its panel (the ticks did not push it past the screen's edge)
    box = chart.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= size[0]
    page.locator("#train-loss-chart").screenshot(path=str(artifacts / f"loss-chart-{size[0]}.png"))
    assert console_errors == []


def test_a_chosen_example_shows_loading_until_its_graph_is_analysed(
    page: Page, console_errors: list[str], artifacts: Path
) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    open_app(page, "/?lang=en")
    held: list[Route] = []
    page.route("**/api/graph", lambda route: held.append(route))
    # an example on another expression than the page's (its params are not the page's names)
    page.locator("#train-example").select_option("2")
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(25)
    assert held, "the example's analysis was never asked for"
    training = page.locator("#training")
    expect(training).to_have_attribute("data-state", "loading")
    expect(training).to_have_attribute("aria-busy", "true")
    text = training.text_content() or ""
    for wrong in ("train.needParams", "train.idleHelp"):
        assert translated(page, wrong) not in text, wrong
    # no boxes of the previous expression's names to tick meanwhile
    expect(page.locator("#train-params input[type=checkbox]")).to_have_count(0)
    expect(page.locator("#train-status")).to_have_text(translated(page, "train.loading"))
    # and no Step that would train the previous expression's names
    expect(page.locator("#train-step")).to_be_disabled()
    training.screenshot(path=str(artifacts / "training-loading.png"))

    for route in held:
        route.continue_()
    page.unroute("**/api/graph")
    expect(training).to_have_attribute("data-state", "running", timeout=20_000)
    expect(training).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#train-step")).to_be_enabled()
    expect(page.locator("#train-params input[type=checkbox]:checked")).not_to_have_count(0)
    assert console_errors == []
