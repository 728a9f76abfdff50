"""/docs and /redoc render in Chromium from this server's own assets (issue 11 §6): no CDN,
no inline script, nothing the Content-Security-Policy refuses."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def _same_origin_only(page: Page, base_url: str) -> list[str]:
    foreign: list[str] = []
    ours = urlsplit(base_url).netloc
    page.on("request", lambda r: foreign.append(r.url)
            if urlsplit(r.url).scheme in ("http", "https") and urlsplit(r.url).netloc != ours else None)
    return foreign


def test_swagger_ui_renders_every_endpoint(page: Page, base_url: str, console_errors: list[str],
                                           artifacts: Path) -> None:
    foreign = _same_origin_only(page, base_url)
    response = page.goto("/docs")
    assert response is not None and response.ok
    assert "frame-ancestors 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".opblock-summary-path[data-path='/api/graph']")).to_be_visible(timeout=15_000)
    expect(page.locator(".opblock-summary-path[data-path='/api/train']")).to_be_visible()
    page.screenshot(path=str(artifacts / "docs-swagger.png"))
    assert foreign == [] and console_errors == []


def test_redoc_renders_the_reference(page: Page, base_url: str, console_errors: list[str],
                                     artifacts: Path) -> None:
    foreign = _same_origin_only(page, base_url)
    response = page.goto("/redoc")
    assert response is not None and response.ok
    expect(page.locator("h1").first).to_contain_text("chainrule", timeout=15_000)
    expect(page.get_by_text("/api/graph").first).to_be_attached()
    page.screenshot(path=str(artifacts / "docs-redoc.png"))
    assert foreign == [] and console_errors == []
