"""The app page preloads its modules and the API data its first graph needs (issue 12 §6)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from chainrule.routes.pages import STATIC_DIR, module_preloads


def test_every_module_of_the_page_is_preloaded(client: TestClient) -> None:
    page = client.get("/").text
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', page))
    assert "/static/js/main.js" in preloaded and "/static/js/steps.js" in preloaded
    assert "/static/js/layout-worker.js" not in preloaded  # a worker, not a page module
    # every import of every preloaded module of ours is preloaded too (no second wave)
    for url in [u for u in preloaded if u.startswith("/static/js/")]:
        source = (STATIC_DIR / url.removeprefix("/static/")).read_text()
        base = url.rsplit("/", 1)[0]
        for spec in re.findall(r'^import[^"]*"(\.[^"]+)";', source, flags=re.M):
            parts = f"{base}/{spec}".split("/")
            resolved: list[str] = []
            for part in parts:
                if part == "..":
                    resolved.pop()
                elif part != ".":
                    resolved.append(part)
            target = "/".join(resolved)
            if (STATIC_DIR / target.removeprefix("/static/")).exists():
                assert target in preloaded, f"{url} imports {target}, not preloaded"
    for url in preloaded:
        assert client.get(url).status_code == 200, url


def test_first_graph_data_is_fetched_with_the_page(client: TestClient) -> None:
    page = client.get("/").text
    for api in ("/api/meta", "/api/ops", "/api/examples"):
        assert f'<link rel="preload" as="fetch" href="{api}" crossorigin="anonymous">' in page
    assert "/static/build/vendor.mjs" in module_preloads()  # the bundled libraries too
