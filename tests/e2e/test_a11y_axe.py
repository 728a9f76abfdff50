"""Issue 23: axe-core (npm, pinned in package.json) finds no WCAG 2.0/2.1 A or AA violation on
any page and state: the app (idle, stepping backward with a node's details and the table open,
practice, the training panel after a step, the mistakes view), /learn and every lesson
with its try-it, /embed
and the standalone export, in English and Vietnamese, light and dark.

axe runs in the page and in each of its frames (a lesson's live view is an iframe)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WORKED = "y = w*x + b\nloss = abs(y_true - y)"
WORKED_VALUES = {"x": 2, "y_true": 4, "w": 3, "b": 1}
LANGS = ["en", "vi"]
THEMES = ["light", "dark"]


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail("node_modules/axe-core is missing: run `npm ci`")
    return AXE.read_text()


@pytest.fixture
def context(browser: Browser, base_url: str, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    theme = getattr(request, "param", "light")
    # The pages' Content-Security-Policy forbids injected scripts: axe is a test tool, so it
    # is let in for these contexts only.
    ctx = browser.new_context(base_url=base_url, bypass_csp=True, color_scheme=theme, viewport={"width": 1400, "height": 1000})
    yield ctx
    ctx.close()


def violations(page: Page, axe_source: str, state: str, frames: list[str] | None = None) -> list[dict]:
    """axe's WCAG A/AA violations in the page and its frames, each named by the state
    (the URLs of the frames checked are added to ``frames``)."""
    found: list[dict] = []
    for frame in page.frames:
        if frame.url in ("", "about:blank"):
            continue
        if frames is not None:
            frames.append(frame.url)
        frame.evaluate(axe_source + "\n;void 0")
        result = frame.evaluate(
            """async (tags) => {
                const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 4).map(n => [n.target.join(' '), n.failureSummary])}));
            }""",
            TAGS,
        )
        found += [{"state": state, "frame": frame.url, **v} for v in result]
    return found


def ready(page: Page) -> None:
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15_000)


def worked_url(lang: str, theme: str, extra: str = "") -> str:
    texts = {k: json.dumps(v) for k, v in WORKED_VALUES.items()}
    return f"/?e={quote(WORKED)}&v={quote(json.dumps(texts))}&lang={lang}&theme={theme}{extra}"


def report(found: list[dict]) -> str:
    return json.dumps(found, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("context", THEMES, indirect=True)
@pytest.mark.parametrize("lang", LANGS)
def test_app_states_have_no_axe_violations(context: BrowserContext, axe_source: str, lang: str, artifacts: Path) -> None:
    page = context.new_page()
    theme = "dark" if page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") else "light"
    page.goto(worked_url(lang, theme))
    ready(page)
    assert page.evaluate("document.documentElement.dataset.theme") == theme
    assert page.evaluate("document.documentElement.lang") == lang
    found = violations(page, axe_source, "idle")
    # stepping backward, a node's details and the table open
    page.locator("#btn-backward").click()
    page.keyboard.press("ArrowRight")
    page.locator("#svg-backward g.node[data-label='w']").click()
    expect(page.locator("#inspector")).to_be_visible()
    page.locator("#table-view summary").click()
    found += violations(page, axe_source, "backward step, details, table")
    page.locator(".inspector-close").click()
    # the training panel after a step
    page.locator("#train-step").click()
    expect(page.locator("#train-counter")).not_to_have_text("", timeout=15_000)
    found += violations(page, axe_source, "training after a step")
    # practice mode
    page.locator("#btn-reset").click()
    page.locator("#btn-practice").click()
    expect(page.locator("#btn-practice")).to_have_attribute("aria-pressed", "true")
    found += violations(page, axe_source, "practice")
    page.locator("#btn-practice").click()
    # the mistakes view (a graph that uses a value twice, the overwrite bug)
    page.locator("#mistake").select_option("overwrite")
    expect(page.locator("#mistake-card")).to_be_visible(timeout=15_000)
    page.locator("#btn-backward").click()
    found += violations(page, axe_source, "mistakes")
    page.screenshot(path=str(artifacts / f"a11y-axe-app-{lang}-{theme}.png"), full_page=True)
    assert found == [], report(found)


@pytest.mark.parametrize("context", THEMES, indirect=True)
@pytest.mark.parametrize("lang", LANGS)
def test_embed_has_no_axe_violations(context: BrowserContext, axe_source: str, lang: str) -> None:
    page = context.new_page()
    theme = "dark" if page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") else "light"
    texts = {k: json.dumps(v) for k, v in WORKED_VALUES.items()}
    page.goto(f"/embed?e={quote(WORKED)}&v={quote(json.dumps(texts))}&lang={lang}&theme={theme}&panels=forward,backward,steps,editor")
    ready(page)
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dataset.theme]") == [lang, theme]
    found = violations(page, axe_source, "embed")
    page.locator("#btn-backward").click()
    found += violations(page, axe_source, "embed, backward step")
    assert found == [], report(found)


@pytest.mark.parametrize("context", THEMES, indirect=True)
@pytest.mark.parametrize("lang", LANGS)
def test_standalone_export_has_no_axe_violations(context: BrowserContext, axe_source: str, lang: str, tmp_path: Path) -> None:
    page = context.new_page()
    r = page.request.post("/api/export/html", data={"expression": WORKED, "values": WORKED_VALUES, "lang": lang})
    assert r.ok, r.text()
    path = tmp_path / "worked.html"
    path.write_bytes(r.body())
    page.goto(path.as_uri())
    ready(page)
    assert page.evaluate("document.documentElement.lang") == lang
    found = violations(page, axe_source, "standalone")
    page.locator("#btn-backward").click()
    found += violations(page, axe_source, "standalone, backward step")
    assert found == [], report(found)


@pytest.mark.parametrize("lang", LANGS)
def test_learn_and_every_lesson_have_no_axe_violations(context: BrowserContext, axe_source: str, lang: str) -> None:
    page = context.new_page()
    lessons = page.request.get(f"/api/lessons?lang={lang}").json()
    assert len(lessons) >= 5
    found: list[dict] = []
    frames: list[str] = []
    for path in ["/learn"] + [f"/learn/{lesson['id']}" for lesson in lessons]:
        page.goto(f"{path}?lang={lang}")
        expect(page.locator("#learn-title")).not_to_have_text("", timeout=15_000)
        frame = page.frame_locator("#learn-frame")
        if page.locator("#learn-frame").is_visible():
            expect(frame.locator("body")).to_have_attribute("data-ready", "true", timeout=15_000)
        found += violations(page, axe_source, path, frames)
        if path != "/learn":
            # the lesson's try-it (the step after its last), answered wrong once
            page.goto(f"{path}?step=99&lang={lang}")
            expect(page.locator("#learn-try-form input").first).to_be_visible(timeout=15_000)
            page.locator("#learn-try-form input").first.fill("123456")
            page.locator("#quiz-check").click()
            expect(page.locator("#learn-try-score")).not_to_have_text("", timeout=10_000)
            found += violations(page, axe_source, f"{path} try-it")
    # the lessons' live views (iframes of /embed) were checked too
    assert sum("/embed" in url for url in frames) >= len(lessons) // 2, frames
    assert found == [], report(found)


def test_the_check_can_fail(context: BrowserContext, axe_source: str) -> None:
    """The harness reports what axe finds: an unnamed button and a low-contrast line fail."""
    page = context.new_page()
    page.goto(worked_url("en", "light"))
    ready(page)
    page.evaluate("""() => {
      document.querySelector('.card').append(Object.assign(document.createElement('button'), {className: 'planted'}));
      const p = Object.assign(document.createElement('p'), {textContent: 'faint text', className: 'planted'});
      p.style.color = '#d0d0d0';
      document.querySelector('.card').append(p);
    }""")
    found = {v["id"] for v in violations(page, axe_source, "planted")}
    assert {"button-name", "color-contrast"} <= found
