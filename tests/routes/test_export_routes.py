"""HTTP: POST /api/export/{json,dot,latex}, and the LaTeX formatter's escaping."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from chainrule.engine import analyze
from chainrule.export.latex import escape, to_latex
from chainrule.routes.export import filename

WORKED: dict[str, Any] = {"expression": "y = w*x + b; loss = abs(y_true - y)",
          "values": {"x": 2, "y_true": 4, "w": 3, "b": 1}}
MLP: dict[str, Any] = {"expression": "h = relu(x @ W1 + b1)\nlogits = h @ W2 + b2\nloss = cross_entropy(logits, labels)",
       "values": {"x": {"init": "normal", "shape": [4, 3], "seed": 0},
                  "W1": {"init": "normal", "shape": [3, 5], "scale": 0.5, "seed": 1},
                  "b1": {"init": "zeros", "shape": [5]},
                  "W2": {"init": "normal", "shape": [5, 2], "scale": 0.5, "seed": 2},
                  "b2": {"init": "zeros", "shape": [2]},
                  "labels": [0, 1, 1, 0]}}

#: every control word the LaTeX export may write; anything else came from user text
ALLOWED_COMMANDS = {
    "documentclass", "usepackage", "allowdisplaybreaks", "setlength", "parindent", "begin", "end",
    "section", "subsection", "item", "frac", "partial", "text", "underbrace", "cdot", "odot",
    "left", "right", "lVert", "rVert", "times", "mathbf", "mathrm", "infty", "min", "max",
    "textbackslash", "textasciitilde", "textasciicircum", "textless", "textgreater", "textbar",
}
HOSTILE = [
    r"\input{/etc/passwd}",
    r"}\immediate\write18{rm -rf ~}{",
    "$x$ & #1 % comment",
    "a_b^c~d",
    "\\\\newline\n\\end{document}",
    "\\catcode`\\@=11",
]


def test_export_json_is_the_analysis_as_a_download(client: TestClient) -> None:
    r = client.post("/api/export/json", json=WORKED)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.headers["content-disposition"] == 'attachment; filename="chainrule-loss.json"'
    graph = client.post("/api/graph", json=WORKED).json()
    assert r.json() == graph
    assert r.json()["gradients"] == {"w": 2.0, "x": 3.0, "b": 1.0, "y_true": -1.0}


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_export_dot_is_well_formed(client: TestClient, direction: str) -> None:
    r = client.post("/api/export/dot", json={**MLP, "direction": direction})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/vnd.graphviz")
    assert r.headers["content-disposition"] == f'attachment; filename="chainrule-loss-{direction}.gv"'
    text = r.text
    analysis = client.post("/api/graph", json=MLP).json()
    _check_dot(text, analysis, direction)


def _check_dot(text: str, analysis: dict[str, Any], direction: str) -> None:
    """A small DOT reader: one digraph, balanced braces outside strings, every node and edge."""
    assert text.startswith(f"digraph {direction} {{")
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            escaped, in_string = (not escaped and ch == "\\"), in_string and (escaped or ch != '"')
        elif ch == '"':
            in_string = True
        elif ch in "{}":
            depth += 1 if ch == "{" else -1
            assert depth >= 0
    assert depth == 0 and not in_string
    declared = set(re.findall(r"^  (n\d+) \[label=", text, re.M))
    assert declared == {n["id"] for n in analysis["nodes"]}
    edges = re.findall(r"^  (n\d+) -> (n\d+)", text, re.M)
    expected = [(e["source"], e["target"]) for e in analysis["edges"]]
    if direction == "backward":
        expected = [(t, s) for s, t in expected]
    assert sorted(edges) == sorted(expected)


def test_export_dot_parses_with_graphviz(client: TestClient) -> None:
    dot = shutil.which("dot")
    assert dot is not None, "Graphviz is missing: `make test-tools` installs it"
    text = client.post("/api/export/dot", json={**WORKED, "direction": "backward"}).text
    svg = subprocess.run([dot, "-Tsvg"], input=text, capture_output=True, text=True, check=True)
    assert "<svg" in svg.stdout


def test_export_latex_worked_example(client: TestClient) -> None:
    r = client.post("/api/export/latex", json=WORKED)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-latex")
    assert r.headers["content-disposition"] == 'attachment; filename="chainrule-loss.tex"'
    tex = r.text
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
    _check_latex_structure(tex)
    # d loss/d y: one outgoing edge, (-1) * (-1) = 1; d loss/d w = 1 * 2 = 2
    assert r"\frac{\partial L}{\partial \text{y}} &=" in tex
    assert "&= (-1) \\cdot (-1) \\\\\n&= 1\n" in tex
    assert "\\frac{\\partial L}{\\partial \\text{w}} &= " in tex
    assert "&= 1 \\cdot 3 \\\\\n&= 3\n" in tex  # d L/d x = dL/d(w*x) * w
    # one derivation per differentiated node, in backward order
    analysis = client.post("/api/graph", json=WORKED).json()
    labels = [n["label"] for n in analysis["nodes"]]
    order = [tex.index(f"\\frac{{\\partial L}}{{\\partial \\text{{{escape(lab)}}}}} &=") for lab in
             [labels[int(i[1:])] for i in analysis["backward_order"]]]
    assert order == sorted(order)


def test_export_latex_shared_input_sums_over_its_edges(client: TestClient) -> None:
    tex = client.post("/api/export/latex", json={"expression": "y = x*x + x",
                                                   "values": {"x": 3}}).text
    x_block = tex[tex.index(r"\frac{\partial L}{\partial \text{x}} &="):]
    x_block = x_block[: x_block.index(r"\end{align*}")]
    symbols, numbers, result = x_block.split("\\\\\n")
    assert symbols.count(r"\underbrace") == 3  # x*x (twice) and + x
    assert numbers.count("+") == 2
    assert result.strip() == "&= 7"


def test_export_latex_tensors_by_shape_and_norm(client: TestClient) -> None:
    r = client.post("/api/export/latex", json=MLP)
    assert r.status_code == 200, r.text
    tex = r.text
    _check_latex_structure(tex)
    assert r"\left[4\times 5;\ \lVert\cdot\rVert_F = " in tex  # the hidden layer
    assert r"\text{W2\textasciicircum{}T}" in tex  # a non-elementwise local derivative: a formula
    assert "[[" not in tex  # no element lists


def test_export_latex_non_finite_numbers() -> None:
    analysis = analyze("y = log(x)", {"x": 0})
    tex = to_latex(analysis)
    _check_latex_structure(tex)
    assert r"-\infty" in tex and r"\infty" in tex


@pytest.mark.parametrize("hostile", HOSTILE)
def test_latex_names_cannot_inject_commands(hostile: str) -> None:
    analysis = analyze("y = w*x + b; loss = abs(y_true - y)", WORKED["values"])
    for node in analysis["nodes"]:
        node["label"] = f"{node['label']}{hostile}"
    for edge in analysis["edges"]:
        edge["local_formula"] = hostile
    analysis["gradients"] = {hostile: 1.0}
    analysis["warnings"] = [hostile]
    tex = to_latex(analysis)
    _check_latex_structure(tex)
    assert "\\input" not in tex and "\\write18" not in tex and "\\catcode" not in tex


@pytest.mark.parametrize("hostile", HOSTILE)
def test_escape_prints_literally(hostile: str) -> None:
    text = escape(hostile)
    assert re.sub(r"\\(?:[a-z]+\{\}|[{}$&#%_])", "", text).count("\\") == 0
    assert "{" not in re.sub(r"\\[a-z]+\{\}|\\[{}]", "", text)
    assert "%" not in text.replace(r"\%", "")


def _check_latex_structure(tex: str) -> None:
    """Only our own commands, balanced braces and environments, no comment characters."""
    commands = set(re.findall(r"\\([A-Za-z]+)", tex))
    assert commands <= ALLOWED_COMMANDS, commands - ALLOWED_COMMANDS
    unescaped = re.sub(r"\\[\\{}$&#%_ ]", "", tex)
    assert unescaped.count("{") == unescaped.count("}")
    depth = 0
    for ch in unescaped:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert "%" not in unescaped and "#" not in unescaped
    assert tex.count(r"\begin{") == tex.count(r"\end{")


def test_export_latex_compiles_with_pdflatex(client: TestClient, tmp_path: Path) -> None:
    pdflatex = shutil.which("pdflatex")
    assert pdflatex is not None, "pdflatex is missing: `make test-tools` installs it (texlive-latex-base)"
    for i, body in enumerate([WORKED, MLP]):
        (tmp_path / f"d{i}.tex").write_text(client.post("/api/export/latex", json=body).text)
        run = subprocess.run([pdflatex, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
                              f"d{i}.tex"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stdout[-2000:]
        assert (tmp_path / f"d{i}.pdf").read_bytes().startswith(b"%PDF")


def test_export_errors_are_the_contract_s(client: TestClient) -> None:
    r = client.post("/api/export/latex", json={"expression": "y = x +", "values": {}})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "syntax_error"
    r = client.post("/api/export/pdf", json=WORKED)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"
    r = client.post("/api/export/dot", json={**WORKED, "direction": "sideways"})
    assert r.status_code == 422


def test_export_latex_node_limit() -> None:
    analysis = analyze(" + ".join(f"x{i}" for i in range(2100)), {f"x{i}": 1 for i in range(2100)})
    with pytest.raises(Exception, match="limited to"):
        to_latex(analysis)


@pytest.mark.parametrize(("name", "ext", "direction", "expected"), [
    ("loss", "tex", None, "chainrule-loss.tex"),
    (None, "json", None, "chainrule-graph.json"),
    ("a/../b c\"d", "gv", "backward", "chainrule-a-b-c-d-backward.gv"),
    ("lỗi", "tex", None, "chainrule-l-i.tex"),
    ("ổ", "tex", None, "chainrule-graph.tex"),
])
def test_filename_is_sane(name: str | None, ext: str, direction: str | None, expected: str) -> None:
    assert filename(name, ext, direction) == expected


# --------------------------------------------------------------------------- svg and png


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_export_svg_is_xml_with_every_node_and_number(client: TestClient, direction: str) -> None:
    r = client.post("/api/export/svg", json={**WORKED, "direction": direction})
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert f"-{direction}.svg" in r.headers["content-disposition"]
    root = ET.fromstring(r.content)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert len(list(root.iter("{http://www.w3.org/2000/svg}rect"))) == 8 + 1  # nodes + background
    for label in ("w", "x", "b", "y_true", "y", "loss", "w * x", "y_true - y"):
        assert label in texts
    if direction == "forward":
        assert {"= 7", "= 3", "= 6"} <= set(texts)
    else:
        assert {"grad = 2", "grad = 3", "grad = -1"} <= set(texts)
        assert {"2", "3", "-1", "sign(y_true - y)"} & set(texts) >= {"2", "3", "-1"}


def test_export_png_is_a_png_of_the_picture(client: TestClient) -> None:
    r = client.post("/api/export/png", json={**WORKED, "direction": "backward"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", r.content[16:24])
    assert width > 1000 and 100 < height < width


def test_pictures_of_tensor_graphs_show_shapes(client: TestClient) -> None:
    body = {"expression": "y = sum(relu(x @ W))", "values": {"x": [[1.0, 2.0]], "W": [[1.0], [-1.0]]}}
    texts = [t.text for t in ET.fromstring(client.post("/api/export/svg", json=body).content)
             .iter("{http://www.w3.org/2000/svg}text")]
    assert "= tensor 1×2" in texts and "= tensor 2×1" in texts


def test_pictures_have_a_node_limit(client: TestClient) -> None:
    from chainrule.export import picture

    body = {"expression": "y = " + " + ".join(["x"] * (picture.MAX_DRAWN_NODES + 1)), "values": {"x": 1}}
    r = client.post("/api/export/png", json=body)
    assert r.status_code == 400 and r.json()["error"]["code"] == "limit_exceeded"


def test_export_pytorch_is_a_script_that_passes_its_asserts(client) -> None:
    pytest.importorskip("torch", reason="torch is a test dependency (the bench extra)")
    r = client.post("/api/export/pytorch", json={
        "expression": "y = w*x + b; loss = abs(y_true - y)", "values": {"x": 2, "y_true": 4, "w": 3, "b": 1},
        "training": {"params": ["w", "b"], "optimizer": {"name": "sgd", "lr": 0.1}, "steps": 3}})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/x-python")
    assert r.headers["content-disposition"] == 'attachment; filename="chainrule-loss-pytorch.py"'
    assert "torch.optim.SGD([inputs['w'], inputs['b']], lr=0.1" in r.text
    exec(compile(r.text, "<export>", "exec"), {})


@pytest.mark.parametrize(("body", "code"), [
    ({"expression": "y = w*", "values": {}}, "syntax_error"),
    ({"expression": "y = w*x", "values": {"w": 1}}, "missing_value"),
    ({"expression": "y = w*x", "values": {"w": 1, "x": 2}, "training": {"params": ["q"]}}, "bad_value"),
    ({"expression": "y = w*x", "values": {"w": 1, "x": 2}, "training": {"params": ["w"], "steps": -1}}, "bad_value"),
])
def test_export_pytorch_rejects_bad_input_with_a_4xx(client, body, code) -> None:
    r = client.post("/api/export/pytorch", json=body)
    assert 400 <= r.status_code < 500
    assert r.json()["error"]["code"] == code


def test_export_html_is_one_self_contained_page(client) -> None:
    r = client.post("/api/export/html", json={"expression": "y = w*x + b; loss = abs(y_true - y)",
                                              "values": {"x": 2, "y_true": 4, "w": 3, "b": 1}, "lang": "vi"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["content-disposition"] == 'attachment; filename="chainrule-loss.html"'
    html = r.text
    assert "default-src 'none'" in html and '<html lang="vi"' in html
    assert not re.search(r"""(src|href)=["']?(https?:|//|/static)""", html)  # nothing to fetch
    assert re.search(r"@font-face\{[^}]*url\(data:font/woff2;base64,", html)  # the fonts inlined
    data = re.search(r'<script type="application/json" id="chainrule-data">(.*?)</script>', html, re.S)
    assert data is not None and '"gradients":{"w":2.0' in data.group(1)


def test_export_html_keeps_user_text_out_of_the_markup(client) -> None:
    expression = "y = x  # </script><img src=x onerror=alert(1)>"
    r = client.post("/api/export/html", json={"expression": expression, "values": {"x": 1}})
    assert r.status_code == 200
    page, _, bundle = r.text.partition('<script type="module">')
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("</script>") == 2 and bundle.count("</script>") == 1  # none from the text


def test_export_html_rejects_bad_input_with_a_4xx(client) -> None:
    r = client.post("/api/export/html", json={"expression": "y = (", "values": {}})
    assert r.status_code == 400 and r.json()["error"]["code"] == "syntax_error"


def test_export_pytorch_is_bounded_like_a_response(client, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import chainrule.routes.export as export_routes

    body = {"expression": "loss = sum(x * 2)", "values": {"x": [1, 2, 3, 4, 5, 6]}}
    assert client.post("/api/export/pytorch", json=body).status_code == 200
    monkeypatch.setattr(export_routes, "LIMITS", dataclasses.replace(export_routes.LIMITS, max_response_numbers=20))
    r = client.post("/api/export/pytorch", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "limit_exceeded" and "CHAINRULE_MAX_RESPONSE_NUMBERS" in r.json()["error"]["message"]
