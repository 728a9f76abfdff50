"""What browser tests do again and again: open the app and wait until it has drawn, and wait
for the page to settle on a condition rather than for a fixed time."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urlencode

from playwright.sync_api import Frame, FrameLocator, Page, expect

#: How long the first analysis of a page may take on a loaded machine (milliseconds).
READY_TIMEOUT = 15_000


def wait_ready(where: Page | Frame | FrameLocator, timeout: float = READY_TIMEOUT) -> None:
    """Wait until the app (or an embed, a lesson's view) in ``where`` has drawn its first analysis:
    main.js marks ``<body data-ready="true">``."""
    expect(where.locator("body")).to_have_attribute("data-ready", "true", timeout=timeout)


def open_app(page: Page, path: str = "/", timeout: float = READY_TIMEOUT) -> None:
    """Open ``path`` (the app by default, or a link such as ``/?e=...``) and wait until it is ready."""
    page.goto(path)
    wait_ready(page, timeout)


def app_link(expression: str, values: Mapping[str, Any], **query: str) -> str:
    """The app's link to ``expression`` at ``values`` (a value's text as typed: a string as it
    is, anything else as JSON), plus other link fields (``lang="vi"``, ``mode="backward"``)."""
    texts = {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
    return "/?" + urlencode({"e": expression, "v": json.dumps(texts), **query}, quote_via=quote)


def open_with(page: Page, expression: str, values: Mapping[str, Any], **query: str) -> None:
    """Open the app on ``expression`` at ``values`` and wait until it has drawn them."""
    open_app(page, app_link(expression, values, **query))


def node_text(page: Page, view: str, label: str) -> str:
    """The main text (value or gradient) of the one node labelled ``label`` in ``view``
    (``forward`` or ``backward``)."""
    node = page.locator(f"#svg-{view} g.node[data-label='{label}'] text.main")
    expect(node).to_have_count(1)
    return node.text_content() or ""


def api_analysis(page: Page, expression: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /api/graph`` from the page's context: the numbers the page should show."""
    r = page.request.post("/api/graph", data={"expression": expression, "values": values})
    assert r.ok, r.text()
    return r.json()


def untranslated_keys(page: Page | Frame) -> list[str]:
    """The i18n keys that an element shows as its own text: a string the page never translated."""
    return page.evaluate("[...document.querySelectorAll('[data-i18n]')]"
                         ".filter(e => e.textContent.trim() === e.dataset.i18n).map(e => e.dataset.i18n)")


@contextmanager
def reanalysed(page: Page, timeout: float = READY_TIMEOUT) -> Iterator[None]:
    """``with reanalysed(page): <start an analysis>``: waits until the page has drawn the analysis
    the block started (the ready mark is cleared first, so an earlier one does not count)."""
    page.evaluate("document.body.dataset.ready = ''")
    yield
    wait_ready(page, timeout)


#: Resolves once the attribute has kept one value for ``frames`` animation frames in a row.
_STILL = """async ([selector, attribute, frames, timeout]) => {
  const read = () => document.querySelector(selector)?.getAttribute(attribute) ?? null;
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const end = performance.now() + timeout;
  let last = read();
  let still = 0;
  while (still < frames) {
    if (performance.now() > end) throw new Error(`${selector} [${attribute}] kept changing: ${last}`);
    await frame();
    const now = read();
    still = now !== null && now === last ? still + 1 : 0;
    last = now;
  }
  return last;
}"""


def wait_until_still(page: Page, selector: str, attribute: str = "transform", frames: int = 3,
                     timeout: float = 5_000) -> str:
    """Wait until ``selector``'s ``attribute`` stops changing (a zoom that fits or pans a graph
    has settled); returns its value."""
    return page.evaluate(_STILL, [selector, attribute, frames, timeout])


def smallest_label_px(where: Page | Frame, root: str = "body") -> float:
    """The smallest on-screen size, in CSS pixels, of a node label drawn in SVG under ``root``:
    its font size times the zoom the graph is drawn at."""
    return where.evaluate(
        """(root) => Math.min(...[...document.querySelector(root).querySelectorAll('svg g.node text.label')]
            .filter((t) => t.getBoundingClientRect().width > 0)
            .map((t) => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a))""", root)


def step_texts(page: Page, button: str) -> dict[str, str]:
    """Press a pass's button (``#btn-forward``, ``#btn-backward``), then → to its end: node id ->
    the step's plain text."""
    page.locator(button).click()
    seen: dict[str, str] = {}
    while True:
        node = page.locator("#explain").get_attribute("data-node") or ""
        if node in seen:
            return seen
        seen[node] = page.locator("#explain-text code").text_content() or ""
        page.keyboard.press("ArrowRight")
