"""Issue 23 in headless Chromium, what an automated checker cannot see: following a graph
along its edges by keyboard, what each node is called, the step-through said aloud as the
same arithmetic the step shows (and the model computes), and a visible focus ring."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

WORKED = "y = w*x + b\nloss = abs(y_true - y)"
WORKED_VALUES = {"x": 2, "y_true": 4, "w": 3, "b": 1}


def open_worked(page: Page, lang: str = "en") -> None:
    texts = {k: json.dumps(v) for k, v in WORKED_VALUES.items()}
    page.goto(f"/?e={quote(WORKED)}&v={quote(json.dumps(texts))}&lang={lang}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15_000)


def analysis(page: Page) -> dict:
    r = page.request.post("/api/graph", data={"expression": WORKED, "values": WORKED_VALUES})
    assert r.ok, r.text()
    return r.json()


def active(page: Page) -> dict:
    return page.evaluate("""() => { const a = document.activeElement;
        return {id: a?.dataset?.id ?? null, label: a?.dataset?.label ?? null,
                name: a?.getAttribute('aria-label') ?? '', view: a?.closest('svg')?.id ?? null}; }""")


def test_graph_keys_model_follows_edges_siblings_and_ends(page: Page) -> None:
    """The pure keyboard model (graph-keys.js) on a small graph: z = f(a, b), a used twice."""
    page.goto("/")
    result = page.evaluate("""async () => {
      const k = await import('/static/js/graph-keys.js');
      const n = (id, kind) => ({id, node: {kind, label: id}});
      const g = {nodes: [n('a', 'input'), n('b', 'input'), n('m', 'op'), n('s', 'op'), n('z', 'op')],
                 edges: [{source: 'a', target: 'm', edge: {arg: 0}}, {source: 'b', target: 'm', edge: {arg: 1}},
                         {source: 'a', target: 's', edge: {arg: 0}}, {source: 'm', target: 'z', edge: {arg: 0}},
                         {source: 's', target: 'z', edge: {arg: 1}}],
                 outputId: 'z'};
      const walk = (start, moves) => { let at = {id: start, context: null}; const seen = [];
        for (const m of moves) { at = k.nextFocus(g, at.id, m, at.context); seen.push(at.id); } return seen; };
      return {
        keysLR: ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'x'].map((key) => k.moveForKey(key, false)),
        keysBT: ['ArrowDown', 'ArrowUp', 'ArrowLeft', 'ArrowRight'].map((key) => k.moveForKey(key, true)),
        down: walk('z', ['inputs', 'inputs', 'next', 'next', 'consumers']),
        upFromA: walk('a', ['consumers', 'next', 'next', 'inputs']),
        ends: walk('m', ['output', 'inputs-end', 'inputs-end', 'inputs-end']),
        blocked: [k.nextFocus(g, 'a', 'inputs').moved, k.nextFocus(g, 'z', 'consumers').moved, k.nextFocus(g, 'z', 'next').moved],
        siblingsOfB: k.siblings(g, 'b', null),
      };
    }""")
    assert result["keysLR"] == ["inputs", "consumers", "prev", "next", "output", "inputs-end", None]
    assert result["keysBT"] == ["inputs", "consumers", "prev", "next"]
    # z -> its first input m -> m's first input a -> sibling b -> back to a -> up to m (where it came from)
    assert result["down"] == ["m", "a", "b", "a", "m"]
    # a -> its first consumer m -> the other consumer s -> m again -> back down to a
    assert result["upFromA"] == ["m", "s", "m", "a"]
    assert result["ends"] == ["z", "a", "b", "a"]
    assert result["blocked"] == [False, False, False]
    assert result["siblingsOfB"] == ["a", "b"]


@pytest.mark.parametrize("view", ["forward", "backward"])
def test_keyboard_walks_the_worked_example_along_its_edges(page: Page, console_errors: list[str], view: str) -> None:
    open_worked(page)
    data = analysis(page)
    label = {n["id"]: n["label"] for n in data["nodes"]}
    ins: dict[str, list[str]] = {n["id"]: [] for n in data["nodes"]}
    for e in sorted(data["edges"], key=lambda e: e["arg"]):
        ins[e["target"]].append(e["source"])
    vertical = page.evaluate("window.chainrule.layout.direction") == "BT"
    keys = {"inputs": "ArrowDown" if vertical else "ArrowLeft", "consumers": "ArrowUp" if vertical else "ArrowRight",
            "next": "ArrowRight" if vertical else "ArrowDown"}
    page.locator(f"#svg-{view} g.node[tabindex='0']").focus()
    page.keyboard.press("Home")
    at = active(page)
    assert at["label"] == "loss" and at["view"] == f"svg-{view}"
    # down the edges from the output: each press lands on the first input of the node before
    path = ["loss"]
    while True:
        page.keyboard.press(keys["inputs"])
        now = active(page)
        if now["id"] == at["id"]:
            break
        assert now["id"] == ins[at["id"]][0]
        path.append(now["label"])
        at = now
    assert path == ["loss", "y_true - y", "y_true"]
    expect(page.locator("#graph-live")).to_contain_text("y_true")  # "y_true has no inputs…"
    page.keyboard.press(keys["next"])  # the sibling: y, the other input of y_true - y
    assert active(page)["label"] == "y"
    page.keyboard.press(keys["inputs"])
    assert active(page)["label"] == "w * x"
    page.keyboard.press(keys["next"])
    assert active(page)["label"] == "b"
    page.keyboard.press(keys["consumers"])
    assert active(page)["label"] == "y"
    page.keyboard.press("End")
    assert active(page)["label"] in {"x", "y_true", "w", "b"}
    # the stepper did not move while the arrows walked the graph
    assert page.locator("#explain").get_attribute("data-mode") == "none"
    # Enter opens the node's details, T the table at the node's row
    page.keyboard.press("Home")
    page.keyboard.press("Enter")
    expect(page.locator("#inspector")).to_be_visible()
    expect(page.locator("#inspector-live")).to_contain_text("loss")
    # closing the details gives the focus back to the node
    page.locator(".inspector-close").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#inspector")).to_be_hidden()
    assert active(page)["label"] == "loss" and active(page)["view"] == f"svg-{view}"
    page.locator(f"#svg-{view} g.node[data-label='w']").focus()
    page.keyboard.press("t")
    expect(page.locator("#table-view")).to_have_attribute("open", "")
    assert page.evaluate("document.activeElement.closest('tr')?.dataset.id") == next(i for i, v in label.items() if v == "w")
    assert console_errors == []


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_node_names_carry_label_op_value_and_gradient_as_shown(page: Page, lang: str) -> None:
    open_worked(page, lang)
    data = analysis(page)
    w = next(n for n in data["nodes"] if n["label"] == "w")
    wx = next(n for n in data["nodes"] if n["label"] == "w * x")
    fwd = page.locator("#svg-forward g.node[data-label='w']").get_attribute("aria-label") or ""
    bwd = page.locator("#svg-backward g.node[data-label='w']").get_attribute("aria-label") or ""
    mul = page.locator("#svg-backward g.node[data-label='w * x']").get_attribute("aria-label") or ""
    words = {"en": ("value", "grad", "input", "used by"), "vi": ("giá trị", "gradient", "đầu vào", "được dùng bởi")}[lang]
    # first what the box shows (label, main line, then the op tag, which zooming out hides),
    # then what it does not
    assert fwd.startswith(f"w: {w['value']:g}, {words[2]} (") and f"{words[3]} w * x" in fwd, fwd
    assert bwd.startswith(f"w: {words[1]} = {w['grad']:g}, {words[2]} ({words[0]} {w['value']:g};"), bwd
    assert mul.startswith(f"w * x: {words[1]} = {wx['grad']:g}, {wx['op']} (") and f"{words[0]} {wx['value']:g}" in mul, mul
    assert page.locator("#svg-forward g.node[data-label='w']").get_attribute("aria-roledescription") == "node"  # the glossary's word in both
    # while stepping forward, a value not reached yet is not given away
    page.locator("#btn-forward").click()
    name = page.locator("#svg-forward g.node[data-label='loss']").get_attribute("aria-label") or ""
    assert {"en": "not computed yet", "vi": "chưa tính"}[lang] in name
    # mixed languages: the examples' titles are in the page's language (their registry carries
    # the Vietnamese), the other language's name is marked
    example = page.locator("#examples option[value='0']")
    assert example.get_attribute("lang") in (None, lang)
    assert ("Worked example" in (example.text_content() or "")) == (lang == "en")
    assert page.locator("#lang option[value='vi']").get_attribute("lang") == "vi"
    assert page.locator("#lang option[value='en']").get_attribute("lang") == "en"
    assert page.evaluate("document.documentElement.lang") == lang
    # the graph's short description: the keys and what it computes
    desc_id = page.locator("#svg-backward").get_attribute("aria-describedby")
    desc = page.locator(f"#{desc_id}").text_content() or ""
    assert "Home" in desc and "End" in desc and "Enter" in desc


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_keyboard_only_backward_walk_announces_the_chain_rule_for_w(page: Page, console_errors: list[str], artifacts: Path, lang: str) -> None:
    """Acceptance: by keyboard alone, step the worked example backward to w and hear
    ∂loss/∂w = … = 1 · x = 1 · 2 = 2, the same numbers the model computes."""
    open_worked(page, lang)
    data = analysis(page)
    w = next(n for n in data["nodes"] if n["label"] == "w")
    wx = next(n for n in data["nodes"] if n["label"] == "w * x")
    x = next(n for n in data["nodes"] if n["label"] == "x")
    # Tab from the top of the page to "Backward ▶"
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "btn-backward":
            break
    else:
        pytest.fail("Backward ▶ is not reachable with Tab")
    page.keyboard.press("Enter")
    live = page.locator("#step-live")
    said: list[str] = []
    for _ in range(10):
        node = page.locator("#explain").get_attribute("data-node")
        expect(live).not_to_have_text("")
        text = live.text_content() or ""
        said.append(text)
        # what is said is the step text, not KaTeX's markup
        plain = (page.locator("#explain-text code").text_content() or "").split("\n")
        assert all(line in text for line in plain), (plain, text)
        if node == w["id"]:
            break
        page.keyboard.press("ArrowRight")
    else:
        pytest.fail(f"never reached w: {said}")
    text = said[-1]
    local = f"{wx['grad']:g} · x = {wx['grad']:g} · {x['value']:g} = {w['grad']:g}"
    assert text.count("∂loss/∂w = ") == 1 and local in text, text
    assert "1 · x = 1 · 2 = 2" in text  # the worked example's numbers
    assert ("katex" not in text) and ("\\" not in text)
    counter = page.locator("#step-counter").text_content() or ""
    assert counter and text.startswith(counter), text
    assert {"en": "Chain rule", "vi": "Quy tắc chuỗi"}[lang] in text  # the sentence, in the page's language
    assert len(said) == len(set(said))  # each step said once, and each differently
    page.screenshot(path=str(artifacts / f"a11y-walk-w-{lang}.png"), clip={"x": 0, "y": 0, "width": 1500, "height": 420})
    assert console_errors == []


def test_canvas_graph_is_followed_by_keyboard_too(page: Page, console_errors: list[str], artifacts: Path) -> None:
    """Over DETAIL_MAX_NODES nodes the boxes are drawn on a canvas: one transparent SVG node
    over it holds the focus, its name and its ring, and moves along the edges like the others."""
    chain = "\n".join(["s0 = x"] + [f"s{i} = tanh(s{i - 1} * w + {i % 7 + 1})" for i in range(1, 120)])
    page.goto(f"/?e={quote(chain)}&v={quote(json.dumps({'x': '0.5', 'w': '0.8'}))}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=20_000)
    page.evaluate("document.body.dataset.ready = ''")
    page.locator("#btn-expand-all").click()
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=20_000)
    assert page.evaluate("window.chainrule.vis.nodes.length") > 400
    expect(page.locator("#svg-backward")).to_have_class(re.compile(r"\bbig\b"))
    proxy = page.locator("#svg-backward g.node.proxy")
    expect(proxy).to_have_count(1)
    proxy.focus()
    page.keyboard.press("Home")
    out = active(page)
    assert out["id"] == page.evaluate("window.chainrule.vis.outputId") and out["view"] == "svg-backward"
    vertical = page.evaluate("window.chainrule.layout.direction") == "BT"
    page.keyboard.press("ArrowDown" if vertical else "ArrowLeft")
    down = active(page)
    # the tanh under the output: its first input is s119's product plus constant
    model_ins = page.evaluate("(id) => window.chainrule.model.nodes.get(id).ins.map(e => e.source)", out["id"])
    assert down["id"] == model_ins[0] and down["name"].startswith(down["label"][:5])
    assert "grad = " in down["name"]
    expect(page.locator("#svg-backward g.node.proxy")).to_have_count(1)
    ring = page.locator("#svg-backward g.node.proxy rect.focus-ring")
    expect(ring).to_be_visible()
    box = page.locator("#svg-backward g.node.proxy").bounding_box()
    page.screenshot(path=str(artifacts / "a11y-canvas-focus.png"),
                    clip={"x": box["x"] - 60, "y": box["y"] - 60, "width": box["width"] + 120, "height": box["height"] + 120})
    page.keyboard.press("Enter")
    expect(page.locator("#inspector")).to_be_visible()
    assert page.locator("#inspector").get_attribute("data-id") == down["id"]
    assert console_errors == []


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_focus_ring_is_visible_with_3_to_1_contrast(page: Page, artifacts: Path, theme: str) -> None:
    open_worked(page)
    page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
    page.locator("#svg-backward g.node[tabindex='0']").focus()
    page.keyboard.press("Home")
    ring = page.locator("#svg-backward g.node[data-label='loss'] rect.focus-ring")
    expect(ring).to_be_visible()
    colours = page.evaluate("""() => {
      const ring = document.querySelector('#svg-backward g.node[data-label="loss"] rect.focus-ring');
      const cs = getComputedStyle(ring);
      return {ring: cs.stroke, width: parseFloat(cs.strokeWidth),
              bg: getComputedStyle(document.querySelector('#svg-backward')).backgroundColor};
    }""")
    assert colours["width"] >= 2
    assert contrast(colours["ring"], colours["bg"]) >= 3, colours
    box = page.locator("#svg-backward g.node[data-label='loss']").bounding_box()
    page.screenshot(path=str(artifacts / f"a11y-focus-ring-{theme}.png"),
                    clip={"x": box["x"] - 40, "y": box["y"] - 40, "width": box["width"] + 80, "height": box["height"] + 80})
    # a button's ring too
    page.locator("#btn-backward").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    bg = page.evaluate("getComputedStyle(document.querySelector('.stepper')).backgroundColor")
    assert contrast(outline, bg) >= 3


def contrast(a: str, b: str) -> float:
    def rgb(css: str) -> tuple[float, ...]:
        parts = css[css.index("(") + 1 : css.index(")")].replace(",", " ").split()
        return tuple(float(p) / 255 for p in parts[:3])

    def lum(c: tuple[float, ...]) -> float:
        f = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * f[0] + 0.7152 * f[1] + 0.0722 * f[2]

    hi, lo = sorted([lum(rgb(a)), lum(rgb(b))], reverse=True)
    return (hi + 0.05) / (lo + 0.05)
