"""Issue 12 §1 and §2 in headless Chromium: backward steps that show where their numbers come
from, and a picture of a DAG whose edges add up to the text (parallel edges drawn apart)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import api_analysis, open_with, step_texts, wait_ready

pytestmark = pytest.mark.e2e


def label_of(data: dict, node_id: str) -> str:
    return next(n["label"] for n in data["nodes"] if n["id"] == node_id)


WORKED = "y = w*x + b\nloss = abs(y_true - y)"
WORKED_VALUES = {"x": 2, "y_true": 4, "w": 3, "b": 1}


def test_worked_example_steps_show_local_formula_value_and_product(
    page: Page, console_errors: list[str], artifacts: Path
) -> None:
    open_with(page, WORKED, WORKED_VALUES)
    data = api_analysis(page, WORKED, WORKED_VALUES)
    texts = step_texts(page, "#btn-backward")
    by_label = {label_of(data, k): v for k, v in texts.items()}
    everything = "\n".join(texts.values())
    assert "sign" in everything and "x = 2" in everything
    # upstream, the local derivative as a formula then its value, and the product
    assert "∂(w * x)/∂w = x = 2" in by_label["w"]
    assert "∂loss/∂w = ∂loss/∂(w * x) · ∂(w * x)/∂w = 1 · x = 1 · 2 = 2" in by_label["w"]
    assert "∂abs(y_true - y)/∂(y_true - y) = sign(y_true - y) = sign(-3) = -1" in by_label["y_true - y"]
    # never circular, the output always named by its own name, no raw footnotes
    assert "∂loss/∂(y_true - y) · ∂loss/∂(y_true - y)" not in everything
    assert "(1)" not in everything and "∂L/" not in everything
    # typeset too: KaTeX draws the sign and the local derivative
    page.locator("#btn-backward").click()
    page.keyboard.press("ArrowRight")
    katex = page.locator("#explain-math .katex-mathml annotation").text_content() or ""
    assert "sign(-3)" in katex
    page.screenshot(path=str(artifacts / "explain-sign-step.png"), clip={"x": 0, "y": 0, "width": 1500, "height": 420})
    # the optional path product from the loss, as the course writes it
    w_id = next(n["id"] for n in data["nodes"] if n["label"] == "w")
    while page.locator("#explain").get_attribute("data-node") != w_id:
        page.keyboard.press("ArrowRight")
    assert "grad(loss, w)" not in (page.locator("#explain-text code").text_content() or "")
    page.locator("#explain-path").check()
    expect(page.locator("#explain-text code")).to_contain_text("grad(loss, w) = (-1) × (-1) × 1 × 2 = 2")
    page.screenshot(path=str(artifacts / "explain-w-step-path.png"), clip={"x": 0, "y": 0, "width": 1500, "height": 420})
    assert console_errors == []


def test_shared_node_lists_every_contribution_and_the_sum(page: Page, console_errors: list[str]) -> None:
    open_with(page, "y = x*x + x", {"x": 2})
    data = api_analysis(page, "y = x*x + x", {"x": 2})
    by_label = {label_of(data, k): v for k, v in step_texts(page, "#btn-backward").items()}
    x = by_label["x"]
    assert x.count("∂(x * x)/∂x = x = 2") == 2
    assert "1 · x + 1 · x + 1 · 1 = 1 · 2 + 1 · 2 + 1 · 1 = 2 + 2 + 1 = 5" in x
    assert console_errors == []


def test_tensor_steps_show_shapes_order_broadcast_and_no_label_gradient(
    page: Page, console_errors: list[str], artifacts: Path
) -> None:
    page.goto("/")
    wait_ready(page)
    examples = page.request.get("/api/examples").json()
    mlp = next(i for i, ex in enumerate(examples) if "cross_entropy" in ex["expression"])
    page.locator("#examples").select_option(str(mlp))
    expect(page.locator("#svg-forward g.node[data-label='logits']")).to_have_count(1)
    ex = examples[mlp]
    data = api_analysis(page, ex["expression"], ex["values"])
    texts = step_texts(page, "#btn-backward")
    by_label = {label_of(data, k): v for k, v in texts.items()}
    # integer class labels get no gradient: the backward pass does not step through them
    assert "labels" not in by_label
    # Wᵀ products in the order they are taken, with shapes beside every factor
    assert "∂loss/∂W1 [3×5] = xᵀ [3×4] · ∂loss/∂(x @ W1) [4×5]" in by_label["W1"]
    assert "∂loss/∂h [4×5] = ∂loss/∂(h @ W2) [4×2] · W2ᵀ [2×5]" in by_label["h"]
    # a broadcast bias add is summed over the batch axis, with no Jacobian talk
    b1 = next(n["id"] for n in data["nodes"] if n["label"] == "b1")
    page.locator("#btn-backward").click()
    while page.locator("#explain").get_attribute("data-node") != b1:
        page.keyboard.press("ArrowRight")
    sentence = page.locator("#explain-text .sentence").text_content() or ""
    assert "summed over the batch axis" in sentence and "Jacobian" not in sentence
    assert "Σ_batch" in (page.locator("#explain-text code").text_content() or "")
    page.screenshot(path=str(artifacts / "explain-bias-step.png"), clip={"x": 0, "y": 0, "width": 1500, "height": 420})
    assert console_errors == []


def test_parallel_edges_are_drawn_apart_each_with_its_label(
    page: Page, console_errors: list[str], artifacts: Path
) -> None:
    expression, values = "y = x*x + x", {"x": 2}
    open_with(page, expression, values)
    data = api_analysis(page, expression, values)
    assert sorted(e["local"] for e in data["edges"]) == [1, 1, 2, 2]
    # the SVG views: two distinct paths from x into x*x, each labelled 2 (backward)
    paths = page.eval_on_selector_all("#svg-backward path.edge", "els => els.map(e => e.getAttribute('d'))")
    assert len(paths) == 4 and len(set(paths)) == 4
    labels = page.eval_on_selector_all(
        "#svg-backward text.edge-label",
        "els => els.map(e => ({t: e.firstChild.textContent, x: +e.getAttribute('x'), y: +e.getAttribute('y')}))",
    )
    twos = [lab for lab in labels if lab["t"] == "2"]
    assert len(twos) == 2
    assert abs(twos[0]["y"] - twos[1]["y"]) + abs(twos[0]["x"] - twos[1]["x"]) >= 14
    page.locator("#svg-backward").screenshot(path=str(artifacts / "parallel-edges-svg.png"))

    # the client-side SVG export of the backward graph carries the two paths and labels
    exported = page.evaluate(
        """async () => {
          const {graphImage} = await import('/static/js/export.js');
          const c = window.chainrule;
          return await (await graphImage({model: c.model, vis: c.vis, layout: c.layout}, 'backward', 'svg')).text();
        }"""
    )
    exported_paths = [p for p in re.findall(r'<path[^>]* d="(M[^"]+)"', exported) if "C" in p]
    assert len(exported_paths) == 4 and len(set(exported_paths)) == 4, exported_paths

    # server exports: SVG and PNG pictures bend the pair apart; DOT keeps two labelled edges
    body = {"expression": expression, "values": values, "direction": "backward"}
    svg = page.request.post("/api/export/svg", data=body)
    assert svg.ok, svg.text()
    d = re.findall(r'<path d="(M[^"]+)" fill="none"', svg.text())
    assert len(d) == 4 and len(set(d)) == 4
    dot = page.request.post("/api/export/dot", data=body)
    assert dot.ok, dot.text()
    assert len(re.findall(r'label="2"', dot.text())) == 2
    # the embed draws the pair apart too
    page.goto(f"/embed?panels=backward&e={quote(expression)}&v={quote(json.dumps({'x': '2'}))}")
    expect(page.locator("#svg-backward text.edge-label")).to_have_count(4)
    embedded = page.eval_on_selector_all("#svg-backward path.edge", "els => els.map(e => e.getAttribute('d'))")
    assert len(embedded) == 4 and len(set(embedded)) == 4
    page.locator("#svg-backward").screenshot(path=str(artifacts / "parallel-edges-embed.png"))
    png = page.request.post("/api/export/png", data=body)
    assert png.ok and png.body()[:8] == b"\x89PNG\r\n\x1a\n"
    (artifacts / "parallel-edges-server.png").write_bytes(png.body())
    assert console_errors == []


def test_big_parallel_edges_on_canvas_are_apart(page: Page, console_errors: list[str], artifacts: Path) -> None:
    # past the SVG limit the canvas draws: every s*s pair must still be two curves there
    lines = ["s0 = x*x + x"] + [f"s{i} = tanh(s{i - 1} * s{i - 1} + s{i - 1})" for i in range(1, 150)]
    open_with(page, "\n".join(lines), {"x": 0.3})
    page.locator("#btn-expand-all").click()
    expect(page.locator("#svg-backward")).to_have_class(re.compile(r"\bbig\b"))
    exported = page.evaluate(
        """async () => {
          const {graphImage} = await import('/static/js/export.js');
          const c = window.chainrule;
          return await (await graphImage({model: c.model, vis: c.vis, layout: c.layout}, 'backward', 'svg')).text();
        }"""
    )
    paths = re.findall(r'<path d="(M[^"]+)"', exported)
    assert len(paths) == page.evaluate("window.chainrule.vis.edges.length")
    assert len(set(paths)) == len(paths)
    page.locator("#svg-backward").screenshot(path=str(artifacts / "parallel-edges-canvas.png"))
    assert console_errors == []
