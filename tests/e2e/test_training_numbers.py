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


PAST_END = {"en": "raise Steps to continue", "vi": "tăng Số bước"}


def run_labels(page: Page) -> list[str]:
    rows = page.locator("#train-runs tbody tr th")
    return [(rows.nth(i).text_content() or "").strip() for i in range(rows.count())]


@pytest.mark.parametrize("lang", LANGS)
def test_sgd_is_named_sgd_the_same_everywhere_and_step_past_the_end_says_so(
    page: Page, console_errors: list[str], artifacts: Path, lang: str
) -> None:
    open_app(page, f"/?lang={lang}")
    page.locator("#train-params input[value='w']").check()
    page.locator("#train-params input[value='b']").check()
    expect(page.locator("#train-optimizer select.opt-name option:checked")).to_have_text("SGD")
    step(page, 10)
    assert run_labels(page) == ["SGD lr=0.1"]

    # Step past the last step: the position stays, and the panel says why
    page.locator("#train-step").click()
    expect(page.locator("#train-end-note")).to_be_visible()
    expect(page.locator("#train-end-note")).to_contain_text(PAST_END[lang])
    expect(page.locator("#training")).to_have_attribute("data-position", "10")
    page.screenshot(path=str(artifacts / f"train-past-end-{lang}.png"), full_page=True)

    # compare plain SGD with SGD + momentum: the compare list and the results table agree
    page.locator("#train-compare-add").click()
    momentum = page.locator("#train-optimizer .hyper[data-hyper='momentum'] input")
    momentum.fill("0.9")
    momentum.press("Enter")
    step(page, 3)
    expect(page.locator("#train-end-note")).to_be_hidden()
    chips = page.locator("#train-compare li span:not(.swatch-run)")
    assert run_labels(page) == ["SGD lr=0.1 momentum=0.9", "SGD lr=0.1"]
    assert chips.all_text_contents() == ["SGD lr=0.1"]
    page.screenshot(path=str(artifacts / f"train-sgd-names-{lang}.png"), full_page=True)
    assert console_errors == []


@pytest.mark.parametrize("lang", LANGS)
def test_an_embed_link_with_training_state_shows_the_trained_values(
    page: Page, console_errors: list[str], artifacts: Path, lang: str
) -> None:
    open_app(page, f"/?lang={lang}")
    page.locator("#train-params input[value='w']").check()
    page.locator("#train-params input[value='b']").check()
    step(page, 3)
    app_loss = page.locator("#svg-forward g.node[data-label='loss'] text.main").text_content() or ""
    app_w = page.locator("#svg-forward g.node[data-label='w'] text.main").text_content() or ""
    assert float(app_loss) < 3  # trained: not the start's loss
    embed = page.evaluate(
        """async () => {
            const share = await import('/static/js/share.js');
            return new URL(share.embedUrl(window.chainrule.store.get())).pathname
                + new URL(share.embedUrl(window.chainrule.store.get())).search;
        }"""
    )
    page.goto(embed)
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15_000)
    loss = page.locator("#svg-forward g.node[data-label='loss'] text.main")
    expect(loss).to_have_text(app_loss, timeout=15_000)
    expect(page.locator("#svg-forward g.node[data-label='w'] text.main")).to_have_text(app_w)
    page.screenshot(path=str(artifacts / f"embed-trained-{lang}.png"), full_page=True)
    assert console_errors == []
