"""The guided path read as a Vietnamese student reads it: every lesson step and try-it in vi,
the lesson text and the live view beside it, with no English sentence outside code and math;
and the nudge probe's verdict taken from the relative gap (agrees / roughly / does not, and why)."""

from __future__ import annotations

import json
import re
from itertools import pairwise
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Frame, Page, expect

from tests.e2e.helpers import reanalysed

pytestmark = pytest.mark.e2e

#: English function words; a line with several of them is an English sentence.
ENGLISH = {"the", "and", "is", "of", "with", "from", "this", "that", "are", "for", "you", "your",
           "not", "be", "by", "its", "it", "an", "has", "have", "was", "will", "or", "as", "at"}
#: Code and math in a line: names with _ or ., calls, quoted names.
CODE = re.compile(r"\b\w+[._]\w+\b|\b\w+\([^)]*\)|'[^']*'|\"[^\"]*\"")


def english_lines(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        words = {w.lower() for w in re.findall(r"[A-Za-z]+", CODE.sub(" ", line))}
        if len(words & ENGLISH) >= 3:
            out.append(line.strip())
    return out


def visible_text(frame: Frame) -> str:
    return frame.evaluate("() => document.body.innerText")


def view_ready(page: Page) -> Frame:
    handle = page.locator("#learn-frame").element_handle(timeout=15_000)
    frame = handle.content_frame() if handle else None
    assert frame is not None
    expect(page.frame_locator("#learn-frame").locator("body")).to_have_attribute("data-ready", "true", timeout=20_000)
    return frame


def test_every_lesson_in_vietnamese_has_no_english_sentence(page: Page, console_errors: list[str],
                                                            artifacts: Path) -> None:
    lessons = page.request.get("/api/lessons?lang=vi").json()
    page.goto("/learn?lang=vi")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15_000)
    found = [f"/learn: {line}" for line in english_lines(visible_text(page.main_frame))]
    for item in lessons:
        data = page.request.get(f"/api/lessons/{item['id']}?lang=vi").json()
        for step in range(1, len(data["steps"]) + 2):
            page.goto(f"/learn/{item['id']}?step={step}&lang=vi")
            expect(page.locator("#learn-title")).to_have_text(data["title"])
            if step > len(data["steps"]):
                expect(page.locator(".quiz-row").first).to_be_visible(timeout=15_000)
            frame = view_ready(page)
            for where, text in (("lesson", visible_text(page.main_frame)), ("view", visible_text(frame))):
                found += [f"{item['id']} step {step} {where}: {line}" for line in english_lines(text)]
        page.screenshot(path=str(artifacts / f"learn-vi-words-{item['id']}.png"))
    assert not found, "\n".join(found)
    assert console_errors == []


def test_the_probe_verdict_follows_the_relative_gap(page: Page, console_errors: list[str],
                                                   artifacts: Path) -> None:
    """loss = (w − 1)² at w = 3: ΔL/ε = 4 + ε. At ε = 1 that is 5 against 4, 20 % apart: the
    probe must not say it agrees, and names the cause (curvature: at ε/10 the slope is 4.1)."""
    page.goto(f"/?e={quote('loss = (w - 1)**2')}&v={quote(json.dumps({'w': '3'}))}&lang=en")
    expect(page.locator("#probe-input option")).not_to_have_count(0, timeout=15_000)
    page.locator("#probe-input").select_option("w")
    verdict = page.locator("#probe-verdict")
    for lang in ("en", "vi"):
        page.locator("#lang").select_option(lang)
        page.locator("#probe-eps-text").fill("1")
        expect(page.locator("#probe-table tr[data-row='slope'] td")).to_have_text("5", timeout=10_000)
        expect(verdict).to_have_attribute("data-level", "disagree")
        expect(verdict).to_have_attribute("data-cause", "curvature")
        expect(verdict).to_contain_text("4.1")
        page.locator("#probe-eps-text").fill("0.01")
        expect(verdict).to_have_attribute("data-level", "rough", timeout=10_000)
        page.locator("#probe-eps-text").fill("1e-5")
        expect(verdict).to_have_attribute("data-level", "agree", timeout=10_000)
        page.locator("#probe-card").screenshot(path=str(artifacts / f"probe-verdict-{lang}.png"))
    assert console_errors == []


NUMERIC = re.compile(r"^[\d\s.+\-−·×*/()e]+$")


def false_equations(text: str) -> list[str]:
    """Lines whose arithmetic members (parts between ' = ' made of numbers only) disagree."""
    from chainrule.teaching.exercises import arithmetic

    wrong = []
    for line in text.splitlines():
        values = [float(arithmetic("eq", part)) for part in line.split(" = ")
                  if part.strip() and NUMERIC.match(part.strip()) and re.search(r"\d", part)]
        if any(abs(a - b) > 1e-9 * max(1, abs(a), abs(b)) for a, b in pairwise(values)):
            wrong.append(line)
    return wrong


@pytest.mark.parametrize("mistake", ["overwrite", "early_visit"])
def test_every_equation_of_a_buggy_backward_pass_is_true(page: Page, console_errors: list[str],
                                                         artifacts: Path, mistake: str) -> None:
    """With a mistake on, each backward step's chain of '=' holds; what the bug stores is said
    apart (an assignment), never as the sum's result."""
    page.goto(f"/?e={quote('b = x + x' + chr(10) + 'c = b + b')}&v={quote(json.dumps({'x': '1'}))}&lang=en")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15_000)
    page.evaluate("document.body.dataset.ready = ''")
    page.locator("#mistake").select_option(mistake)
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15_000)
    page.locator("#btn-backward").click()
    seen = []
    for _ in range(6):
        text = page.locator("#explain").inner_text()
        seen.append(text)
        page.locator("#btn-next").click()
    page.screenshot(path=str(artifacts / f"mistake-equations-{mistake}.png"), full_page=True)
    wrong = [line for text in seen for line in false_equations(text)]
    assert not wrong, wrong
    assert any("←" in text for text in seen)
    assert console_errors == []


def test_a_syntax_error_reads_in_vietnamese(page: Page, console_errors: list[str], artifacts: Path) -> None:
    """The editor's syntax errors come from reason + params: no English sentence in vi."""
    page.goto(f"/?e={quote('y = w*x + b')}&v={quote(json.dumps({'w': '1', 'x': '2', 'b': '0'}))}&lang=vi")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15_000)
    box = page.locator("#editor-error")
    said = ""
    for bad in ("y = w*", "y = (w + 1", "y = w x", "y = w $ 2"):
        page.locator("#source").fill(bad)
        expect(box).to_be_visible(timeout=10_000)
        expect(box).not_to_have_text(said or "-", timeout=10_000)  # this error, not the last one
        said = box.inner_text()
        expect(box).not_to_have_text(re.compile(r"expected|unexpected|statement"))
        assert english_lines(box.inner_text()) == [], box.inner_text()
    page.screenshot(path=str(artifacts / "syntax-error-vi.png"), clip={"x": 0, "y": 0, "width": 600, "height": 360})


def test_the_examples_menu_reads_in_vietnamese(page: Page, console_errors: list[str]) -> None:
    examples = page.request.get("/api/examples").json()
    page.goto("/?lang=vi")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15_000)
    options = page.locator("#examples option:not([value=''])")
    expect(options).to_have_count(len(examples))
    assert options.all_text_contents() == [ex["i18n"]["vi"]["title"] for ex in examples]
    page.locator("#lang").select_option("en")
    expect(options.first).to_have_text(examples[0]["title"])
    assert console_errors == []


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_a_typo_of_a_given_name_is_pointed_out_beside_its_field(page: Page, lang: str) -> None:
    """y_ture for y_true: the new empty field says which given name it probably means."""
    values = {"x": "2", "y_true": "4", "w": "3", "b": "1"}
    page.goto(f"/?e={quote('y = w*x + b' + chr(10) + 'loss = abs(y_true - y)')}"
              f"&v={quote(json.dumps(values))}&lang={lang}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15_000)
    page.locator("#source").fill("y = w*x + b\nloss = abs(y_ture - y)")
    note = page.locator("#value-y_ture-note")
    expect(note).to_contain_text("'y_true'", timeout=10_000)
    assert english_lines(note.inner_text()) == [] or lang == "en"


def test_the_training_panel_and_a_shape_error_read_in_vietnamese(page: Page, console_errors: list[str],
                                                                 artifacts: Path) -> None:
    """In vi: a training run's warning (a diverging run), momentum's formula and its note, the
    moons example (no warning about its own data), and a shape error typed in the main box."""
    examples = {ex["id"]: ex for ex in page.request.get("/api/datasets").json()["examples"]}
    page.goto("/?lang=vi")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15_000)
    training, status = page.locator("#training"), page.locator("#train-status")

    def choose(example_id: str) -> None:
        page.locator("#train-example").select_option(value=str(list(examples).index(example_id)))
        expect(training).to_have_attribute("data-state", "running", timeout=20_000)

    assert "large-lr-exploding" in examples and "local-minimum-momentum" in examples
    choose("large-lr-exploding")
    expect(status).to_contain_text("phân kỳ", timeout=20_000)  # the run's warning, in Vietnamese
    page.locator("#train-end").click()
    training.scroll_into_view_if_needed()
    training.screenshot(path=str(artifacts / "training-vi-diverged.png"))
    found = [f"diverged: {line}" for line in english_lines(training.inner_text())]
    page.locator("#lang").select_option("en")  # the English page says the server's own words
    expect(status).to_contain_text("diverged at step", timeout=15_000)
    page.locator("#lang").select_option("vi")
    expect(status).to_contain_text("phân kỳ", timeout=15_000)

    choose("local-minimum-momentum")
    note = page.locator("#train-formula .formula-note[data-note='momentum_first_step']")
    expect(note).to_be_visible(timeout=15_000)
    expect(note).to_contain_text("v ← g")
    expect(note).to_contain_text("bước đầu tiên")
    page.locator("#train-step").click()
    page.locator("#train-step").click()
    training.screenshot(path=str(artifacts / "training-vi-momentum.png"))
    found += [f"momentum: {line}" for line in english_lines(training.inner_text())]

    choose("mlp-moons")
    # its runs are in (Adam's rule under the formula) and its graph drawn with the data rows
    expect(page.locator("#train-formula")).to_contain_text("torch.optim.Adam", timeout=60_000)
    expect(page.locator("#svg-forward g.node[data-label='W1']")).to_be_visible(timeout=20_000)
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=20_000)
    expect(page.locator("#warnings-card")).to_be_hidden()
    expect(status).not_to_contain_text("Y")

    # the main box with a product of two 2×3 matrices (as a link opens it: no typing races)
    matrix = [[1, 2, 3], [4, 5, 6]]
    page.goto(f"/?e={quote('y = A @ B')}&v={quote(json.dumps({'A': matrix, 'B': matrix}))}&lang=vi")
    box = page.locator("#editor-error")
    expect(box).to_be_visible(timeout=10_000)
    expect(box).to_contain_text("[2, 3] @ [2, 3]")
    expect(box).to_contain_text("số cột")
    page.screenshot(path=str(artifacts / "shape-error-vi.png"), clip={"x": 0, "y": 0, "width": 700, "height": 420})
    found += [f"shape error: {line}" for line in english_lines(box.inner_text())]
    assert not found, "\n".join(found)
    # the shape error is the API's 400 answer; nothing else went wrong
    assert [e for e in console_errors if "400 (Bad Request)" not in e] == []


def test_every_example_of_the_main_page_reads_in_vietnamese(page: Page, console_errors: list[str],
                                                            artifacts: Path) -> None:
    """/ in vi with each example of the menu loaded and its backward pass started: the page
    (warnings such as a tensor output's, the steps, the panels) has no English sentence."""
    examples = page.request.get("/api/examples").json()
    page.goto("/?lang=vi")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15_000)
    found = []
    for i, ex in enumerate(examples):
        with reanalysed(page):
            page.locator("#examples").select_option(str(i))
        page.locator("#btn-backward").click()
        found += [f"{ex['id']}: {line}" for line in english_lines(visible_text(page.main_frame))]
        if ex["id"] in ("dense", "log-softmax-nan"):
            page.screenshot(path=str(artifacts / f"example-vi-{ex['id']}.png"), full_page=True)
    assert not found, "\n".join(found)
    assert console_errors == []
