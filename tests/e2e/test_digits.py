"""The chapter's network on digits in the training panel: run to the end, read the test
accuracy and the held-out digits with their predictions, in English and Vietnamese."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import open_app, untranslated_keys

pytestmark = pytest.mark.e2e

TITLES = {"en": "The chapter's 2-layer network on handwritten digits",
          "vi": "Mạng neuron 2 lớp của chương trên chữ số viết tay"}
ACCURACY = {"en": "Test accuracy: ", "vi": "Độ chính xác trên tập kiểm tra: "}


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_digits_network_reaches_90_percent_on_screen(page: Page, console_errors: list[str],
                                                     artifacts: Path, lang: str) -> None:
    open_app(page, f"/?lang={lang}")
    page.locator("#train-example").select_option(label=TITLES[lang])
    training = page.locator("#training")
    # the params are ticked once the graph has analysed the example's expression
    expect(page.locator("#train-params input[value='W1']")).to_be_checked(timeout=60_000)
    page.locator("#train-step").click()
    expect(training).to_have_attribute("data-state", "running", timeout=60_000)
    held = page.locator("#train-held-out")
    expect(held).to_be_visible()
    expect(held.locator(".digit")).to_have_count(0)  # before the end: no accuracy yet
    page.locator("#train-end").click()
    expect(training).to_have_attribute("data-state", "end", timeout=30_000)
    accuracy = held.locator(".held-out-accuracy")
    expect(accuracy).to_contain_text(ACCURACY[lang])
    shown = float(accuracy.inner_text().split(": ")[1].split("%")[0])
    assert shown >= 90.0
    assert float(accuracy.get_attribute("data-accuracy") or 0) == pytest.approx(shown / 100, abs=5e-4)
    digits = held.locator("li.digit")
    expect(digits).to_have_count(12)
    first = digits.nth(0)
    assert first.locator("rect").count() == 64
    predicted, label = first.get_attribute("data-predicted"), first.get_attribute("data-label")
    expect(first.locator(".digit-predicted")).to_contain_text(str(predicted))
    expect(first.locator(".digit-label")).to_contain_text(str(label))
    right = held.locator("li.digit.right").count()
    assert right >= 9  # 12 digits at >= 90%: most are right, and each says so
    assert untranslated_keys(page) == []
    held.scroll_into_view_if_needed()
    held.screenshot(path=str(artifacts / f"digits-held-out-{lang}.png"))
    assert console_errors == []
