"""State in the URL (every declared property, plain and compressed), Copy link, Embed dialog."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import open_app, wait_ready

pytestmark = pytest.mark.e2e

WORKED = "y = w*x + b\nloss = abs(y_true - y)"
WORKED_VALUES = {"x": "2", "y_true": "4", "w": "3", "b": "1"}
#: Query parameters of /embed that are frame options, not state: no property may use them.
EMBED_OPTIONS = {"ro", "panels"}


def graph_snapshot(page: Page) -> dict:
    """What both views show: each node's label and main text, and the step explained."""
    return page.evaluate(
        """() => {
            const view = (v) => [...document.querySelectorAll(`#svg-${v} g.node`)]
                .map((g) => [g.dataset.label, g.querySelector('text.main').textContent]).sort();
            return {forward: view('forward'), backward: view('backward'),
                    node: document.getElementById('explain').dataset.node ?? null,
                    counter: document.getElementById('step-counter').textContent,
                    source: document.getElementById('source').value};
        }"""
    )


def test_every_property_round_trips_plain_and_compressed(page: Page, console_errors: list[str]) -> None:
    open_app(page)
    result = page.evaluate(
        """async (reserved) => {
            const S = await import('/static/js/state.js');
            const state = S.defaults();
            const problems = [];
            const keys = new Set();
            for (const p of S.PROPERTIES) {
                if (typeof p.sample !== 'function') { problems.push(`${p.name}: no sample()`); continue; }
                state[p.name] = p.sample(p.default);
                if (JSON.stringify(state[p.name]) === JSON.stringify(p.default)) problems.push(`${p.name}: sample is the default`);
                if (keys.has(p.key) || reserved.includes(p.key)) problems.push(`${p.name}: key ${p.key} taken`);
                keys.add(p.key);
            }
            const same = (q) => {
                const back = {...S.defaults(), ...S.parse(q)};
                return S.PROPERTIES.filter((p) => JSON.stringify(back[p.name]) !== JSON.stringify(state[p.name])).map((p) => p.name);
            };
            const plain = S.serialize(state, {compress: false});
            const packed = S.serialize(state);
            const longState = {...state, expression: Array.from({length: 120}, (_, i) => `a${i} = x*${i} + 1`).join('\\n')};
            const longQ = S.serialize(longState);
            const backLong = {...S.defaults(), ...S.parse(longQ)};
            return {problems, names: S.PROPERTIES.map((p) => p.name), plain, packed,
                    plainLost: same(plain), packedLost: same(packed), packedViaQ: same('?' + packed),
                    longQ, longLost: S.PROPERTIES.filter((p) => JSON.stringify(backLong[p.name]) !== JSON.stringify(longState[p.name])).map((p) => p.name),
                    compressOver: S.COMPRESS_OVER, defaultsQ: S.serialize(S.defaults())};
        }""",
        sorted(EMBED_OPTIONS | {"z"}),
    )
    assert result["problems"] == []
    assert len(result["names"]) >= 9  # the page's and the training panel's properties
    assert result["plainLost"] == [] and result["packedLost"] == [] and result["packedViaQ"] == []
    assert result["defaultsQ"] == ""
    # a long link is one z= parameter, much shorter than the plain one, and loses nothing
    assert len(result["plain"]) > result["compressOver"] or result["packed"] == result["plain"]
    assert re.fullmatch(r"z=[A-Za-z0-9+\-$]+", result["longQ"])
    assert result["longLost"] == []


def test_plain_links_stay_readable(page: Page, console_errors: list[str]) -> None:
    open_app(page)
    q = page.evaluate(
        """async (expr) => {
            const S = await import('/static/js/state.js');
            return S.serialize({...S.defaults(), expression: expr, values: {x: '2'}, step: 3, mode: 'backward'});
        }""",
        WORKED,
    )
    assert q.startswith("e=y+=+w*x+%2B+b%0Aloss+=+abs(y_true+-+y)&v=")
    assert "mode=backward" in q and "step=3" in q
    assert console_errors == []


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "compressed"])
def test_link_opens_the_same_graph_and_step(
    browser: Browser, page: Page, console_errors: list[str], base_url: str, artifacts: Path, compressed: bool
) -> None:
    # a statement list long enough to need z= when compressed
    expression = WORKED
    if compressed:
        expression += "\n" + "\n".join(f"h{i} = loss*{i + 1} + w*{i}" for i in range(60)) + "\nout = h59 + h3"
    open_app(page)
    page.evaluate(
        """([expr, vals]) => {
            window.chainrule.store.set({expression: expr, values: vals, collapsed: []});
            document.getElementById('source').value = expr;
            document.body.dataset.ready = '';
            document.getElementById('btn-analyze').click();
        }""",
        [expression, WORKED_VALUES],
    )
    wait_ready(page)
    page.locator("#btn-backward").click()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#step-counter")).to_contain_text("4")
    # the address bar catches up (debounced): wait until it parses back to this step
    page.evaluate("async () => { window.stateModule = await import('/static/js/state.js'); }")
    page.wait_for_function(
        "() => { const s = window.stateModule.parse(location.search); return s.mode === 'backward' && s.step === 3; }"
    )
    link = page.url
    assert ("z=" in link) == compressed
    before = graph_snapshot(page)

    other = browser.new_page()
    errors: list[str] = []
    other.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    other.on("pageerror", lambda e: errors.append(str(e)))
    other.goto(link)
    wait_ready(other)
    after = graph_snapshot(other)
    assert after == before
    assert other.url == link
    other.screenshot(path=str(artifacts / f"link-{'compressed' if compressed else 'plain'}.png"))
    other.close()
    assert errors == [] and console_errors == []


def test_copy_link_uses_the_clipboard(browser: Browser, base_url: str, artifacts: Path) -> None:
    context = browser.new_context(base_url=base_url, viewport={"width": 1500, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    open_app(page)
    page.locator("#btn-forward").click()
    page.keyboard.press("ArrowRight")
    page.locator("#btn-copy-link").click()
    expect(page.locator("#share-status")).to_have_text("Link copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.url
    assert "mode=forward" in copied and "step=1" in copied and "e=y+=+w*x" in copied
    expect(page.locator("#share-link")).to_be_hidden()
    page.screenshot(path=str(artifacts / "copy-link.png"))
    context.close()
    assert errors == []


def test_copy_link_falls_back_to_a_selected_field(browser: Browser, base_url: str) -> None:
    context = browser.new_context(base_url=base_url)
    context.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    open_app(page)
    page.locator("#btn-copy-link").click()
    field = page.locator("#share-link")
    expect(field).to_be_visible()
    expect(field).to_be_focused()
    assert field.input_value() == page.url
    selected = page.evaluate("(() => { const f = document.getElementById('share-link'); return f.value.slice(f.selectionStart, f.selectionEnd); })()")
    assert selected == field.input_value()
    expect(page.locator("#share-status")).to_contain_text("Ctrl+C")
    context.close()
    assert errors == []


def test_embed_dialog_gives_iframe_and_oembed(page: Page, console_errors: list[str], base_url: str, artifacts: Path) -> None:
    open_app(page)
    # oEmbed discovery in the head
    discovery = page.locator('link[rel="alternate"][type="application/json+oembed"]')
    expect(discovery).to_have_count(1)
    href = discovery.get_attribute("href") or ""
    assert href.startswith(f"{base_url}/oembed?url=") and href.endswith("&format=json")
    assert page.request.get(href).json()["type"] == "rich"

    page.locator("#btn-backward").click()
    page.locator("#btn-embed").click()
    dialog = page.locator("#embed-dialog")
    expect(dialog).to_be_visible()
    snippet = page.locator("#embed-snippet").input_value()
    src = re.search(r'<iframe src="([^"]+)"', snippet).group(1).replace("&amp;", "&")
    assert src.startswith(f"{base_url}/embed?e=") and src.endswith("&ro=1") and "mode=backward" in src
    assert "data-chainrule" in snippet
    page.locator("#embed-readonly").uncheck()
    page.locator('input[name="panel"][value="editor"]').check()
    page.locator('input[name="panel"][value="forward"]').uncheck()
    snippet2 = page.locator("#embed-snippet").input_value()
    assert "ro=1" not in snippet2 and "panels=editor,steps,backward" in snippet2
    script = page.locator("#embed-script").input_value()
    assert '"chainrule:height"' in script and json.dumps(base_url) in script
    oembed_url = page.locator("#embed-oembed").input_value()
    body = page.request.get(oembed_url).json()
    assert body["type"] == "rich" and "/embed?" in body["html"] and "mode=backward" in body["html"]
    page.screenshot(path=str(artifacts / "embed-dialog.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert console_errors == []
