"""The notebook widget's front end in Chromium: its ES module (the bundle the kernel sends)
mounted in a page with a fake model that implements the anywidget model interface. It draws
the same graphs as the app and writes the step-through back to the model; its training panel's
messages go to the real widget's handler in this (the kernel's) process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

import chainrule
from tests.e2e.helpers import smallest_label_px, untranslated_keys, wait_ready

pytestmark = pytest.mark.e2e

WORKED = {"x": 2, "y_true": 4, "w": 3, "b": 1}
EXPRESSION = "y = w*x + b\nloss = abs(y_true - y)"

# The anywidget model interface (get/set/save_changes/on/off/send) over a plain object; the
# widget's module is imported from a blob URL, as a notebook front end loads it. `send` goes to
# `window.kernel` (exposed by a test: the Python widget's own handler), whose reply comes back
# as a custom message, as a kernel's does.
MOUNT = """async ([esm, css, state]) => {
  const listeners = {};
  const index = (window.models ?? []).length;
  const model = {
    state, saved: 0,
    get: (k) => model.state[k],
    set: (k, v) => { model.state[k] = v; (listeners[`change:${k}`] ?? []).forEach((f) => f()); },
    save_changes: () => { model.saved += 1; },
    on: (e, f) => { (listeners[e] ??= []).push(f); },
    off: (e, f) => { listeners[e] = (listeners[e] ?? []).filter((g) => g !== f); },
    send: async (content) => {
      if (!window.kernel) return;
      const reply = await window.kernel(index, content);
      (listeners["msg:custom"] ?? []).forEach((f) => f(reply, []));
    },
  };
  window.models = [...(window.models ?? []), model];
  window.model = window.models[0];
  const style = document.createElement("style");
  style.textContent = css;
  document.head.append(style);
  const el = document.createElement("div");
  document.body.append(el);
  const url = URL.createObjectURL(new Blob([esm], { type: "text/javascript" }));
  const widget = (await import(url)).default;
  await widget.render({ model, el });
}"""


def model_state(w: chainrule.ChainruleWidget) -> dict[str, Any]:
    """The synced traits the front end reads (as a notebook front end gets them)."""
    names = ("analysis", "ops", "lang", "markup", "training_markup", "source", "step", "params")
    return {name: getattr(w, name) for name in names}


def node_texts(page: Page, view: str) -> dict[str, str]:
    return page.evaluate(
        """(view) => Object.fromEntries([...document.querySelectorAll(`#svg-${view} g.node`)]
             .map((g) => [g.dataset.label, g.querySelector('text.main').textContent]))""", view)


def test_widget_front_end_draws_the_apps_graphs_and_reports_the_step(
        page: Page, console_errors: list[str], artifacts: Path) -> None:
    # the app's own drawing of the worked example, to compare with
    page.goto("/")
    wait_ready(page)
    app = {view: node_texts(page, view) for view in ("forward", "backward")}

    w = chainrule.show(EXPRESSION, **WORKED)
    state = model_state(w)
    page.goto("about:blank")  # (away from the app and its Content-Security-Policy)
    page.set_viewport_size({"width": 960, "height": 800})
    page.set_content("<!doctype html><html><head><title>notebook</title></head><body></body></html>")
    page.evaluate(MOUNT, [w._esm, w._css, state])
    widget = page.locator(".chainrule-widget")
    expect(widget).to_have_attribute("data-ready", "true")
    for view in ("forward", "backward"):
        assert node_texts(page, view) == app[view]
    assert app["forward"]["loss"] == "3" and app["backward"]["w"] == "grad = 2"
    # in a notebook-wide output (about 900 px), the labels open readable
    assert smallest_label_px(page, ".chainrule-widget") >= 10.99, smallest_label_px(page, ".chainrule-widget")

    # step-through from the keyboard while the widget has the focus; Python's `step` follows
    widget.focus()
    widget = page.locator(".chainrule-widget").first
    widget.locator("#btn-forward").click()
    assert page.evaluate("window.model.get('step')")["mode"] == "forward"
    page.keyboard.press("ArrowRight")
    step = page.evaluate("window.model.get('step')")
    assert step["mode"] == "forward" and step["step"] == 1
    assert step["node"] == w.analysis["forward_order"][1]
    widget.locator("#btn-backward").click()
    expect(widget.locator("#explain")).to_have_attribute("data-mode", "backward")
    assert page.evaluate("window.model.get('step')")["mode"] == "backward"
    page.screenshot(path=str(artifacts / "widget.png"))

    # Python trains in the kernel: a new analysis redraws the graphs
    w.train(["w", "b"], optimizer={"name": "sgd", "lr": 0.1}, steps=5)
    page.evaluate("(a) => window.model.set('analysis', a)", w.analysis)
    expect(widget.locator("#svg-forward g.node[data-label='loss'] text.main")).to_have_text("0.5")
    assert console_errors == []


def test_two_widgets_on_one_page_step_apart(page: Page, console_errors: list[str]) -> None:
    page.goto("about:blank")
    page.set_content("<!doctype html><html><head><title>notebook</title></head><body></body></html>")
    for expression, values in ((EXPRESSION, WORKED), ("y = x*x + x", {"x": 3})):
        w = chainrule.show(expression, **values)
        page.evaluate(MOUNT, [w._esm, w._css, model_state(w)])
    first, second = page.locator(".chainrule-widget").nth(0), page.locator(".chainrule-widget").nth(1)
    expect(second).to_have_attribute("data-ready", "true")
    expect(second.locator("#svg-backward g.node[data-label='x'] text.main")).to_have_text("grad = 7")
    second.locator("#btn-backward").click()
    second.focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("window.models[1].get('step')")["step"] == 1
    assert page.evaluate("window.models[0].get('step')")["mode"] == "none"
    expect(first.locator("#explain")).to_have_attribute("data-mode", "none")
    expect(second.locator("#explain")).to_have_attribute("data-mode", "backward")
    assert console_errors == []


def test_widget_training_panel_trains_in_the_kernel(
        page: Page, console_errors: list[str], artifacts: Path) -> None:
    w = chainrule.show(EXPRESSION, **WORKED)
    page.goto("about:blank")
    page.expose_function("kernel", lambda _index, message: w.answer(message))
    page.set_content("<!doctype html><html><head><title>notebook</title></head><body></body></html>")
    page.evaluate(MOUNT, [w._esm, w._css, model_state(w)])
    widget = page.locator(".chainrule-widget")
    expect(widget).to_have_attribute("data-ready", "true")
    loss = widget.locator("#svg-forward g.node[data-label='loss'] text.main")
    expect(loss).to_have_text("3")

    # the panel opens on the expression's parameters at a learning rate that shows learning
    panel = widget.locator("#training")
    ticked = panel.locator("#train-params input[type=checkbox]:checked")
    expect(ticked).to_have_count(2)
    assert sorted(ticked.evaluate_all("boxes => boxes.map(b => b.value)")) == ["b", "w"]
    assert "0.1" in panel.locator(".hyper-input").evaluate_all("inputs => inputs.map(i => i.value)")
    panel.locator("#train-step").click()
    expect(loss).to_have_text("2.5")

    # the panel's menus come from the kernel (GET /api/datasets through the messages)
    panel.locator("#train-example").select_option(label="The worked example, trained on w and b")
    expect(panel).to_have_attribute("data-state", "running", timeout=15_000)
    expect(panel.locator("#train-formula")).to_contain_text("torch.optim.SGD")
    expect(panel.locator("#train-update code[data-param='w']")).to_have_text(
        "w ← w − lr·grad = 3 − 0.1×2 = 2.8")
    panel.locator("#train-step").click()
    expect(panel.locator("#train-counter")).to_have_text("Step 1 of 10")
    expect(loss).to_have_text("2.5")
    expect(widget.locator("#svg-forward g.node[data-label='w'] text.main")).to_have_text("2.8")
    assert page.locator("#train-loss-chart path.loss").count() == 1
    widget.screenshot(path=str(artifacts / "widget-training.png"))
    assert untranslated_keys(page) == []

    # Python reads what the panel trained: the params at its step, the run's trajectory
    assert page.evaluate("window.model.get('params')") == {"w": 2.8, "b": 0.9}
    assert len(w.trajectory) == 10 and w.trajectory[1]["params"] == {"w": 2.8, "b": 0.9}

    # an example on a dataset: another expression, its data fetched from the kernel too
    panel.locator("#train-example").select_option(label="Linear regression on the linear dataset")
    expect(panel).to_have_attribute("data-state", "running", timeout=15_000)
    start = loss.text_content()
    panel.locator("#train-step").click()
    expect(panel.locator("#train-counter")).to_contain_text("Step 1 of")
    expect(loss).not_to_have_text(start or "")
    assert float(loss.text_content() or "nan") < float(start or "nan")
    assert console_errors == []
