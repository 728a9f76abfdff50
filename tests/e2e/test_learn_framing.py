"""Framing as a rule: every step of every lesson, at a laptop's 1366×768 and a phone's
390×844, shows every node its text names (view.frame) inside the visible graph (and, for a
graph step, the graph inside the lesson's frame); a screenshot of each step is kept for a
person to look at. The step's formula fits its box (scaled down, never cut) and, with the
graph, is wholly in the frame's view."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect

pytestmark = pytest.mark.e2e

VIEWPORTS = {"laptop": (1366, 768), "phone": (390, 844)}


def inside(inner: dict[str, float], outer: dict[str, float], slack: float = 1.0) -> bool:
    return (inner["x"] >= outer["x"] - slack and inner["y"] >= outer["y"] - slack
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack)


def shown_graph(frame: FrameLocator) -> str:
    """The id of the graph svg that is on screen (a narrow page shows one of the two)."""
    for view in ("forward", "backward"):
        box = frame.locator(f"#svg-{view}").bounding_box()
        if box and box["width"] > 0 and box["height"] > 0:
            return f"svg-{view}"
    raise AssertionError("no graph is shown")


def outside_nodes(page: Page, names: list[str], scrolled_to_graph: bool) -> list[str]:
    frame = page.frame_locator("#learn-frame")
    svg_id = shown_graph(frame)
    svg = frame.locator(f"#{svg_id}").bounding_box()
    iframe = page.locator("#learn-frame").bounding_box()
    assert svg and iframe
    out = []
    for name in names:
        node = frame.locator(f"#{svg_id} g.node[data-label='{name}'] rect.box").first
        box = node.bounding_box()
        if box is None or not inside(box, svg) or (scrolled_to_graph and not inside(box, iframe)):
            out.append(f"{name} at {box} (graph {svg})")
    return out


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_every_step_frames_the_nodes_it_names(browser: Browser, live_server: str, artifacts: Path,
                                              device: str) -> None:
    width, height = VIEWPORTS[device]
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=live_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    lessons = page.request.get("/api/lessons").json()
    failures = []
    for number, item in enumerate(lessons, start=1):
        data = page.request.get(f"/api/lessons/{item['id']}?lang=en").json()
        for k, step in enumerate(data["steps"], start=1):
            page.goto(f"/learn/{item['id']}?step={k}&lang=en")
            frame = page.frame_locator("#learn-frame")
            expect(frame.locator("body")).to_have_attribute("data-ready", "true", timeout=20_000)
            expect(frame.locator("#source")).to_have_value(step["view"]["state"]["expression"], timeout=10_000)
            names = step["view"]["frame"]
            graph = shown_graph(frame)
            expect(frame.locator(f"#{graph} g.node[data-label='{names[0]}']").first).to_be_attached(timeout=10_000)
            page.wait_for_timeout(400)  # the frame is applied once the layout is drawn
            page.locator("#learn-frame").scroll_into_view_if_needed()
            # a step that brings another panel into view (the probe, the training charts) is
            # checked for its graph's frame; an embed step, also for the graph being in view
            view = step["view"]
            missed = outside_nodes(page, names, view["page"] == "embed" and not view.get("focus"))
            if missed:
                failures.append(f"{item['id']} step {k}: {missed}")
            # with the graph, the step's arithmetic above it is wholly in the frame's view
            if view["page"] == "embed" and not view.get("focus"):
                expect(frame.locator("body")).to_have_attribute("data-focused", re.compile("."), timeout=10_000)
                cut = frame.locator("#explain-math").evaluate("""el => {
                    if (!el.getClientRects().length || !el.textContent.trim()) return 0;
                    const r = el.getBoundingClientRect();
                    return Math.max(0, -r.top) + Math.max(0, r.bottom - innerHeight);
                }""")
                if cut > 1:
                    failures.append(f"{item['id']} step {k}: {cut:.0f} px of the step's arithmetic out of view")
                missed = outside_nodes(page, names, True)
                if missed:
                    failures.append(f"{item['id']} step {k}, with the arithmetic in view: {missed}")
            # a panel the step brings into view is not under the sticky step bar
            focus = view.get("focus") or ("train-loss-chart" if view["state"].get("trainParams") else None)
            if focus:
                expect(frame.locator("body")).to_have_attribute("data-focused", focus, timeout=10_000)
                covered = frame.locator(f"#{focus}").evaluate("""el => {
                    const bar = document.querySelector('.stepper');
                    if (!bar || getComputedStyle(bar).position !== 'sticky') return 0;
                    const b = bar.getBoundingClientRect(), e = el.getBoundingClientRect();
                    return Math.min(b.bottom, e.bottom) - Math.max(b.top, e.top);
                }""")
                if covered > 1:
                    failures.append(f"{item['id']} step {k}: the step bar overlaps {covered} px of #{focus}")
            # the step's formula fits its box (scaled down where needed), never cut
            overflow = frame.locator("#explain-math").evaluate(
                "el => el.clientWidth ? el.scrollWidth - el.clientWidth : 0")
            if overflow > 1:
                failures.append(f"{item['id']} step {k}: the formula is {overflow} px wider than its box")
            page.screenshot(path=str(artifacts / f"framing-{device}-{number}-{item['id']}-{k}.png"))
    context.close()
    assert not failures, "\n".join(failures)
    assert errors == []
