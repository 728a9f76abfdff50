"""The round-3 functions in the app, in headless Chromium: their forward steps are written as
typed (x[1:3], concat((a, b))) and their backward steps say in words where the gradient goes."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import open_app, step_texts

pytestmark = pytest.mark.e2e


def go_to(page: Page, button: str, node_id: str) -> None:
    page.locator(button).click()
    while page.locator("#explain").get_attribute("data-node") != node_id:
        page.keyboard.press("ArrowRight")


def open_example(page: Page, example_id: str) -> dict:
    open_app(page)
    examples = page.request.get("/api/examples").json()
    index = next(i for i, ex in enumerate(examples) if ex["id"] == example_id)
    page.locator("#examples").select_option(str(index))
    expect(page.locator("#svg-forward g.node[data-label='loss']")).to_have_count(1)
    ex = examples[index]
    r = page.request.post("/api/graph", data={"expression": ex["expression"], "values": ex["values"]})
    assert r.ok, r.text()
    return r.json()


def test_attention_head_slices_forward_and_backward(page: Page, console_errors: list[str],
                                                    artifacts: Path) -> None:
    data = open_example(page, "attention-head")
    labels = {n["id"]: n["label"] for n in data["nodes"]}
    forward = {labels[k]: v for k, v in step_texts(page, "#btn-forward").items()}
    assert forward["Q"].startswith("Q = qkv[:, 0:4] = "), forward["Q"]
    assert "index(" not in "\n".join(forward.values())
    go_to(page, "#btn-forward", next(k for k, v in labels.items() if v == "Q"))
    page.screenshot(path=str(artifacts / "new-functions-slice-forward.png"),
                    clip={"x": 0, "y": 0, "width": 1500, "height": 420})
    backward = {labels[k]: v for k, v in step_texts(page, "#btn-backward").items()}
    qkv = backward["qkv"]
    for key in ("0:4", "4:8", "8:12"):
        assert f"the gradient goes back into the positions qkv[:, {key}] took, zeros elsewhere" in qkv
    # the gradient's value is the engine's
    shown = next(n for n in data["nodes"] if n["label"] == "qkv")
    assert shown["shape"] == [5, 12]
    go_to(page, "#btn-backward", shown["id"])
    page.screenshot(path=str(artifacts / "new-functions-slice-backward.png"),
                    clip={"x": 0, "y": 0, "width": 1500, "height": 420})
    assert console_errors == []


def test_embedding_and_concat_steps(page: Page, console_errors: list[str], artifacts: Path) -> None:
    data = open_example(page, "embedding-repeat")
    labels = {n["id"]: n["label"] for n in data["nodes"]}
    forward = {labels[k]: v for k, v in step_texts(page, "#btn-forward").items()}
    assert forward["h"].startswith("h = concat((e[0], e[1], e[2])) = "), forward["h"]
    assert forward["e[0]"].startswith("e[0] = "), forward["e[0]"]
    backward = {labels[k]: v for k, v in step_texts(page, "#btn-backward").items()}
    assert "a repeated index adds up" in backward["E"]
    assert "tokens" not in backward or "not differentiable" in backward["tokens"]
    go_to(page, "#btn-backward", next(k for k, v in labels.items() if v == "E"))
    page.screenshot(path=str(artifacts / "new-functions-embedding-backward.png"),
                    clip={"x": 0, "y": 0, "width": 1500, "height": 420})
    assert console_errors == []
