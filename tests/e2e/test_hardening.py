"""Hostile and careless input in Chromium (issue 11): the page stays bounded and responsive."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import open_app, wait_ready

pytestmark = pytest.mark.e2e

HUGE = "loss = sum(tanh(sin(cos(exp(x)))))"
HUGE_INIT = '{"init": "normal", "shape": [1000000]}'


def test_a_million_element_tensor_arrives_summarized(page: Page, console_errors: list[str],
                                                     artifacts: Path) -> None:
    open_app(page)
    sizes: list[int] = []
    page.on("response", lambda r: sizes.append(len(r.body())) if r.url.endswith("/api/graph") else None)
    page.evaluate("document.body.dataset.ready = ''")
    page.evaluate(
        """([expr, init]) => {
        window.chainrule.store.set({values: {x: init}, expression: expr, collapsed: []});
        document.getElementById('source').value = expr;
        document.getElementById('btn-analyze').click();
    }""",
        [HUGE, HUGE_INIT],
    )
    wait_ready(page, timeout=20_000)
    expect(page.locator("body")).not_to_have_class("has-error")
    assert sizes and max(sizes) < 200_000, sizes  # not the 359 MB of full values
    row = page.locator("#node-table tbody tr[data-id='n0']")
    expect(row.locator("td.value")).to_contain_text("[1000000]")
    assert "object" not in (row.locator("td.grad").text_content() or "")
    page.screenshot(path=str(artifacts / "hardening-million-summarized.png"), full_page=True)
    assert console_errors == []


def _link(page: Page, state_js: str) -> str:
    """A link the page itself makes (state.js serialize) for the state the JS expression builds."""
    return page.evaluate(
        f"""async () => {{
            const S = await import('/static/js/state.js');
            const state = {{...S.defaults(), ...({state_js})}};
            return '/?' + S.serialize(state);
        }}"""
    )


def test_a_2000_optimizer_compare_link_starts_a_handful_of_trainings(
        page: Page, console_errors: list[str], artifacts: Path) -> None:
    open_app(page)
    limit = page.evaluate("async () => (await import('/static/js/state.js')).LINK_LIMITS.compare")
    link = _link(page, """{expression: 'y = w*x + b\\nloss = (y - 7)**2', values: {x: '2', w: '1', b: '0'},
        trainParams: ['w', 'b'], trainStep: 3, trainSteps: 10000,
        compare: Array.from({length: 2000}, (_, i) => ({name: 'sgd', lr: 0.001 * (i + 1)}))}""")
    assert "z=" in link
    trains: list[dict] = []
    answered: list[str] = []
    page.on("request", lambda r: trains.append(r.post_data_json) if r.url.endswith("/api/train") else None)
    for event in ("requestfinished", "requestfailed"):
        page.on(event, lambda r: answered.append(r.url) if r.url.endswith("/api/train") else None)
    page.goto(link)
    wait_ready(page, timeout=20_000)
    # the restore is over when the panel stands at the link's step, every compared run is
    # listed, and every training it asked for has been answered
    expect(page.locator("#train-position")).to_have_value("3", timeout=20_000)
    expect(page.locator("#train-compare li")).to_have_count(limit)
    deadline = time.monotonic() + 20
    while len(answered) < len(trains):  # polled: Playwright delivers the events while it waits
        assert time.monotonic() < deadline, f"{len(trains) - len(answered)} trainings never answered"
        page.wait_for_timeout(50)
    assert 1 <= len(trains) <= limit + 1, len(trains)
    # the restore replays the steps up to the link's position (3), not the link's 10,000
    assert all(body["steps"] <= 4 for body in trains), [body["steps"] for body in trains]
    expect(page.locator("#train-position")).to_have_value("3")
    notice = page.locator("#link-notice p[data-code='truncated']")
    expect(notice).to_contain_text("2000")
    expect(notice).to_contain_text(str(limit))
    assert page.evaluate("window.chainrule.store.get().compare.length") == limit
    expect(page.locator("#train-compare li")).to_have_count(limit)
    expect(page.locator("#train-compare-add")).to_be_disabled()
    page.locator("#lang").select_option("vi")
    expect(notice).to_contain_text("chỉ giữ lại")
    page.screenshot(path=str(artifacts / "hardening-compare-link.png"), full_page=True)
    assert console_errors == []


def test_a_decompression_bomb_is_refused_with_a_message(page: Page, console_errors: list[str],
                                                       artifacts: Path) -> None:
    open_app(page)
    limit = page.evaluate("async () => (await import('/static/js/state.js')).LINK_LIMITS.chars")
    packed = page.evaluate(
        """async (n) => {
            const {compressToEncodedURIComponent} = await import('/static/build/lz.mjs');
            return compressToEncodedURIComponent('e=' + 'a'.repeat(n));
        }""", limit + 1_000)
    assert len(packed) < 20_000  # a small link ...
    start = time.perf_counter()
    page.goto("/?z=" + packed)  # ... that would decompress past the limit
    wait_ready(page)
    assert time.perf_counter() - start < 5.0
    expect(page.locator("#link-notice p[data-code='too_large']")).to_contain_text(f"{limit}")
    assert "aaaa" not in page.locator("#source").input_value()  # nothing of it was opened
    page.screenshot(path=str(artifacts / "hardening-bomb-link.png"))
    assert console_errors == []


def test_bounded_decompression_matches_lz_string(page: Page) -> None:
    open_app(page)
    mismatches = page.evaluate(
        """async () => {
            const lz = await import('/static/build/lz.mjs');
            const {decompressBounded, TooLarge} = await import('/static/js/lz-bounded.js');
            const bad = [];
            let seed = 7;
            const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
            for (let k = 0; k < 300; k++) {
                const n = Math.floor(rnd() * 3000);
                const alphabet = k % 3 === 0 ? 'ab' : 'y = w*x + b\\nloss=ü€\\ud835\\udc65(1,2)&%';
                let s = '';
                for (let i = 0; i < n; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
                const packed = lz.compressToEncodedURIComponent(s);
                if (decompressBounded(packed, 1e9) !== lz.decompressFromEncodedURIComponent(packed)) bad.push(k);
                if (s.length > 10) {
                    try { decompressBounded(packed, s.length - 1); bad.push('no limit ' + k); }
                    catch (e) { if (!(e instanceof TooLarge)) bad.push('error ' + k); }
                }
            }
            return bad;
        }""")
    assert mismatches == []


def test_unicode_names_are_one_input_each(page: Page, console_errors: list[str]) -> None:
    open_app(page)
    names = page.evaluate(
        """async () => {
            const {freeNames} = await import('/static/js/editor.js');
            return [freeNames('lösung = w*x + 1'), freeNames('y = ŷ * 2 + x_1² + θ0')];
        }""")
    assert names == [["w", "x"], ["ŷ", "x_1²", "θ0"]]
    page.locator("#source").fill("y = ŷ * 2")
    page.locator("#btn-analyze").click()
    row = page.locator(".value-row[data-name='ŷ'] input")
    expect(row).to_have_count(1)
    row.fill("3")
    row.press("Enter")
    expect(page.locator("#svg-forward g.node[data-label='y'] text.main")).to_have_text("6")
    assert [e for e in console_errors if "400 (Bad Request)" not in e] == []


def test_the_page_retries_a_busy_server_after_retry_after(page: Page, console_errors: list[str]) -> None:
    open_app(page)
    calls: list[float] = []

    def busy_once(route) -> None:  # type: ignore[no-untyped-def]
        calls.append(time.perf_counter())
        if len(calls) == 1:
            route.fulfill(status=503, headers={"Retry-After": "1", "Content-Type": "application/json"},
                          body='{"error": {"code": "busy", "message": "busy", "params": {"retry_after": 1}}}')
        else:
            route.continue_()

    page.route("**/api/graph", busy_once)
    page.evaluate("document.body.dataset.ready = ''")
    page.locator("#source").fill("y = w*x + 40")
    page.locator("#btn-analyze").click()
    expect(page.locator("#svg-forward g.node[data-label='y'] text.main")).to_have_text("46", timeout=10_000)
    assert len(calls) >= 2 and calls[1] - calls[0] >= 0.9  # waited for Retry-After
    assert [e for e in console_errors if "503" not in e] == []


def test_every_list_in_a_link_is_capped(page: Page) -> None:
    open_app(page)
    result = page.evaluate(
        """async () => {
            const S = await import('/static/js/state.js');
            const n = S.LINK_LIMITS.entries + 500;
            const state = {...S.defaults(), collapsed: Array.from({length: n}, (_, i) => `n${i}`),
                           values: Object.fromEntries(Array.from({length: n}, (_, i) => [`v${i}`, '1']))};
            const {state: back, problems} = S.parseLink(S.serialize(state));
            return {limit: S.LINK_LIMITS.entries, collapsed: back.collapsed.length,
                    values: Object.keys(back.values).length, problems};
        }""")
    limit = result["limit"]
    assert limit > 0 and result["collapsed"] == limit and result["values"] == limit
    assert sorted((p["code"], p["name"], p["count"]) for p in result["problems"]) == [
        ("truncated", "collapsed", limit + 500), ("truncated", "values", limit + 500)]
