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


def test_where_widgets_cannot_run_the_backward_graph_is_an_svg() -> None:
    data, _ = chainrule.show(WORKED, x=2, y_true=4, w=3, b=1)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    texts = {(t.text or "").strip() for t in ET.fromstring(data["image/svg+xml"]).iter(f"{SVG}text")}
    assert {"w", "x", "b", "y", "loss"} <= texts
    assert {"grad = 2", "grad = 3"} <= texts


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
    shown = nb.cells[0].outputs[0]
    assert shown["output_type"] == "execute_result"
    assert "application/vnd.jupyter.widget-view+json" in shown["data"]
    assert "<svg" in shown["data"]["image/svg+xml"]
    assert nb.cells[1].outputs[0]["text"] == "2.0 none\n"
    assert nb.cells[2].outputs[0]["text"] == "3 2.7\n"
