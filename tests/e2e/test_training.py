"""The training panel in headless Chromium against the real API (issue 4's browser tests)."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import node_text, open_app

pytestmark = pytest.mark.e2e


def choose_example(page: Page, title: str) -> None:
    """Load a training example by its menu title; wait until its trajectory is at step 0."""
    page.locator("#train-example").select_option(label=title)
    expect(page.locator("#training")).to_have_attribute("data-state", "running", timeout=15_000)
    expect(page.locator("#training")).to_have_attribute("data-position", "0")


def run_params(page: Page, run: int) -> dict:
    row = page.locator(f"#train-runs tbody tr[data-run='{run}']")
    return json.loads(row.get_attribute("data-params") or "{}")


def test_worked_example_ten_steps(page: Page, console_errors: list[str], artifacts: Path) -> None:
    open_app(page)
    assert node_text(page, "forward", "w") == "3"
    choose_example(page, "The worked example, trained on w and b")
    expect(page.locator("#train-params input[value='w']")).to_be_checked()
    expect(page.locator("#train-params input[value='b']")).to_be_checked()
    expect(page.locator("#train-params input[value='x']")).not_to_be_checked()
    expect(page.locator("#train-formula")).to_contain_text("torch.optim.SGD")

    # the update the next Step applies, written out with the gradients the graph shows
    expect(page.locator("#train-update code[data-param='w']")).to_have_text(
        "w ← w − lr·grad = 3 − 0.1×2 = 2.8"
    )
    expect(page.locator("#train-update code[data-param='b']")).to_have_text(
        "b ← b − lr·grad = 1 − 0.1×1 = 0.9"
    )
    # the first step: the graph's w node holds the new value; the next update is shown
    page.locator("#train-step").click()
    expect(page.locator("#train-counter")).to_have_text("Step 1 of 10")
    expect(page.locator("#svg-forward g.node[data-label='w'] text.main")).to_have_text("2.8")
    expect(page.locator("#svg-forward g.node[data-label='loss'] text.main")).to_have_text("2.5")
    expect(page.locator("#train-update code[data-param='w']")).to_have_text(
        "w ← w − lr·grad = 2.8 − 0.1×2 = 2.6"
    )

    for k in range(2, 11):
        page.locator("#train-step").click()
        expect(page.locator("#train-counter")).to_have_text(f"Step {k} of 10")
    chart = page.locator("#train-loss-chart")
    expect(chart).to_have_attribute("data-points", "11")
    losses = json.loads(chart.get_attribute("data-losses") or "[]")
    assert losses[0] == pytest.approx(3.0)
    assert losses[-1] < 0.5 * losses[0]
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(losses[:6])), losses
    assert page.locator("#train-loss-chart path.loss").count() == 1
    params = run_params(page, 0)
    assert params["w"] == pytest.approx(1.8) and params["b"] == pytest.approx(0.4)
    # the graph shows the params after ten updates, with their gradients
    expect(page.locator("#svg-forward g.node[data-label='w'] text.main")).to_have_text("1.8")
    assert node_text(page, "forward", "b") == "0.4"
    # two scalar params: a contour plot with the trajectory
    expect(page.locator("#train-surface")).to_have_attribute("data-kind", "contour")
    assert page.locator("#train-surface path.contour").count() > 3
    assert page.locator("#train-surface path.track").count() == 1

    page.locator("#train-log").check()
    expect(chart).to_have_attribute("data-scale", "log")
    page.locator("#training").screenshot(path=str(artifacts / "training-worked.png"))

    # Reset: back to the start values in the graph
    page.locator("#train-reset").click()
    expect(page.locator("#svg-forward g.node[data-label='w'] text.main")).to_have_text("3")
    assert console_errors == []


def test_momentum_rolls_past_the_local_minimum(
    page: Page, console_errors: list[str], artifacts: Path
) -> None:
    open_app(page)
    choose_example(page, "A local minimum: SGD and momentum compared")
    expect(page.locator("#train-runs tbody tr")).to_have_count(2)
    expect(page.locator("#train-compare li")).to_have_count(1)
    expect(page.locator("#train-surface")).to_have_attribute("data-kind", "curve")
    assert page.locator("#train-surface circle.ball").count() == 2

    page.locator("#train-end").click()
    expect(page.locator("#train-counter")).to_have_text("Step 200 of 200")
    sgd, momentum = run_params(page, 0)["w"], run_params(page, 1)["w"]
    assert sgd == pytest.approx(1.38, abs=0.02), "plain SGD stalls in the local minimum"
    assert momentum < 0, "momentum carries w over the bump"
    # the graph shows the primary run (plain SGD)
    expect(page.locator("#svg-forward g.node[data-label='w'] text.main")).to_have_text("1.381")
    assert page.locator("#train-loss-chart path.loss").count() == 2
    # momentum's velocity in the last update's arithmetic is shown for a momentum run alone
    page.locator("#train-example").select_option(label="A local minimum: momentum 0.9 rolls past it")
    expect(page.locator("#train-runs tbody tr")).to_have_count(1)
    page.locator("#train-step").click()
    expect(page.locator("#train-update code[data-param='w']").first).to_contain_text("v ←")
    expect(page.locator("#train-formula")).to_contain_text("momentum")
    page.locator("#train-example").select_option(label="A local minimum: SGD and momentum compared")
    expect(page.locator("#train-runs tbody tr")).to_have_count(2)
    page.locator("#train-position").fill("60")
    expect(page.locator("#train-counter")).to_have_text("Step 60 of 200")
    page.locator("#training").screenshot(path=str(artifacts / "training-momentum.png"))
    assert console_errors == []


def test_mini_batch_rows_and_losses(page: Page, console_errors: list[str], artifacts: Path) -> None:
    open_app(page)
    choose_example(page, "Linear regression on the linear dataset")
    expect(page.locator("#train-data")).to_have_value("linear")
    page.locator("#train-batch").fill("4")
    page.locator("#train-batch").press("Enter")
    page.locator("#train-step").click()
    expect(page.locator("#train-counter")).to_have_text("Step 1 of 100", timeout=10_000)
    box = page.locator("#train-batch-box")
    expect(box).to_be_visible()
    rows = box.locator("tbody tr")
    expect(rows).to_have_count(4)
    losses = [float(t) for t in box.locator("td.row-loss").all_text_contents()]
    assert len(losses) == 4 and all(v >= 0 for v in losses)
    mean = float(box.locator("td.mean-loss").text_content() or "nan")
    assert mean == pytest.approx(sum(losses) / 4, rel=1e-3)
    # the graph holds the batch: x has the 4 rows of the batch
    x_node = page.locator("#svg-forward g.node[data-label='x'] text.main")
    expect(x_node).to_contain_text("[4]")
    # x and y come from the dataset, so the values panel lists only the params
    expect(page.locator("#values .value-name")).to_have_text(["w", "b"])
    page.screenshot(path=str(artifacts / "training-batch.png"), full_page=True)
    assert console_errors == []


def test_csv_data_and_vietnamese_labels(page: Page, console_errors: list[str], artifacts: Path) -> None:
    open_app(page, "/?lang=vi")
    expect(page.locator("#h-training")).to_have_text("Huấn luyện")
    expect(page.locator("#train-step")).to_have_text("Bước")
    expect(page.locator("#train-play")).to_have_text("Chạy")
    expect(page.locator("#train-reset")).to_have_text("Đặt lại")
    expect(page.locator("label[for='train-data']")).to_have_text("Dữ liệu")
    expect(page.locator("#train-optimizer label")).to_have_text("Bộ tối ưu")
    expect(page.locator("#train-optimizer .hyper-default").first).to_contain_text("mặc định của torch")

    # CSV pasted in the panel feeds x and y_true of the worked example; train w and b on it
    page.locator("#train-params input[value='w']").check()
    page.locator("#train-params input[value='b']").check()
    page.locator("#train-data").select_option("csv")
    page.locator("#train-csv").fill("x,y_true\n1,2\n2,4\n3,six")
    expect(page.locator("#train-csv-status")).to_contain_text("không phải")
    page.locator("#train-csv").fill("x,y_true\n1,2\n2,4\n3,6\n4,8")
    expect(page.locator("#train-csv-status")).to_contain_text("4 dòng")
    expect(page.locator("#train-params input[value='x']")).to_have_count(0)
    page.locator("#train-batch").fill("2")
    page.locator("#train-batch").press("Enter")
    page.locator("#train-step").click()
    expect(page.locator("#train-counter")).to_have_text("Bước 1 / 10", timeout=10_000)
    expect(page.locator("#train-batch-box tbody tr")).to_have_count(2)
    expect(page.locator("#train-batch-box h3")).to_have_text("Batch của lần cập nhật tiếp theo")
    page.locator("#training").screenshot(path=str(artifacts / "training-vi.png"))
    assert console_errors == []


def test_phone_width_dark_theme(page: Page, console_errors: list[str], artifacts: Path) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_app(page, "/?theme=dark")
    choose_example(page, "A local minimum: plain SGD stalls")
    page.locator("#train-step").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#training")).to_have_attribute("data-position", "1")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone: {width}px"
    page.locator("#training").screenshot(path=str(artifacts / "training-phone-dark.png"))
    assert console_errors == []


def test_examples_menu_follows_the_expression(page: Page, console_errors: list[str]) -> None:
    open_app(page)
    expect(page.locator("#examples")).to_have_value("0")  # the worked example
    choose_example(page, "A local minimum: plain SGD stalls")
    expect(page.locator("#source")).to_have_value("loss = w**4 - 3*w**2 + w + 2*sin(3*w)")
    # the same function is the analysis examples' "local minimum": the menu names it
    expect(page.locator("#examples option:checked")).to_have_text(re.compile("local minimum"))
    page.locator("#source").fill("y = 2*w")
    page.locator("#source").press("Control+Enter")
    expect(page.locator("#examples")).to_have_value("")
    assert console_errors == []
