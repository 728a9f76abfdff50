"""The notebook widget: made from an expression or an analysis, trained in the kernel, read
back from Python, with a static SVG where widgets cannot run; and a real notebook executed by
nbclient that calls chainrule.show(...)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import nbformat
import pytest
from nbclient import NotebookClient

import chainrule

WORKED = "y = w*x + b; loss = abs(y_true - y)"
SVG = "{http://www.w3.org/2000/svg}"


def test_show_an_expression_carries_its_analysis_and_the_front_end() -> None:
    w = chainrule.show(WORKED, x=2, y_true=4, w=3, b=1)
    assert isinstance(w, chainrule.ChainruleWidget)
    assert w.analysis["gradients"] == {"w": 2.0, "x": 3.0, "b": 1.0, "y_true": -1.0}
    assert w.step == {"mode": "none", "step": -1, "node": None}
    assert w._esm.startswith("globalThis.chainruleMeta = {") and "export" in w._esm
    assert ".chainrule-widget" in w._css and 'id="svg-backward"' in w.markup
    assert [op["name"] for op in w.ops][:1] and w.lang == "en"


def test_show_an_analysis_made_before() -> None:
    analysis = chainrule.analyze("y = x*x + x", {"x": 3})
    w = chainrule.show(analysis, lang="vi")
    assert w.analysis["gradients"] == {"x": 7.0} and w.lang == "vi"
    with pytest.raises(ValueError, match="expression"):
        w.train(["x"])


def test_where_widgets_cannot_run_the_backward_graph_is_a_picture() -> None:
    w = chainrule.show(WORKED, x=2, y_true=4, w=3, b=1)
    bundle = w.fallback()
    texts = {(t.text or "").strip() for t in ET.fromstring(bundle["image/svg+xml"]).iter(f"{SVG}text")}
    assert {"w", "x", "b", "y", "loss"} <= texts
    assert {"grad = 2", "grad = 3"} <= texts
    assert bundle["text/html"].startswith('<div class="chainrule-fallback" data-chainrule-fallback=')
    assert bundle["image/svg+xml"] in bundle["text/html"]
    # a live widget's styles hide that picture
    assert ".chainrule-fallback[data-chainrule-fallback] { display: none; }" in w._css


def test_values_may_be_named_like_the_options() -> None:
    w = chainrule.show("loss = (lang - output)**2 * values", values={"lang": 3, "output": 1, "values": 2},
                       lang="vi")
    assert w.lang == "vi"
    assert w.analysis["gradients"] == {"lang": 8.0, "output": -8.0, "values": 4.0}
    with pytest.raises(TypeError, match="w given both"):
        chainrule.show("y = w*x", {"w": 1, "x": 2}, w=3)


def test_without_anywidget_the_message_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "anywidget", None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "chainrule.notebook.widget", raising=False)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'chainrule\[notebook\]'"):
        chainrule.show("y = w*x", {"w": 1, "x": 2})


@pytest.mark.parametrize(("expression", "values", "params", "lr"), [
    (WORKED, {"x": 2, "y_true": 4, "w": 3, "b": 1}, ["w", "b"], 0.1),  # the worked example's own
    ("loss = (w*x - 100)**2", {"w": 0.5, "x": 20.0}, ["w"], 0.001),  # 0.1 diverges here
    ("loss = mean((X @ W - Y)**2)", {"X": [[1.0, 2.0]], "W": [[0.1], [0.2]], "Y": [[1.0]]}, ["W"], 0.1),
])
def test_the_training_panel_starts_where_it_shows_learning(expression: str, values: dict, params: list[str],
                                                           lr: float) -> None:
    start = chainrule.show(expression, values).source["train"]
    assert start == {"params": params, "optimizer": {"name": "sgd", "lr": lr}}
    run = chainrule.train(expression, values, params, optimizer=start["optimizer"], steps=5)
    assert run["final_loss"] < run["trajectory"][0]["loss"]


def test_the_training_panel_starts_as_asked() -> None:
    w = chainrule.show(WORKED, {"x": 2, "y_true": 4, "w": 3, "b": 1}, params=["b"],
                       optimizer={"name": "adam", "lr": 0.5})
    assert w.source["train"] == {"params": ["b"], "optimizer": {"name": "adam", "lr": 0.5}}


def test_train_in_the_kernel_then_read_the_params_back() -> None:
    w = chainrule.show(WORKED, x=2, y_true=4, w=3, b=1)
    result = w.train(["w", "b"], optimizer={"name": "sgd", "lr": 0.1}, steps=5)
    assert len(w.trajectory) == 5 and w.trajectory[0]["params"] == {"w": 3.0, "b": 1.0}
    assert w.params == result["final_params"] == pytest.approx({"w": 2.0, "b": 0.5})
    assert w.analysis["value"] == pytest.approx(0.5)  # the graphs now show the trained params


def test_a_notebook_calling_show_runs_in_a_real_kernel() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import chainrule\n"
                                  f"w = chainrule.show({WORKED!r}, x=2, y_true=4, w=3, b=1)\nw"),
        nbformat.v4.new_code_cell("print(w.analysis['gradients']['w'], w.step['mode'])"),
        nbformat.v4.new_code_cell("r = w.train(['w', 'b'], optimizer={'name': 'adam', 'lr': 0.1}, steps=3)\n"
                                  "print(len(w.trajectory), round(w.params['w'], 6))"),
    ]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    shown, picture = nb.cells[0].outputs
    assert shown["output_type"] == picture["output_type"] == "display_data"
    assert "application/vnd.jupyter.widget-view+json" in shown["data"]
    assert "<svg" in picture["data"]["image/svg+xml"] and "data-chainrule-fallback" in picture["data"]["text/html"]
    assert nb.cells[1].outputs[0]["text"] == "2.0 none\n"
    assert nb.cells[2].outputs[0]["text"] == "3 2.7\n"
