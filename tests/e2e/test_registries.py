"""Every registry entry has its UI counterpart: each optimizer and each dataset of GET /api/meta
survives a share link, and a link with an optimizer trains with it in the page (POST /api/train
from the training panel). A new optimizer or dataset fails here until the UI carries it."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import wait_ready

pytestmark = pytest.mark.e2e

WORKED = "y = w*x + b\nloss = abs(y_true - y)"


def _not_default(h: dict) -> object:
    if h["kind"] == "bool":
        return not h["default"]
    if h["kind"] == "betas":
        return [0.8, 0.99]
    return h["default"] * 0.5 if h["default"] else 0.125


def _config(spec: dict) -> dict:
    config = {"name": spec["name"], **{h["name"]: _not_default(h) for h in spec["hyper"]}}
    if spec["name"] == "sgd":
        config["dampening"] = 0  # nesterov (flipped on) needs momentum > 0 and no dampening
    return config


def test_every_optimizer_and_dataset_survives_a_share_link(page: Page, console_errors: list[str]) -> None:
    meta = page.request.get("/api/meta").json()
    page.goto("/")
    wait_ready(page)
    configs = [_config(o) for o in meta["optimizers"]]
    lost = page.evaluate(
        """async ([configs, datasets]) => {
            const S = await import('/static/js/state.js');
            const share = await import('/static/js/share.js');
            const lost = [];
            const back = (state) => S.parse(new URL(share.appUrl(state)).search);
            for (const optimizer of configs) {
                const b = back({ ...S.defaults(), optimizer, compare: [optimizer] });
                if (JSON.stringify(b.optimizer) !== JSON.stringify(optimizer)) lost.push(`optimizer ${optimizer.name}`);
                if (JSON.stringify(b.compare) !== JSON.stringify([optimizer])) lost.push(`compare ${optimizer.name}`);
            }
            for (const d of datasets) {
                for (const url of [share.appUrl({ ...S.defaults(), trainData: d.name }),
                                   share.embedUrl({ ...S.defaults(), trainData: d.name })]) {
                    if (S.parse(new URL(url).search).trainData !== d.name) lost.push(`dataset ${d.name} in ${url}`);
                }
            }
            return lost;
        }""",
        [configs, meta["datasets"]],
    )
    assert lost == []
    assert console_errors == []


def test_every_optimizer_of_a_link_trains_in_the_page(page: Page, console_errors: list[str], artifacts: Path) -> None:
    meta = page.request.get("/api/meta").json()
    page.goto("/")
    wait_ready(page)
    for spec in meta["optimizers"]:
        config = _config(spec)
        url = page.evaluate(
            """async ([expression, optimizer]) => {
                const share = await import('/static/js/share.js');
                const S = await import('/static/js/state.js');
                return share.appUrl({ ...S.defaults(), expression, values: {x: "2", y_true: "4", w: "3", b: "1"},
                                      trainParams: ["w", "b"], optimizer, trainSteps: 4, trainStep: 2 });
            }""",
            [WORKED, config],
        )
        parts = urlsplit(url)
        page.goto(f"{parts.path}?{parts.query}")
        training = page.locator("#training")
        expect(training).to_have_attribute("data-position", "2", timeout=15_000)
        expect(page.locator("#train-optimizer select.opt-name")).to_have_value(spec["name"])
        row = page.locator("#train-runs tbody tr[data-run='0']")
        expect(row.locator("th")).to_contain_text(spec["title"])
        # the page trained with the link's hyper-parameters: the server's run at step 2 agrees
        want = page.request.post("/api/train", data={
            "expression": WORKED, "values": {"x": 2, "y_true": 4, "w": 3, "b": 1},
            "params": ["w", "b"], "optimizer": config, "steps": 4}).json()["trajectory"][2]
        assert json.loads(row.get_attribute("data-params") or "{}") == pytest.approx(want["params"])
        expect(page.locator("#train-update code[data-param='w']").first).to_be_visible()
    page.screenshot(path=str(artifacts / "registries-last-optimizer.png"), full_page=True)
    assert console_errors == []


def test_every_dataset_of_a_link_is_chosen_in_the_page(page: Page, console_errors: list[str]) -> None:
    meta = page.request.get("/api/meta").json()
    for d in meta["datasets"]:
        page.goto(f"/?td={d['name']}")
        wait_ready(page)
        expect(page.locator("#train-data")).to_have_value(d["name"])
        expect(page.locator("#train-data-info")).to_contain_text(f"{d['defaults']['n']}")
    assert console_errors == []
