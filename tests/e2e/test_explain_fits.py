"""A step's formula stays inside the explain box, wrapped or scaled, never cut: every step of an
embedding (the widest backward formula: a scatter-add over rows) and of the worked example, on
a laptop and a phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.helpers import open_with

WORKED = ("y = w*x + b\nloss = abs(y_true - y)", {"x": 2, "y_true": 4, "w": 3, "b": 1})

#: How far the formula reaches past its box: the drawn pieces' right edge against the box's
#: inner right edge, and anything only a sideways scroll would show.
OVERFLOW_JS = """() => {
  const math = document.getElementById('explain-math');
  const box = math.getBoundingClientRect();
  const style = getComputedStyle(math);
  const inner = box.right - parseFloat(style.paddingRight);
  const pieces = [...math.querySelectorAll('.katex-html, .katex-html .base')];
  const right = Math.max(box.left, ...pieces.map((p) => p.getBoundingClientRect().right));
  const outer = document.getElementById('explain').getBoundingClientRect();
  return {past: Math.max(right - inner, math.scrollWidth - math.clientWidth),
          outside: Math.max(0, box.right - outer.right, outer.left - box.left),
          pieces: pieces.length, font: getComputedStyle(math).fontSize};
}"""


def embedding_example(page: Page) -> tuple[str, dict]:
    examples = page.request.get("/api/examples").json()
    ex = next(ex for ex in examples if "embedding(" in ex["expression"])
    return ex["expression"], ex["values"]


@pytest.mark.parametrize("size", [(1366, 768), (390, 844)], ids=["laptop", "phone"])
def test_every_backward_formula_fits_its_box(page: Page, console_errors: list[str], artifacts: Path,
                                             size: tuple[int, int]) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    failures = []
    for name, (expression, values) in {"embedding": embedding_example(page), "worked": WORKED}.items():
        open_with(page, expression, values, lang="en", mode="backward", step="0")
        page.evaluate("document.fonts.ready")
        k = 0
        while True:
            page.locator("#explain").scroll_into_view_if_needed()
            m = page.evaluate(OVERFLOW_JS)
            assert m["pieces"] > 0, f"{name} step {k}: no formula drawn"
            if m["past"] > 1 or m["outside"] > 1:
                failures.append(f"{name} step {k}: {m}")
                page.locator("#explain").screenshot(path=str(artifacts / f"explain-cut-{name}-{size[0]}-{k}.png"))
            if name == "embedding" and k == 0:
                page.locator("#explain").screenshot(path=str(artifacts / f"explain-embedding-{size[0]}.png"))
            before = page.evaluate("window.chainrule.stepper.get().step")
            page.evaluate("window.chainrule.stepper.next()")
            if page.evaluate("window.chainrule.stepper.get().step") == before:
                break
            k += 1
        assert k > 2, f"{name}: stepped through {k} steps only"
    assert failures == [], "\n".join(failures)
    assert console_errors == []
