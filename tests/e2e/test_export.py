"""The export menu: SVG and PNG of both graphs (drawn as SVG, and as canvas for big graphs),
analysis JSON, Graphviz DOT and the LaTeX derivation, downloaded from the page."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import open_app, reanalysed, wait_ready

pytestmark = pytest.mark.e2e

SVG_NS = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LABELS = {"w", "x", "b", "y", "y_true", "loss"}


def export(page: Page, kind: str, direction: str | None = None) -> tuple[str, bytes]:
    """Choose a menu item with the mouse; return the suggested file name and the bytes."""
    selector = f'[data-export="{kind}"]' + (f'[data-direction="{direction}"]' if direction else "")
    with page.expect_download() as info:
        page.locator("#btn-export").click()
        page.locator(selector).click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def svg_texts(data: bytes) -> list[str]:
    root = ET.fromstring(data)
    assert root.tag == f"{SVG_NS}svg"
    return [(t.text or "").strip() for t in root.iter(f"{SVG_NS}text")]  # (edge labels hold a <title>)


def test_svg_and_png_of_both_graphs(page: Page, console_errors: list[str], artifacts: Path) -> None:
    open_app(page)
    page.locator("#btn-forward").click()  # a step-through in progress does not hide values in exports
    name, data = export(page, "svg", "forward")
    assert name == "chainrule-loss-forward.svg"
    texts = svg_texts(data)
    assert set(texts) >= LABELS
    for value in ("3", "2", "1", "4", "6", "7", "-3"):
        assert value in texts
    assert b"<style" not in data and b"style=" in data  # inline styles, no stylesheet
    (artifacts / "export-forward.svg").write_bytes(data)

    name, data = export(page, "svg", "backward")
    assert name == "chainrule-loss-backward.svg"
    texts = svg_texts(data)
    assert set(texts) >= LABELS
    assert {"grad = 2", "grad = 3", "grad = -1"} <= set(texts)
    assert {"-1", "2", "3"} <= set(texts)  # local gradients on the edges
    (artifacts / "export-backward.svg").write_bytes(data)

    for direction in ("forward", "backward"):
        name, data = export(page, "png", direction)
        assert name == f"chainrule-loss-{direction}.png"
        assert data.startswith(PNG_SIGNATURE)
        (artifacts / f"export-{direction}.png").write_bytes(data)
    # 2x: the PNG is twice the SVG's size (IHDR width/height)
    svg_width = int(ET.fromstring((artifacts / "export-backward.svg").read_bytes()).get("width") or 0)
    assert int.from_bytes(data[16:20], "big") == 2 * svg_width

    # the SVG renders standalone (no page stylesheet): screenshot it on its own
    page.goto((artifacts / "export-backward.svg").resolve().as_uri())
    page.screenshot(path=str(artifacts / "export-backward-standalone.png"))
    assert console_errors == []


def test_server_exports_download_with_the_server_filename(page: Page, console_errors: list[str]) -> None:
    open_app(page)
    name, data = export(page, "json")
    assert name == "chainrule-loss.json"
    analysis = json.loads(data)
    assert analysis["value"] == 3 and analysis["gradients"]["w"] == 2

    name, data = export(page, "dot", "forward")
    assert name == "chainrule-loss-forward.gv"
    dot = data.decode()
    assert re.match(r"\s*(strict\s+)?digraph\b[^{]*\{", dot) and dot.rstrip().endswith("}")
    assert dot.count("{") == dot.count("}")
    assert len(re.findall(r"->", dot)) == len(analysis["edges"])
    name, data = export(page, "dot", "backward")
    assert name == "chainrule-loss-backward.gv" and data.decode().count("->") == len(analysis["edges"])

    name, data = export(page, "latex", None)
    assert name == "chainrule-loss.tex"
    tex = data.decode()
    assert "\\partial" in tex or "\\frac" in tex
    assert tex.count("{") == tex.count("}")
    assert tex.count("\\begin{") == tex.count("\\end{")
    expect(page.locator("#share-status")).to_have_text("Downloaded chainrule-loss.tex")
    assert console_errors == []


def test_export_menu_is_keyboard_accessible(page: Page, console_errors: list[str], artifacts: Path) -> None:
    open_app(page)
    button = page.locator("#btn-export")
    button.focus()
    page.keyboard.press("Enter")
    menu = page.locator("#export-menu")
    expect(menu).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    items = page.locator('#export-menu [role="menuitem"]')
    expect(items.first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(items.nth(1)).to_be_focused()
    page.keyboard.press("End")
    expect(items.last).to_be_focused()
    page.keyboard.press("ArrowDown")  # wraps
    expect(items.first).to_be_focused()
    page.screenshot(path=str(artifacts / "export-menu.png"))
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")
    # ArrowUp opens on the last item; Enter exports it (LaTeX)
    page.keyboard.press("ArrowUp")
    expect(items.last).to_be_focused()
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    assert info.value.suggested_filename == "chainrule-loss.tex"
    expect(menu).to_be_hidden()
    # Vietnamese labels
    page.locator("#lang").select_option("vi")
    expect(button).to_have_text("Xuất ▾")
    expect(items.first).to_have_text("Đồ thị truyền tiến · SVG")
    page.locator("#lang").select_option("en")
    assert console_errors == []


def test_big_graph_on_canvas_exports_svg_from_layout_and_png(
    page: Page, console_errors: list[str], artifacts: Path
) -> None:
    terms = " + ".join(f"sin(x*{i + 1}) * w" for i in range(150))
    open_app(page)
    page.evaluate(
        """(expr) => {
            window.chainrule.store.set({expression: expr, values: {x: '0.5', w: '2'}, collapsed: []});
            document.getElementById('source').value = expr;
            document.body.dataset.ready = '';
            document.getElementById('btn-analyze').click();
        }""",
        terms,
    )
    wait_ready(page, timeout=30_000)
    with reanalysed(page, timeout=30_000):
        page.locator("#btn-expand-all").click()
    expect(page.locator("#svg-forward")).to_have_class(re.compile(r"\bbig\b"))
    shown = page.evaluate("window.chainrule.model.nodes.size")
    assert shown > 400

    _, data = export(page, "svg", "backward")
    root = ET.fromstring(data)
    boxes = [g for g in root.iter(f"{SVG_NS}g") if g.get("data-label") is not None]
    assert len(boxes) == shown
    assert "w" in svg_texts(data)
    _, data = export(page, "png", "forward")
    assert data.startswith(PNG_SIGNATURE)
    assert int.from_bytes(data[16:20], "big") > 1000  # the whole graph, not the viewport
    (artifacts / "export-big-forward.png").write_bytes(data)
    assert console_errors == []


def test_pytorch_export_downloads_a_script_that_passes_with_torch(page: Page, console_errors: list[str],
                                                                  artifacts: Path) -> None:
    open_app(page)
    name, data = export(page, "pytorch")
    assert name == "chainrule-loss-pytorch.py"
    script = data.decode()
    assert "    loss = torch.abs(y_true - y)\n" in script
    (artifacts / name).write_text(script)
    namespace: dict = {}
    exec(compile(script, name, "exec"), namespace)  # our own generated script, real torch
    assert float(namespace["inputs"]["w"].grad) == 2.0
    page.locator("#lang").select_option("vi")
    page.locator("#btn-export").click()
    expect(page.locator('[data-export="pytorch"]')).to_have_text("Mã PyTorch tự kiểm tra kết quả · .py")
    page.locator("#lang").select_option("en")
    assert console_errors == []


def test_standalone_html_export_from_the_menu(page: Page, console_errors: list[str]) -> None:
    open_app(page)
    name, data = export(page, "html")
    assert name == "chainrule-loss.html"
    html = data.decode()
    assert '<html lang="en"' in html and "default-src 'none'" in html
    page.locator("#lang").select_option("vi")
    name, data = export(page, "html")
    assert '<html lang="vi"' in data.decode()
    page.locator("#lang").select_option("en")
    assert console_errors == []
