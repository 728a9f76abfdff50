"""The page in headless Chromium against the real API (issue 3's acceptance tests)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import api_analysis, node_text, open_app, reanalysed, wait_ready

pytestmark = pytest.mark.e2e

WORKED = "y = w*x + b\nloss = abs(y_true - y)"


def step_to_end(page: Page, n: int) -> list[str]:
    """Press → through n steps; return the node id the explanation showed at each."""
    seen = [page.locator("#explain").get_attribute("data-node")]
    for _ in range(n - 1):
        page.keyboard.press("ArrowRight")
        seen.append(page.locator("#explain").get_attribute("data-node"))
    return seen


def test_worked_example_values_then_gradients(page: Page, console_errors: list[str], artifacts: Path) -> None:
    open_app(page)
    assert page.locator("#source").input_value() == WORKED
    assert node_text(page, "forward", "y") == "7"
    assert node_text(page, "forward", "loss") == "3"
    page.screenshot(path=str(artifacts / "forward-view.png"), full_page=True)

    # Forward step-through: the computation of y written out.
    page.locator("#btn-forward").click()
    assert node_text(page, "forward", "y") == "?"
    data = api_analysis(page, WORKED, {"x": 2, "y_true": 4, "w": 3, "b": 1})
    y_index = next(
        i
        for i, nid in enumerate(data["forward_order"])
        if next(n for n in data["nodes"] if n["id"] == nid)["label"] == "y"
    )
    for _ in range(y_index):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#explain-text code")).to_have_text("y = (w * x) + b = 6 + 1 = 7")
    assert node_text(page, "forward", "y") == "7"
    assert page.locator("#explain-math .katex").count() == 1

    # Backward: nothing known until the pass reaches it, then grad w = 2 and grad b = 1.
    page.locator("#btn-backward").click()
    assert node_text(page, "backward", "w") == "grad = ?"
    visited = step_to_end(page, len(data["backward_order"]))
    assert visited == data["backward_order"]
    assert node_text(page, "backward", "w") == "grad = 2"
    assert node_text(page, "backward", "b") == "grad = 1"
    assert node_text(page, "backward", "loss") == "grad = 1"
    # the chain rule for w, written out when the pass visits it
    page.locator("#btn-backward").click()
    w_id = next(n["id"] for n in data["nodes"] if n["label"] == "w")
    while page.locator("#explain").get_attribute("data-node") != w_id:
        page.keyboard.press("ArrowRight")
    expect(page.locator("#explain-text code")).to_contain_text(
        "∂loss/∂w = ∂loss/∂(w * x) · ∂(w * x)/∂w = 1 · x = 1 · 2 = 2"
    )
    page.screenshot(path=str(artifacts / "backward-view.png"), full_page=True)
    assert console_errors == []


def test_step_through_visits_every_node(page: Page, console_errors: list[str]) -> None:
    expression = "y = x*x + x\nz = y * w + x"
    values = {"x": 3, "w": -2}
    open_app(page)
    page.locator("#source").fill(expression)
    page.locator("#source").press("Control+Enter")
    page.locator("#value-w").fill("-2")
    page.locator("#value-x").fill("3")
    page.locator("#value-x").press("Enter")
    expect(page.locator("#svg-forward g.node[data-label='z'] text.main")).to_have_text("-21")
    data = api_analysis(page, expression, values)

    page.locator("#btn-forward").click()
    forward = step_to_end(page, len(data["forward_order"]))
    assert forward == data["forward_order"]
    assert set(forward) == {n["id"] for n in data["nodes"]}
    # → at the end of the forward pass carries on into the backward pass
    page.keyboard.press("ArrowRight")
    backward = step_to_end(page, len(data["backward_order"]))
    assert backward == data["backward_order"]
    assert set(backward) == {n["id"] for n in data["nodes"]}
    # x is used four times: its gradient is the sum over its four outgoing edges
    x_id = next(n["id"] for n in data["nodes"] if n["label"] == "x")
    page.keyboard.press("Home")  # no-op key: stepping is ←/→/space only
    while page.locator("#explain").get_attribute("data-node") != x_id:
        page.keyboard.press("ArrowLeft")
    text = page.locator("#explain-text code").text_content() or ""
    uses = sum(1 for e in data["edges"] if e["source"] == x_id)
    assert uses == 4
    chain = text.splitlines()[-1]
    assert chain.split(" = ")[1].count(" · ") == uses
    assert chain.endswith(f"= {data['gradients']['x']:g}")
    assert "(-2) · 3" in chain
    # ← steps back, reset leaves step-through with everything shown
    page.locator("#btn-reset").click()
    assert page.locator("#explain").get_attribute("data-mode") == "none"
    assert console_errors == []


def test_syntax_error_is_shown_at_its_line(page: Page, console_errors: list[str], artifacts: Path) -> None:
    bad = "y = w*x + b\nloss = abs(y_true - y))"
    open_app(page)
    r = page.request.post("/api/graph", data={"expression": bad, "values": {}})
    assert r.status == 400 or r.status == 422
    err = r.json()["error"]
    assert err["code"] == "syntax_error" and err["line"] == 2
    page.locator("#source").fill(bad)
    box = page.locator("#editor-error")
    expect(box).to_be_visible()
    expect(box).to_have_attribute("data-line", "2")
    # said from the error's reason and params (the stray ')' is named), not from its English message
    assert err["params"] == {"reason": "extra", "found": ")"}
    expect(box).to_contain_text(f"Line 2, column {err['col']}")
    expect(box).to_contain_text("')'")
    expect(box).to_contain_text("Line 2")
    expect(page.locator("#gutter div.error")).to_have_text("2")
    page.screenshot(
        path=str(artifacts / "syntax-error.png"), clip={"x": 0, "y": 0, "width": 500, "height": 320}
    )
    assert page.locator("#source").get_attribute("aria-invalid") == "true"
    # the error sits under the editor, quoting line 2 with a caret at its column
    editor = page.locator("#editor").bounding_box()
    assert box.bounding_box()["y"] >= editor["y"] + editor["height"] - 1
    expect(box.locator(".quote")).to_have_text("2 │ loss = abs(y_true - y))")
    # fixing it clears the error
    page.locator("#source").fill(WORKED)
    expect(box).to_be_hidden()
    # the only console noise allowed: Chromium logging the API's 400 for the bad source
    assert [e for e in console_errors if "status of 400" not in e] == []
    assert len(console_errors) <= 1


def test_switching_to_vietnamese_changes_labels(page: Page, console_errors: list[str]) -> None:
    open_app(page)
    expect(page.locator("#h-forward")).to_have_text("Forward graph")
    page.locator("#lang").select_option("vi")
    expect(page.locator("#h-forward")).to_have_text("Đồ thị truyền tiến")
    expect(page.locator("#h-backward")).to_have_text("Đồ thị truyền ngược")
    expect(page.locator("#btn-forward")).to_have_text("Truyền tiến ▶")
    expect(page.locator("#btn-analyze")).to_have_text("Phân tích")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("#btn-reset").get_attribute("aria-label") == "Đặt lại"
    assert node_text(page, "backward", "w") == "gradient = 2"
    # remembered across visits (localStorage), even without the URL parameter
    page.goto("/")
    wait_ready(page)
    expect(page.locator("#h-forward")).to_have_text("Đồ thị truyền tiến")
    assert page.locator("#lang").input_value() == "vi"
    # every string exists in both languages
    missing = page.evaluate("""async () => {
        const {STRINGS} = await import('/static/js/i18n.js');
        const en = Object.keys(STRINGS.en), vi = Object.keys(STRINGS.vi);
        return [en.filter(k => !vi.includes(k)), vi.filter(k => !en.includes(k)),
                en.filter(k => STRINGS.en[k] === '' || STRINGS.vi[k] === '')];
    }""")
    assert missing == [[], [], []]
    # and every data-i18n key used by the page is defined
    unknown = page.evaluate("""async () => {
        const {STRINGS} = await import('/static/js/i18n.js');
        const keys = [...document.querySelectorAll('[data-i18n]')].map(e => e.dataset.i18n)
          .concat([...document.querySelectorAll('[data-i18n-aria]')].map(e => e.dataset.i18nAria));
        return keys.filter(k => !(k in STRINGS.en));
    }""")
    assert unknown == []
    page.locator("#lang").select_option("en")
    assert console_errors == []


def test_table_view_matches_graph(page: Page, console_errors: list[str]) -> None:
    open_app(page)
    page.locator("#table-view summary").click()
    rows = page.locator("#node-table tbody tr")
    nodes = page.locator("#svg-forward g.node")
    assert rows.count() == nodes.count() == 8
    for i in range(rows.count()):
        row = rows.nth(i)
        label = row.locator("th").text_content()
        value = row.locator("td.value").text_content()
        grad = row.locator("td.grad").text_content()
        assert node_text(page, "forward", label) == value
        assert node_text(page, "backward", label) == f"grad = {grad}"
    by_label = {
        rows.nth(i).locator("th").text_content(): rows.nth(i).locator("td.grad").text_content()
        for i in range(rows.count())
    }
    assert by_label["w"] == "2" and by_label["b"] == "1" and by_label["x"] == "3"
    assert console_errors == []


def test_gradient_check_and_examples(page: Page, console_errors: list[str], artifacts: Path) -> None:
    open_app(page)
    page.locator("#btn-check").click()
    rows = page.locator("#check-table tbody tr")
    expect(rows).to_have_count(4)
    for i in range(4):
        expect(rows.nth(i)).to_have_class(re.compile(r"check-(good|suspect)"))
    # every built-in example analyses and draws without an error
    options = page.locator("#examples option")
    for i in range(1, options.count()):
        value = options.nth(i).get_attribute("value")
        with reanalysed(page):
            page.locator("#examples").select_option(value)
        expect(page.locator("#editor-error")).to_be_hidden()
        assert page.locator("#svg-forward g.node").count() > 1
    with reanalysed(page):
        page.locator("#examples").select_option("2")
    page.locator("#btn-backward").click()
    expect(page.locator("#explain")).to_have_attribute("data-mode", "backward")
    page.screenshot(path=str(artifacts / "tensor-example.png"), full_page=True)
    assert console_errors == []


def test_steps_taken_while_a_graph_is_laid_out_never_draw_two_graphs_mixed(
    page: Page, console_errors: list[str]
) -> None:
    """Two graphs of 71 nodes (past the worker's threshold, so the layout takes a while), one
    with twice the other's edges: the step-through draws on every step, and steps taken while
    the next graph is being laid out must draw the previous graph with its own layout (they
    drew the new graph's edges with the old layout: "Cannot read properties of undefined")."""
    doubled = "\n".join(["a1 = x + x"] + [f"a{k} = a{k - 1} + a{k - 1}" for k in range(2, 71)])
    chain = "\n".join(["a1 = sin(x)"] + [f"a{k} = sin(a{k - 1})" for k in range(2, 71)])
    open_app(page, "/?e=x&v=%7B%22x%22%3A%220.5%22%7D")
    for source, edges in ((doubled, 140), (chain, 70), (doubled, 140), (chain, 70)):
        page.evaluate("document.body.dataset.ready = ''")
        page.locator("#source").fill(source)
        steps = page.evaluate("""() => new Promise((done) => {
            let n = 0;
            const until = performance.now() + 20000;  // a graph that is never drawn stops it too
            const step = () => {
                try {
                    n += 1;
                    window.chainrule.stepper.start('forward');  // an error here is a page error
                } finally {
                    if (document.body.dataset.ready === 'true' || performance.now() > until) done(n);
                    else setTimeout(step, 0);
                }
            };
            document.getElementById('btn-analyze').click();
            step();
        })""")
        assert steps > 1  # some steps were drawn while the layout was pending
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        expect(page.locator("#svg-forward path.edge")).to_have_count(edges)
    assert console_errors == []


def test_keyboard_and_phone_layout(page: Page, console_errors: list[str], artifacts: Path) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_app(page)
    # narrow: one graph at a time behind tabs
    expect(page.locator("#panel-forward")).to_be_visible()
    expect(page.locator("#panel-backward")).to_be_hidden()
    page.locator("#tab-backward").click()
    expect(page.locator("#panel-backward")).to_be_visible()
    expect(page.locator("#panel-forward")).to_be_hidden()
    page.screenshot(path=str(artifacts / "phone-backward.png"), full_page=True)
    # keyboard: space plays, → steps; controls are reachable with Tab
    page.locator("#btn-forward").focus()
    page.keyboard.press("Enter")
    assert page.locator("#explain").get_attribute("data-mode") == "forward"
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("ArrowRight")
    assert page.locator("#step-counter").text_content().endswith("2 of 8")
    # graph nodes are focusable; Enter opens the full value
    page.locator("#tab-forward").click()
    node = page.locator("#svg-forward g.node[data-label='w']")
    node.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#inspector")).to_be_visible()
    expect(page.locator("#inspector-body")).to_contain_text("3")
    tab_stops = page.evaluate("""() => [...document.querySelectorAll(
        'button, select, textarea, input, summary, [tabindex]')]
        .filter(e => e.offsetParent !== null || e.closest('svg'))
        .filter(e => e.tabIndex >= 0).length""")
    assert tab_stops > 15
    assert console_errors == []


def test_collapse_and_expand_a_statement(page: Page, console_errors: list[str]) -> None:
    open_app(page)
    nodes = page.locator("#svg-forward g.node")
    expect(nodes).to_have_count(8)
    page.locator("#svg-forward g.node[data-label='y'] text.toggle").click()
    expect(nodes).to_have_count(7)  # w * x folded into y
    group = page.locator("#svg-forward g.node.group[data-label='y']")
    expect(group.locator("text.op")).to_have_text("2 nodes")
    expect(page.locator("#svg-forward g.node[data-label='w * x']")).to_have_count(0)
    page.locator("#svg-forward g.node[data-label='y'] text.toggle").click()
    expect(nodes).to_have_count(8)
    page.locator("#btn-collapse-all").click()
    expect(nodes).to_have_count(6)  # y and loss each hide one operation
    page.locator("#btn-expand-all").click()
    expect(nodes).to_have_count(8)
    assert console_errors == []


def test_big_graph_collapses_by_default_and_draws_on_canvas(
    page: Page, console_errors: list[str], artifacts: Path
) -> None:
    from bench.bench_layout import make_expression

    expression, values = make_expression(1000)
    open_app(page)
    page.evaluate("document.body.dataset.ready = ''")
    # values first (no analysis yet with missing inputs), then the expression
    page.evaluate(
        """([expr, vals]) => {
        const texts = Object.fromEntries(Object.entries(vals).map(([k, v]) => [k, String(v)]));
        window.chainrule.store.set({values: texts, expression: expr, collapsed: []});
        document.getElementById('source').value = expr;
        document.getElementById('btn-analyze').click();
    }""",
        [expression, values],
    )
    wait_ready(page, timeout=20_000)
    expect(page.locator("#graph-status")).to_contain_text("groups collapsed")
    shown = page.locator("#svg-forward g.node").count()
    assert 0 < shown < 400
    assert page.locator("#svg-forward g.node.group").count() > 100
    page.screenshot(path=str(artifacts / "big-collapsed.png"))
    with reanalysed(page, timeout=20_000):
        page.locator("#btn-expand-all").click()
    expect(page.locator("#graph-status")).to_contain_text("1003 nodes")
    expect(page.locator("#panel-forward canvas.graph-canvas")).to_be_visible()
    # no SVG boxes: only the one transparent node that holds the keyboard focus (render.js)
    assert page.locator("#svg-forward g.node:not(.proxy)").count() == 0
    assert page.locator("#svg-forward g.node.proxy").count() == 1
    # the page stayed responsive and the table view still lists every node
    assert page.locator("#node-table tbody tr").count() == 1003
    # clicking a box on the canvas opens the inspector
    page.locator("#btn-fit").click()
    page.locator("#svg-forward").scroll_into_view_if_needed()  # the click above may scroll the page
    hit = page.evaluate("""() => {
        const {layout} = window.chainrule;
        const svg = document.getElementById('svg-forward');
        const m = svg.querySelector('g.viewport').transform.baseVal.consolidate().matrix;
        const r = svg.getBoundingClientRect();
        const i = layout.x.length - 1;
        return [r.left + m.e + layout.x[i] * m.a, r.top + m.f + layout.y[i] * m.d];
    }""")
    page.mouse.click(hit[0], hit[1])
    expect(page.locator("#inspector")).to_be_visible()
    page.screenshot(path=str(artifacts / "big-expanded-canvas.png"))
    assert console_errors == []


def test_user_text_is_never_markup(page: Page, console_errors: list[str]) -> None:
    open_app(page)
    page.locator("#source").fill('y = w*x + b\n<img src=x onerror="window.pwned=1">')
    expect(page.locator("#editor-error")).to_be_visible()
    assert page.locator("img").count() == 0
    assert page.evaluate("window.pwned") is None
    assert [e for e in console_errors if "status of 400" not in e] == []


def test_dark_theme_is_remembered_and_embed_renders(
    page: Page, console_errors: list[str], artifacts: Path
) -> None:
    open_app(page)
    page.locator("#btn-theme").click()
    assert page.locator("html").get_attribute("data-theme") == "dark"
    expect(page.locator("#btn-theme")).to_have_attribute("aria-pressed", "true")
    page.locator("#btn-backward").click()
    page.screenshot(path=str(artifacts / "dark-backward.png"))
    page.goto("/")
    wait_ready(page)
    assert page.locator("html").get_attribute("data-theme") == "dark"
    page.locator("#btn-theme").click()
    # the embeddable view: graphs and step-through only, same modules
    page.goto("/embed")
    wait_ready(page)
    assert node_text(page, "forward", "loss") == "3"
    assert page.locator("#examples").count() == 0
    assert console_errors == []


def test_link_restores_expression_values_and_step(page: Page, console_errors: list[str]) -> None:
    expression = "y = x*x + x"
    open_app(page)
    data = api_analysis(page, expression, {"x": 3})
    query = page.evaluate(
        """async (expr) => {
            const {serialize, parse, defaults} = await import('/static/js/state.js');
            const state = {...defaults(), expression: expr, values: {x: '3'}, mode: 'backward',
                           step: 1, lang: 'vi', view: 'backward', collapsed: ['n9']};
            const q = serialize(state);
            const back = {...defaults(), ...parse(q)};
            if (JSON.stringify(back) !== JSON.stringify(state)) throw new Error('round trip: ' + q);
            return q;
        }""",
        expression,
    )
    page.goto("/?" + query)
    wait_ready(page)
    assert page.locator("#source").input_value() == expression
    assert page.locator("#value-x").input_value() == "3"
    expect(page.locator("#explain")).to_have_attribute("data-node", data["backward_order"][1])
    expect(page.locator("#h-forward")).to_have_text("Đồ thị truyền tiến")
    # stepping updates the link
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"step=2"))
    page.evaluate("localStorage.clear()")
    assert console_errors == []


def test_vietnamese_names_the_kind_of_api_error(page: Page, console_errors: list[str]) -> None:
    open_app(page, "/?lang=vi")
    page.locator("#source").fill("y = w*x +")
    box = page.locator("#editor-error")
    expect(box).to_contain_text("Dòng 1, cột 10 — ")  # then the reason, in Vietnamese
    expect(box).not_to_contain_text("unexpected")
    page.locator("#source").fill("y = w*q")
    expect(page.locator("#value-q-note")).to_contain_text("cần một giá trị")
    assert [e for e in console_errors if "status of 400" not in e] == []
