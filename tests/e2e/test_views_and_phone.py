"""Issue 12 §2 (the rest) and §5 in headless Chromium: graphs that do not jump, pan only when
they must, open readable; a phone layout with a sticky step bar; a bounded editor; constants
skipped by the backward pass; one tab stop per graph with arrow keys between nodes."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import open_app, open_with, wait_until_still

pytestmark = pytest.mark.e2e

WORKED = "y = w*x + b\nloss = abs(y_true - y)"


def chain(n: int) -> str:
    return "\n".join(["s0 = x"] + [f"s{i} = tanh(s{i - 1} * w + {i % 7 + 1})" for i in range(1, n)])


def test_graphs_hold_still_and_show_no_locals_during_the_forward_pass(
    page: Page, console_errors: list[str], artifacts: Path
) -> None:
    open_app(page)
    top = page.locator("#graphs").bounding_box()["y"]
    page.locator("#btn-forward").click()
    # during the forward pass no local gradient sits on the backward graph
    for _ in range(4):
        assert page.locator("#svg-backward text.edge-label").count() == 0
        assert page.locator("#graphs").bounding_box()["y"] == top
        page.keyboard.press("ArrowRight")
    page.screenshot(path=str(artifacts / "forward-pass-no-locals.png"), clip={"x": 0, "y": 0, "width": 1500, "height": 1000})
    page.locator("#btn-backward").click()
    expect(page.locator("#svg-backward text.edge-label")).to_have_count(7)
    for _ in range(8):
        assert page.locator("#graphs").bounding_box()["y"] == top
        page.keyboard.press("ArrowRight")
    assert console_errors == []


PAN_PROBE = """(nextId) => {
  const c = window.chainrule;
  const svg = document.getElementById('svg-forward');
  const t = svg.__zoom;
  const i = c.vis.nodes.findIndex((vn) => vn.id === (c.vis.owner.get(nextId) ?? nextId));
  const x = c.layout.x[i], y = c.layout.y[i], w = 148, h = 50;
  const x0 = t.applyX(x - w / 2), x1 = t.applyX(x + w / 2), y0 = t.applyY(y - h / 2), y1 = t.applyY(y + h / 2);
  return {k: t.k, x: t.x, y: t.y,
          visible: x0 >= 0 && y0 >= 0 && x1 <= svg.clientWidth && y1 <= svg.clientHeight};
}"""


def test_auto_pan_only_when_the_current_node_is_off_screen(page: Page, console_errors: list[str]) -> None:
    open_with(page, chain(40), {"x": 0.5, "w": 0.8})
    page.locator("#btn-expand-all").click()
    expect(page.locator("#svg-forward g.node")).to_have_count(page.evaluate("window.chainrule.model.nodes.size"))
    order = page.evaluate("window.chainrule.model.order")
    page.locator("#btn-forward").click()
    moved = stayed = 0
    for k in range(1, 90):
        before = page.evaluate(PAN_PROBE, order[k])
        page.keyboard.press("ArrowRight")
        after = page.evaluate(PAN_PROBE, order[k])
        if before["visible"]:
            assert (after["x"], after["y"]) == (before["x"], before["y"]), f"step {k} panned a visible node"
            stayed += 1
        else:
            assert after["visible"], f"step {k}: the current node is still off-screen"
            moved += 1
    assert moved >= 1 and stayed >= 10
    assert console_errors == []


def test_tensor_graph_opens_readable_and_fitted(page: Page, console_errors: list[str], artifacts: Path) -> None:
    open_app(page)
    examples = page.request.get("/api/examples").json()
    mlp = next(i for i, ex in enumerate(examples) if "cross_entropy" in ex["expression"])
    page.locator("#examples").select_option(str(mlp))
    expect(page.locator("#svg-forward g.node[data-label='logits']")).to_have_count(1)
    wait_until_still(page, "#svg-forward g.viewport")  # fitted to the new graph
    k = page.evaluate("document.getElementById('svg-forward').__zoom.k")
    label_px = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#svg-forward text.label')).fontSize)")
    assert label_px * k >= 11, (label_px, k)
    # fitted to the panel: not a small island in the middle of it
    panel = page.locator("#svg-forward").bounding_box()
    drawn = page.locator("#svg-forward g.viewport").bounding_box()
    assert drawn["width"] >= 0.6 * panel["width"] or drawn["height"] >= 0.6 * panel["height"]
    page.locator("#svg-forward").screenshot(path=str(artifacts / "tensor-graph-initial.png"))
    assert console_errors == []


def test_phone_sticky_step_bar_bounded_editor_and_skipped_constants(
    browser: Browser, base_url: str, artifacts: Path
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=base_url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_with(page, "y = 2*x + 3\nloss = y * y", {"x": 1.5})
    page.locator("#btn-backward").click()
    page.locator("#svg-backward").scroll_into_view_if_needed()
    page.evaluate("document.getElementById('svg-backward').scrollIntoView({block: 'end'})")
    # and on to the zoom buttons under the graph: the step bar stays on screen
    page.evaluate("window.scrollBy(0, 150)")
    bar = page.locator("#btn-next").bounding_box()
    explain = page.locator("#explain").bounding_box()
    graph = page.locator("#svg-backward").bounding_box()
    assert bar["y"] >= 0 and bar["y"] + bar["height"] <= 844, bar
    assert explain["y"] >= 0 and explain["y"] + 40 <= 844
    visible_graph = min(844, graph["y"] + graph["height"]) - max(explain["y"] + explain["height"], graph["y"])
    assert visible_graph >= 250, visible_graph
    # typeset formulas scroll sideways within their box instead of being cut off
    assert page.evaluate("getComputedStyle(document.getElementById('explain-math')).overflowX") in ("auto", "scroll")
    page.screenshot(path=str(artifacts / "phone-sticky-steps.png"))
    # the backward pass skips the constants 2 and 3 (they get no gradient)
    data = page.request.post("/api/graph", data={"expression": "y = 2*x + 3\nloss = y * y", "values": {"x": 1.5}}).json()
    consts = {n["id"] for n in data["nodes"] if n["op"] == "const"}
    assert len(consts) == 2
    page.locator("#btn-backward").click()
    seen = []
    for _ in range(len(data["backward_order"])):
        seen.append(page.locator("#explain").get_attribute("data-node"))
        page.locator("#btn-next").click()
    assert not consts & set(seen)
    assert set(seen) == {n["id"] for n in data["nodes"]} - consts
    # a 500-statement program scrolls inside a bounded editor
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#source").fill("\n".join(f"s{i} = x * {i}" for i in range(500)))
    assert page.locator("#editor").bounding_box()["height"] <= 420
    assert errors == []
    context.close()


def test_one_tab_stop_per_graph_and_arrow_keys_between_nodes(page: Page, console_errors: list[str]) -> None:
    open_with(page, chain(100), {"x": 0.5, "w": 0.8})
    page.locator("#btn-expand-all").click()
    n = page.evaluate("window.chainrule.model.nodes.size")
    assert 350 <= n <= 400
    expect(page.locator("#svg-forward g.node")).to_have_count(n)
    assert page.locator("#svg-forward g.node[tabindex='0']").count() == 1
    assert page.locator("#svg-backward g.node[tabindex='0']").count() == 1
    stop = page.locator("#svg-forward g.node[tabindex='0']")
    stop.focus()
    first = page.evaluate("document.activeElement.dataset.id")
    # along the edges, toward the inputs (← or ↓ as the graph is drawn; test_a11y_keyboard.py)
    vertical = page.evaluate("window.chainrule.layout.direction") == "BT"
    page.keyboard.press("ArrowDown" if vertical else "ArrowLeft")
    second = page.evaluate("document.activeElement.dataset.id")
    assert second != first and page.evaluate("document.activeElement.closest('#svg-forward') !== null")
    assert page.locator("#svg-forward g.node[tabindex='0']").get_attribute("data-id") == second
    assert page.locator("#explain").get_attribute("data-mode") == "none"  # the arrows did not step
    page.keyboard.press("Home")
    assert page.evaluate("document.activeElement.dataset.id") == page.evaluate("window.chainrule.vis.outputId")
    assert console_errors == []
