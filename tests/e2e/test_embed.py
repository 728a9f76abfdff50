"""/embed inside an iframe on a page from another loopback origin: renders, posts its height,
is allowed by the CSP's frame-ancestors, and read-only mode hides editing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Frame, Page, expect

from tests.e2e.helpers import wait_ready

pytestmark = pytest.mark.e2e

WORKED = "y = w*x + b\nloss = abs(y_true - y)"
QUERY = ("e=" + quote(WORKED) + "&v=" + quote('{"x":"2","y_true":"4","w":"3","b":"1"}'))

#: The host page: an iframe of the app and the listener of docs/guide.md (Embedding), recording every message.
HOST_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>course page</title><link rel="icon" href="data:,"></head>
<body style="margin:0;font-family:sans-serif">
<h1>Lecture 4: backpropagation</h1>
<iframe id="frame" data-chainrule width="100%" height="300" style="border:0;width:100%" title="chainrule"></iframe>
<p>After the frame.</p>
<script>
window.messages = [];
addEventListener("message", (event) => {
  window.messages.push({origin: event.origin, data: event.data, fromFrame: event.source === document.getElementById("frame").contentWindow});
  if (event.origin !== window.APP || event.data?.type !== "chainrule:height") return;
  for (const frame of document.querySelectorAll("iframe[data-chainrule]"))
    if (frame.contentWindow === event.source) frame.style.height = event.data.height + "px";
});
const params = new URLSearchParams(location.search);
window.APP = params.get("app");
document.getElementById("frame").src = window.APP + "/embed?" + params.get("q");
</script>
</body></html>
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def host_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A static server on another loopback origin (127.0.0.2) serving the host page."""
    root = tmp_path_factory.mktemp("host")
    (root / "course.html").write_text(HOST_PAGE, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.2", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.2:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def open_host(page: Page, host_origin: str, base_url: str, query: str) -> Frame:
    page.goto(f"{host_origin}/course.html?app={quote(base_url)}&q={quote(query)}")
    frame_el = page.locator("#frame")
    frame = frame_el.element_handle().content_frame()
    assert frame is not None
    wait_ready(frame)
    return frame


def heights(page: Page, base_url: str) -> list[int]:
    msgs = page.evaluate("window.messages")
    return [m["data"]["height"] for m in msgs
            if m["origin"] == base_url and m["fromFrame"] and m["data"].get("type") == "chainrule:height"]


def test_embed_in_a_cross_origin_iframe_posts_its_height(
    page: Page, console_errors: list[str], host_origin: str, base_url: str, artifacts: Path
) -> None:
    response = page.request.get(f"{base_url}/embed?{QUERY}")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors *" in csp and "script-src 'self'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"

    frame = open_host(page, host_origin, base_url, QUERY + "&ro=1")
    assert frame.locator("#svg-forward g.node[data-label='loss'] text.main").text_content() == "3"
    page.wait_for_function("() => window.messages.some((m) => m.data && m.data.type === 'chainrule:height')")
    posted = heights(page, base_url)
    assert posted and all(isinstance(h, int) and h > 200 for h in posted)
    # the host sized the frame to the last height, and it fits the content (no inner scroll)
    expect(page.locator("#frame")).to_have_attribute("style", f"border: 0px; width: 100%; height: {posted[-1]}px;")
    inner = frame.evaluate("[document.documentElement.scrollHeight, document.documentElement.clientHeight]")
    assert inner[0] <= inner[1] + 1

    # no chrome: no header, examples or export; read-only: the editor is not shown
    assert frame.locator(".app-header, #examples, #btn-export").count() == 0
    expect(frame.locator("#source")).to_be_hidden()
    # step-through still works in read-only mode, and the frame reports a new height
    frame.locator("#btn-backward").click()
    frame.locator("#btn-next").click()
    expect(frame.locator("#step-counter")).to_have_text("Backward step 2 of 8")
    seen = len(page.evaluate("window.messages"))
    page.set_viewport_size({"width": 700, "height": 1000})
    # narrower, so taller: the frame posts a height other than the last one
    page.wait_for_function(
        """(last) => window.messages.some((m, i) => m.data && m.data.type === 'chainrule:height'
                                                   && i >= last.seen && m.data.height !== last.height)""",
        arg={"seen": seen, "height": posted[-1]})
    assert heights(page, base_url)[-1] != posted[-1]
    assert "mode=backward" in (frame.locator("#embed-open").get_attribute("href") or "")
    page.screenshot(path=str(artifacts / "embed-host.png"), full_page=True)
    assert console_errors == []


def test_read_only_editor_panel_cannot_be_edited(
    page: Page, console_errors: list[str], host_origin: str, base_url: str, artifacts: Path
) -> None:
    frame = open_host(page, host_origin, base_url, QUERY + "&ro=1&panels=editor,forward")
    source = frame.locator("#source")
    expect(source).to_be_visible()
    expect(source).to_be_disabled()
    expect(source).to_have_value(WORKED)
    expect(frame.locator("#value-x")).to_be_disabled()
    expect(frame.locator("#panel-backward")).to_be_hidden()
    expect(frame.locator(".stepper")).to_be_hidden()
    expect(frame.locator("#panel-forward")).to_be_visible()
    page.screenshot(path=str(artifacts / "embed-readonly-editor.png"), full_page=True)
    assert console_errors == []


def test_editable_embed_analyses_edits(
    page: Page, console_errors: list[str], host_origin: str, base_url: str
) -> None:
    frame = open_host(page, host_origin, base_url, QUERY + "&panels=editor,steps,backward")
    expect(frame.locator("#panel-forward")).to_be_hidden()
    expect(frame.locator(".view-tabs")).to_be_hidden()
    frame.locator("#value-w").fill("5")
    expect(frame.locator("#svg-backward g.node[data-label='w'] text.main")).to_have_text("grad = 2")
    expect(frame.locator("#svg-backward g.node[data-label='x'] text.main")).to_have_text("grad = 5")
    assert console_errors == []


def test_frame_ancestors_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from chainrule.main import create_app

    monkeypatch.setenv("CHAINRULE_FRAME_ANCESTORS", "'self' https://course.example")
    with TestClient(create_app()) as client:
        csp = client.get("/embed").headers["content-security-policy"]
    assert "frame-ancestors 'self' https://course.example" in csp
