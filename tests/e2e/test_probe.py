"""The nudge probe in a real browser: ΔL/ε agrees with backprop at ε = 1e-5 on a smooth graph,
the graphs show the nudged value, and relu(x) at x = 0 is flagged as a kink."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import open_with

pytestmark = pytest.mark.e2e


def open_probe(page: Page, expression: str, values: dict[str, str]) -> None:
    open_with(page, expression, values, lang="en")
    expect(page.locator("#probe-input option")).not_to_have_count(0)


def cell(page: Page, row: str) -> float:
    return float(page.locator(f"#probe-table tr[data-row='{row}'] td").text_content() or "nan")


def test_probe_slope_agrees_with_backprop_on_a_smooth_graph(page: Page, console_errors: list[str],
                                                            artifacts: Path) -> None:
    open_probe(page, "h = tanh(w*x + b)\nloss = (h - y)**2 + sin(w)", {"w": "0.7", "x": "1.5", "b": "-0.2", "y": "0.3"})
    page.locator("#probe-input").select_option("w")
    # the graphs follow the nudge live
    page.locator("#probe-eps-text").fill("0.01")
    expect(page.locator("#svg-forward g.node[data-label='w'] text.main")).to_have_text("0.71")
    page.locator("#probe-eps-text").fill("1e-5")
    expect(page.locator("#probe-table tr[data-row='x-eps'] td")).to_have_text("0.70001", timeout=10_000)
    expect(page.locator("#probe-verdict")).to_contain_text("agrees")
    truth = page.request.post("/api/graph", data={
        "expression": "h = tanh(w*x + b)\nloss = (h - y)**2 + sin(w)",
        "values": {"w": 0.7, "x": 1.5, "b": -0.2, "y": 0.3}}).json()
    assert cell(page, "grad") == pytest.approx(truth["gradients"]["w"], rel=1e-7)
    assert abs(cell(page, "slope") - cell(page, "grad")) < 1e-4
    assert cell(page, "loss") == pytest.approx(truth["value"], rel=1e-9)
    assert cell(page, "x-eps") == pytest.approx(0.70001, rel=1e-12)
    page.screenshot(path=str(artifacts / "probe-smooth.png"), full_page=True)
    page.locator("#probe-eps-text").fill("0.01")
    expect(page.locator("#svg-forward g.node[data-label='w'] text.main")).to_have_text("0.71")
    page.locator("#probe-off").click()  # undoing puts the value back
    expect(page.locator("#svg-forward g.node[data-label='w'] text.main")).to_have_text("0.7")
    expect(page.locator("#probe-table")).to_be_hidden()
    # the slider sets ε on a log scale down to 1e-6
    page.locator("#probe-eps").fill("-6")
    expect(page.locator("#probe-eps-text")).to_have_value("1e-6")
    expect(page.locator("#probe-table tr[data-row='x-eps'] td")).to_have_text("0.700001", timeout=10_000)
    expect(page.locator("#probe-verdict")).to_contain_text("agrees")
    assert abs(cell(page, "slope") - cell(page, "grad")) < 1e-4
    assert console_errors == []


def test_probe_flags_the_kink_of_relu_at_zero(page: Page, console_errors: list[str], artifacts: Path) -> None:
    open_probe(page, "y = relu(x)", {"x": "0"})
    page.locator("#probe-eps-text").fill("1e-5")
    verdict = page.locator("#probe-verdict")
    expect(verdict).to_have_attribute("data-kink", "true", timeout=10_000)
    expect(verdict).to_contain_text("A kink")
    assert cell(page, "left") == 0.0 and cell(page, "right") == pytest.approx(1.0)
    assert cell(page, "grad") == 0.0  # PyTorch's convention at 0
    page.locator("#probe-card").screenshot(path=str(artifacts / "probe-kink.png"))
    page.locator("#lang").select_option("vi")
    expect(verdict).to_contain_text("điểm gãy")
    assert console_errors == []


def test_probe_nudges_one_element_of_a_tensor_input(page: Page, console_errors: list[str]) -> None:
    expression = "h = tanh(x @ W)\nloss = sum(h * h)"
    values = {"x": "[[1.0, -0.5]]", "W": "[[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]]"}
    open_probe(page, expression, values)
    page.locator("#probe-input").select_option("W[1,2]")
    page.locator("#probe-eps-text").fill("1e-5")
    expect(page.locator("#probe-table tr[data-row='x-eps'] td")).to_have_text("0.60001", timeout=10_000)
    truth = page.request.post("/api/graph", data={"expression": expression,
                                                  "values": {k: json.loads(v) for k, v in values.items()}}).json()
    assert cell(page, "grad") == pytest.approx(truth["gradients"]["W"][1][2], rel=1e-7)
    assert abs(cell(page, "slope") - cell(page, "grad")) < 1e-4
    expect(page.locator("#probe-verdict")).to_contain_text("agrees")
    assert console_errors == []
