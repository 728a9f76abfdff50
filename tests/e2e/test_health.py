"""Gradient health and the classic mistakes in the real page (headless Chromium): badges,
the Health list, edge shading, Play stopping on a new flag, the Common mistakes switch."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.helpers import open_app, reanalysed

EXAMPLE_TITLE = {
    "sigmoid-chain": "Vanishing gradient: a 10-layer sigmoid chain",
    "large-lr-exploding": "A learning rate too large for the curvature: exploding gradients",
    "large-lr-nan": "Learning rate 10: NaN from log(softmax(...))",
}


def load_example(page: Page, title: str) -> None:
    with reanalysed(page):
        page.locator("#examples").select_option(label=title)


def node(page: Page, view: str, label: str):
    return page.locator(f"#svg-{view} g.node[data-label='{label}']")


def test_sigmoid_chain_shows_the_vanishing_flag(page: Page, console_errors: list[str], artifacts: Path) -> None:
    open_app(page)
    expect(page.locator("#health-none")).to_be_visible()  # the worked example is healthy
    load_example(page, EXAMPLE_TITLE["sigmoid-chain"])
    badge = node(page, "forward", "x").locator("g.health-badge")
    expect(badge).to_have_count(1)
    expect(badge).to_have_attribute("data-kinds", "vanishing")
    expect(badge.locator("text")).to_have_text("⇣")  # an icon, not colour alone
    expect(node(page, "backward", "x").locator("g.health-badge")).to_have_count(1)
    assert page.locator("#svg-forward g.health-badge").count() == 1  # nothing else is flagged
    items = page.locator("#health-list li")
    expect(items).to_have_count(1)
    expect(items.first).to_have_attribute("data-kind", "vanishing")
    expect(items.first).to_contain_text("x")
    # the list jumps to the node: its details carry the message
    items.first.locator("button").click()
    expect(page.locator("#inspector")).to_be_visible()
    expect(page.locator("#inspector-body .health-detail")).to_have_count(2)
    expect(page.locator("#inspector-body dd.health-detail")).to_contain_text("vanished")
    expect(node(page, "forward", "x")).to_have_class(re.compile(r"\bpointed\b"))
    # shade the backward graph by the gradient each edge passes on: the fade towards x shows
    page.locator("#shade-edges").select_option("grad")
    opacity = page.evaluate("""() => {
        const out = {};
        for (const p of document.querySelectorAll('#svg-backward path.edge')) {
            const d = p.__data__;
            out[`${d.edge.source}>${d.edge.target}`] = Number(p.style.strokeOpacity);
        }
        return out;
    }""")
    model = page.evaluate("() => Object.fromEntries([...window.chainrule.model.nodes.values()].map(n => [n.label, n.id]))")
    first = opacity[f"{model['x']}>{model['h1']}"]
    last = opacity[f"{model['h9']}>{model['h10']}"]
    assert 0 < first < 0.5 < last, (first, last)
    page.screenshot(path=str(artifacts / "health-sigmoid-chain.png"), full_page=True)
    page.locator("#inspector .inspector-close").click()
    page.locator("#btn-fit").click()
    page.locator("#panel-backward").screenshot(path=str(artifacts / "health-sigmoid-chain-shaded.png"))
    # the messages follow the page's language
    page.locator("#lang").select_option("vi")
    expect(page.locator("#health-list li").first).to_contain_text("triệt tiêu")
    assert console_errors == []


def choose_training_example(page: Page, title: str, expression_start: str) -> None:
    """Load a training example: the panel trains it at once (never dropping that first run)
    and stands at its start, step 0, with the example's graph drawn there."""
    with reanalysed(page):
        page.locator("#train-example").select_option(label=title)
    expect(page.locator("#source")).to_have_value(re.compile("^" + re.escape(expression_start)))
    expect(page.locator("#training")).to_have_attribute("data-position", "0")
    expect(page.locator("#train-runs tbody tr")).to_have_count(1)
    expect(page.locator("#health-list li")).to_have_count(0)  # healthy at the start


# Play waits for each step's graph before the next: eight steps are eight analyses. A ceiling
# for a busy machine, not a pause (the expectation returns as soon as Play has stopped).
PLAY_CEILING_MS = 90_000


def test_play_stops_on_the_first_nan_step_and_points_at_the_node(
    page: Page, console_errors: list[str], artifacts: Path
) -> None:
    open_app(page)
    choose_training_example(page, EXAMPLE_TITLE["large-lr-nan"], "logits = x @ W + b")
    page.locator("#train-play").click()
    expect(page.locator("#health-stopped")).to_be_visible(timeout=PLAY_CEILING_MS)
    expect(page.locator("#train-play")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#training")).to_have_attribute("data-position", "1")  # the first NaN step
    expect(page.locator("#health-stopped")).to_contain_text("log(t1)")
    log = node(page, "forward", "log(t1)")
    expect(log).to_have_class(re.compile(r"\bpointed\b"))
    expect(log.locator("g.health-badge")).to_have_attribute("data-kinds", "nonfinite_origin")
    expect(page.locator("#inspector")).to_have_attribute("data-id", log.get_attribute("data-id") or "")
    expect(page.locator("#inspector-body dd.health-detail")).to_contain_text("log_softmax")
    page.screenshot(path=str(artifacts / "health-nan-stops-play.png"), full_page=True)
    assert console_errors == []


def test_play_stops_mid_run_when_a_gradient_explodes(page: Page, console_errors: list[str]) -> None:
    open_app(page)
    choose_training_example(page, EXAMPLE_TITLE["large-lr-exploding"], "loss = (3*w - 300)**2")
    page.locator("#train-play").click()
    expect(page.locator("#health-stopped")).to_be_visible(timeout=PLAY_CEILING_MS)
    # the gradient passes 1e6 at step 7; the run goes on to step 8, where it diverges
    expect(page.locator("#training")).to_have_attribute("data-position", "7")
    expect(page.locator("#train-play")).to_have_attribute("aria-pressed", "false")
    expect(node(page, "forward", "w").locator("g.health-badge")).to_have_attribute("data-kinds", "exploding")
    assert console_errors == []


def test_mistakes_switch_marks_the_wrong_nodes(page: Page, console_errors: list[str], artifacts: Path) -> None:
    open_app(page)
    with reanalysed(page):
        page.locator("#mistake").select_option("overwrite")  # opens on b = x + x; c = b + b
    expect(page.locator("#mistake-card")).to_be_visible()
    expect(node(page, "backward", "x")).to_have_class(re.compile(r"\bwrong\b"))
    expect(node(page, "backward", "b")).to_have_class(re.compile(r"\bwrong\b"))
    expect(node(page, "backward", "c")).not_to_have_class(re.compile(r"\bwrong\b"))
    expect(node(page, "backward", "x").locator("text.main")).to_contain_text("1")
    expect(node(page, "backward", "x").locator("text.wrong-note")).to_contain_text("4")
    expect(page.locator("#mistake-card .mistake-line.buggy code")).to_have_text("x.grad = node.grad * local")
    expect(page.locator("#mistake-card .mistake-line.right code")).to_have_text("x.grad += node.grad * local")
    # the backward step-through at x says what the buggy pass gives beside the truth
    page.locator("#btn-backward").click()
    for _ in range(6):
        if page.locator("#explain").get_attribute("data-node") == node(page, "backward", "x").get_attribute("data-id"):
            break
        page.locator("#btn-next").click()
    expect(page.locator("#mistake-at")).to_contain_text("4")
    # the step text: the buggy line of code beside the right one, with this node's numbers
    expect(page.locator("#explain-mistake .buggy code")).to_have_text("x.grad = node.grad * local  → 1")
    expect(page.locator("#explain-mistake .right code")).to_have_text("x.grad += node.grad * local  → 4")
    page.screenshot(path=str(artifacts / "mistakes-overwrite.png"), full_page=True)
    with reanalysed(page):
        page.locator("#mistake").select_option("early_visit")
    expect(node(page, "backward", "x").locator("text.main")).to_contain_text("6")
    expect(node(page, "backward", "x")).to_have_class(re.compile(r"\bwrong\b"))
    expect(node(page, "backward", "b")).not_to_have_class(re.compile(r"\bwrong\b"))
    expect(page.locator("#mistake-card .mistake-explanation")).to_contain_text("topological")
    page.screenshot(path=str(artifacts / "mistakes-early-visit.png"), full_page=True)
    page.locator("#mistake").select_option("")
    expect(page.locator("#mistake-card")).to_be_hidden()
    expect(node(page, "backward", "x").locator("text.main")).to_contain_text("4")
    assert console_errors == []
