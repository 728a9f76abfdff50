"""Edge labels (the local gradients of the backward graph) sit beside their edges, clear of every
node box (and so of the node's label) and of each other, in every layout the views use: bottom
to top in the app's tall panel and on a phone, left to right in a wide embed (a lesson's view)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Page

from tests.e2e.helpers import open_with, wait_ready

WORKED = ("y = w*x + b\nloss = abs(y_true - y)", {"x": 2, "y_true": 4, "w": 3, "b": 1})

#: Every node box and every edge label of the backward graph, in screen pixels.
BOXES_JS = """() => {
  const rect = (r) => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom});
  const svg = document.getElementById('svg-backward');
  return {
    nodes: [...svg.querySelectorAll('g.node')].map((g) => ({
      label: g.dataset.label, box: rect(g.querySelector('rect.box').getBoundingClientRect()),
      text: rect(g.querySelector('text.label').getBoundingClientRect())})),
    labels: [...svg.querySelectorAll('text.edge-label')].map((t) => ({
      text: t.firstChild.textContent, box: rect(t.getBoundingClientRect())})),
  };
}"""


def tensor_example(page: Page) -> tuple[str, dict[str, Any]]:
    """The built-in two-layer network with a cross-entropy loss: tensors, formula labels."""
    examples = page.request.get("/api/examples").json()
    ex = next(ex for ex in examples if "cross_entropy" in ex["expression"] and "W2" in ex["expression"])
    return ex["expression"], ex["values"]


def overlap(a: dict[str, float], b: dict[str, float]) -> float:
    """The area two boxes share (0 when they only touch)."""
    w = min(a["right"], b["right"]) - max(a["left"], b["left"])
    h = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return w * h if w > 0 and h > 0 else 0.0


def collisions(page: Page) -> list[str]:
    drawn = page.evaluate(BOXES_JS)
    assert drawn["labels"], "no edge labels drawn"
    found = []
    for lab in drawn["labels"]:
        for node in drawn["nodes"]:
            if overlap(lab["box"], node["box"]) > 0 or overlap(lab["box"], node["text"]) > 0:
                found.append(f"edge label {lab['text']!r} on node {node['label']!r}")
    labels = drawn["labels"]
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            if overlap(a["box"], b["box"]) > 0:
                found.append(f"edge label {a['text']!r} on edge label {b['text']!r}")
    return found


@pytest.mark.parametrize("size", [(1366, 768), (390, 844)], ids=["laptop", "phone"])
def test_edge_labels_keep_clear_of_nodes_and_each_other_in_the_app(
    page: Page, console_errors: list[str], artifacts: Path, size: tuple[int, int]
) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    found = []
    for name, (expression, values) in {"worked": WORKED, "tensor": tensor_example(page)}.items():
        open_with(page, expression, values, view="backward", lang="en")
        found += [f"{name}: {c}" for c in collisions(page)]
        page.locator("#svg-backward").screenshot(path=str(artifacts / f"edge-labels-{name}-{size[0]}.png"))
    assert found == []
    assert console_errors == []


def test_edge_labels_keep_clear_in_a_wide_embed(page: Page, console_errors: list[str], artifacts: Path) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    found = []
    for name, (expression, values) in {"worked": WORKED, "tensor": tensor_example(page)}.items():
        texts = {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
        page.goto(f"/embed?panels=backward&lang=en&e={quote(expression)}&v={quote(json.dumps(texts))}")
        wait_ready(page)
        assert page.evaluate("window.chainrule.layout.direction") == "LR"
        found += [f"{name}: {c}" for c in collisions(page)]
        page.screenshot(path=str(artifacts / f"edge-labels-embed-{name}.png"))
    assert found == []
    assert console_errors == []
