"""Training numbers that add up (issue 12 §4), in headless Chromium, in English and Vietnamese."""

from __future__ import annotations

import ast
import json
import math
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from chainrule.languages import LANGUAGES
from tests.e2e.helpers import open_app, wait_ready

pytestmark = pytest.mark.e2e

LANGS = list(LANGUAGES)


def step(page: Page, to: int) -> None:
    """Press Step until the panel stands at position ``to``."""
    training = page.locator("#training")
    for k in range(max(int(training.get_attribute("data-position") or "-1"), 0) + 1, to + 1):
        page.locator("#train-step").click()
        expect(training).to_have_attribute("data-position", str(k))


def graph_at(page: Page, loss: float) -> None:
    """Wait until the graph shows this loss (it is analysed again after each step)."""
    page.wait_for_function(
        """(want) => Math.abs(Number(document.querySelector("#svg-forward g.node[data-label='loss'] text.main")
                                .textContent) - want) < 1e-3""",
        arg=loss,
    )


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
    graph_at(page, loss)
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
    graph_at(page, float(page.locator("#train-runs tbody tr[data-run='0']").get_attribute("data-loss") or "nan"))
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
    wait_ready(page)
    loss = page.locator("#svg-forward g.node[data-label='loss'] text.main")
    expect(loss).to_have_text(app_loss)
    expect(page.locator("#svg-forward g.node[data-label='w'] text.main")).to_have_text(app_w)
    page.screenshot(path=str(artifacts / f"embed-trained-{lang}.png"), full_page=True)
    assert console_errors == []


SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
NUMERIC = re.compile(r"^[0-9.e−+×/()√²⁰¹²³⁴⁵⁶⁷⁸⁹, max\-]+$")


def _evaluate(text: str) -> float:
    """A numeric segment of an update line, e.g. ``2.9 − 0.1×2/(√4 + 1e−08)``, computed."""
    py = text.replace("−", "-").replace("×", "*").replace("²", "**2")
    py = re.sub(r"√\(([^()]*)\)", r"sqrt(\1)", py)
    py = re.sub(r"√([0-9.e+\-]+(?:e[+\-]?\d+)?)", r"sqrt(\1)", py)
    py = re.sub(r"([0-9.]+)([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: f"{m[1]}**{m[2].translate(SUPERSCRIPTS)}", py)
    return _compute(ast.parse(py, mode="eval").body)


OPERATIONS = {ast.Add: float.__add__, ast.Sub: float.__sub__, ast.Mult: float.__mul__,
              ast.Div: float.__truediv__, ast.Pow: float.__pow__}


def _compute(node: ast.AST) -> float:
    """Numbers, + − × / ** , unary minus, sqrt() and max(): nothing else is computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_compute(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATIONS:
        return OPERATIONS[type(node.op)](_compute(node.left), _compute(node.right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("sqrt", "max"):
        args = [_compute(a) for a in node.args]
        return math.sqrt(args[0]) if node.func.id == "sqrt" else max(args)
    raise AssertionError(f"not arithmetic: {ast.dump(node)}")


def check_by_hand(line: str) -> None:
    """Every numeric form of the line's right-hand side gives the same number (to the 4
    significant digits shown), as a student with a calculator would find."""
    segments = [seg.strip() for seg in line.split(" = ")[1:]]
    numbers = [_evaluate(seg) for seg in segments if NUMERIC.match(seg) and re.search(r"\d", seg)]
    assert len(numbers) >= 2, line
    for x in numbers[1:]:
        assert x == pytest.approx(numbers[0], rel=2e-3, abs=1e-9), (line, numbers)


@pytest.mark.parametrize("lang", LANGS)
def test_every_optimizers_arithmetic_checks_by_hand(page: Page, console_errors: list[str], artifacts: Path,
                                                    lang: str) -> None:
    meta = page.request.get("/api/meta").json()
    open_app(page, f"/?lang={lang}")
    page.locator("#train-params input[value='w']").check()
    page.locator("#train-params input[value='b']").check()
    for spec in meta["optimizers"]:
        page.locator("#train-optimizer select.opt-name").select_option(spec["name"])  # torch's defaults
        expect(page.locator("#training")).to_have_attribute("data-position", "-1")
        step(page, 2)
        lines = page.locator("#train-update code.update-line").all_text_contents()
        assert lines, spec["name"]
        for line in lines:
            check_by_hand(line)
        if spec["name"] in ("adam", "adamw"):
            text = "\n".join(lines)
            assert "m̂ ← m/(1−β₁ᵗ) = " in text and "v̂ ← v/(1−β₂ᵗ) = " in text
            assert "(1 − 0.9³)" in text and "(1 − 0.999³)" in text  # the next update, the third
            page.screenshot(path=str(artifacts / f"train-{spec['name']}-arithmetic-{lang}.png"), full_page=True)
    assert console_errors == []


@pytest.mark.parametrize("lang", LANGS)
def test_loss_curve_ticks_are_distinct_and_the_axis_can_start_at_zero(
    page: Page, console_errors: list[str], artifacts: Path, lang: str
) -> None:
    open_app(page, f"/?lang={lang}")
    page.locator("#train-params input[value='w']").check()
    page.locator("#train-params input[value='b']").check()
    page.locator("#train-optimizer select.opt-name").select_option("adam")  # lr 0.001: 3 -> 2.99
    step(page, 10)
    chart = page.locator("#train-loss-chart")
    ticks = chart.locator(".axis.y .tick text").all_text_contents()
    assert len(ticks) >= 3 and len(set(ticks)) == len(ticks), ticks
    assert all(float(v.replace("−", "-")) < 3.01 for v in ticks)
    steps = chart.locator(".axis.x .tick text").all_text_contents()
    assert len(set(steps)) == len(steps) and all(s.isdigit() for s in steps), steps
    # readable on screen: the rendered size (the drawing's scale times the text's font size)
    sizes = chart.locator(".axis.y .tick text").evaluate_all(
        "ts => ts.map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)")
    assert sizes and min(sizes) >= 11, sizes
    page.screenshot(path=str(artifacts / f"train-loss-ticks-{lang}.png"), full_page=True)

    # the zero-based view: 3 -> 2.99 is a small change, seen from 0
    page.locator("#train-zero").check()
    low, high = json.loads(chart.get_attribute("data-domain") or "[]")
    assert low == 0 and high >= 3
    ticks = chart.locator(".axis.y .tick text").all_text_contents()
    assert ticks[0] == "0" and len(set(ticks)) == len(ticks)
    page.locator("#train-log").check()  # a log axis cannot start at 0: it ignores the option
    assert json.loads(chart.get_attribute("data-domain") or "[]")[0] > 0
    page.locator("#train-log").uncheck()
    chart.screenshot(path=str(artifacts / f"train-loss-zero-{lang}.png"))
    assert console_errors == []


def _number(text: str) -> float:
    return float(text.replace("−", "-").replace("(", "").replace(")", ""))


@pytest.mark.parametrize("lang", LANGS)
def test_mini_batch_update_table_and_graph_are_the_same_batch(
    page: Page, console_errors: list[str], artifacts: Path, lang: str
) -> None:
    open_app(page, f"/?lang={lang}")
    title = {"en": "Linear regression on the linear dataset", "vi": "Hồi quy tuyến tính trên tập dữ liệu linear"}
    page.locator("#train-example").select_option(label=title[lang])
    expect(page.locator("#train-data")).to_have_value("linear")
    page.locator("#train-batch").fill("4")
    page.locator("#train-batch").press("Enter")
    step(page, 2)
    box = page.locator("#train-batch-box")
    expect(box.locator("tbody tr")).to_have_count(4)
    table_loss = float(box.locator("td.mean-loss").text_content() or "nan")
    table_grads = [float(t) for t in box.locator("td.mean-grad").all_text_contents()]
    graph_at(page, table_loss)  # the graph is the batch of the table
    for name, table_grad in zip(["w", "b"], table_grads, strict=True):
        graph = page.locator(f"#svg-backward g.node[data-label='{name}'] text.main").text_content() or ""
        assert _number(graph.split("=")[-1]) == pytest.approx(table_grad, rel=2e-3)
        line = page.locator(f"#train-update code[data-param='{name}']").text_content() or ""
        # "w ← w − lr·grad = 0.3 − 0.1×(−1.2) = 0.42": the grad the update uses
        used = re.search(r"= \S+ − \S+×(\(?−?[0-9.e−]+\)?) = ", line)
        assert used, line
        assert _number(used[1]) == pytest.approx(table_grad, rel=2e-3), (line, table_grads)
    page.screenshot(path=str(artifacts / f"train-batch-same-{lang}.png"), full_page=True)
    assert console_errors == []
