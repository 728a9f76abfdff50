"""Training numbers that add up (issue 12 §4), in headless Chromium, in English and Vietnamese."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

LANGS = ["en", "vi"]


def open_app(page: Page, path: str = "/") -> None:
    page.goto(path)
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15_000)


def step(page: Page, to: int) -> None:
    """Press Step until the panel stands at position ``to``."""
    training = page.locator("#training")
    for k in range(max(int(training.get_attribute("data-position") or "-1"), 0) + 1, to + 1):
        page.locator("#train-step").click()
        expect(training).to_have_attribute("data-position", str(k), timeout=15_000)


def graph_loss(page: Page) -> float:
    return float(page.locator("#svg-forward g.node[data-label='loss'] text.main").text_content() or "nan")


@pytest.mark.parametrize("lang", LANGS)
def test_ten_default_steps_on_the_worked_example_learn(page: Page, console_errors: list[str], artifacts: Path,
                                                       lang: str) -> None:
    open_app(page, f"/?lang={lang}")
    page.locator("#train-params input[value='w']").check()
    page.locator("#train-params input[value='b']").check()
    # the example's own learning rate, torch's default beside it
    lr = page.locator("#train-optimizer .hyper[data-hyper='lr']")
    expect(lr.locator("input")).to_have_value("0.1")
    expect(lr.locator(".hyper-default")).to_contain_text("0.001")
    step(page, 10)
    loss = float(page.locator("#train-runs tbody tr[data-run='0']").get_attribute("data-loss") or "nan")
    assert loss < 1.5
    expect(page.locator("#svg-forward g.node[data-label='loss'] text.main")).not_to_have_text("3")
    assert graph_loss(page) == pytest.approx(loss, abs=1e-3)
    page.screenshot(path=str(artifacts / f"train-defaults-{lang}.png"), full_page=True)
    assert console_errors == []
