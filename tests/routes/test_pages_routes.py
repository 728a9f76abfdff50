"""The app page preloads its modules and the API data its first graph needs (issue 12 §6); the
Learn page preloads its own and carries its first lesson (issue 21: time to the first graph)."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from chainrule.routes.pages import STATIC_DIR, module_preloads


@pytest.mark.parametrize(("path", "entries"), [
    ("/", ["/static/js/main.js", "/static/js/steps.js"]),
    ("/learn/gradient?lang=vi", ["/static/js/learn/learn.js", "/static/js/learn/first-view.js"]),
])
def test_every_module_of_the_page_is_preloaded(client: TestClient, path: str, entries: list[str]) -> None:
    page = client.get(path).text
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', page))
    assert set(entries) <= preloaded
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
    for api in ("/api/ops", "/api/examples"):
        assert f'<link rel="preload" as="fetch" href="{api}" crossorigin="anonymous">' in page
    assert inline_json(page, "chainrule-meta") == client.get("/api/meta").json()
    assert "/static/build/vendor.mjs" in module_preloads()  # the bundled libraries too


def inline_json(page: str, tag_id: str) -> object:
    found = re.search(rf'<script type="application/json" id="{tag_id}">(.*?)</script>', page, flags=re.S)
    assert found, f"no #{tag_id} in the page"
    return json.loads(found.group(1))


@pytest.mark.parametrize("path", ["/learn", "/learn/gradient", "/embed?e=y%3Dx"])
def test_pages_carry_the_registries(client: TestClient, path: str) -> None:
    assert inline_json(client.get(path).text, "chainrule-meta") == client.get("/api/meta").json()


@pytest.mark.parametrize(("query", "headers", "lang"), [
    ("?lang=vi", {}, "vi"), ("", {"Accept-Language": "vi-VN,vi;q=0.9"}, "vi"), ("?step=2", {}, "en")])
def test_the_learn_page_carries_its_first_lesson(client: TestClient, query: str, headers: dict[str, str],
                                                 lang: str) -> None:
    data = inline_json(client.get(f"/learn/momentum{query}", headers=headers).text, "learn-data")
    assert data == {"lang": lang, "path": client.get("/api/lessons", params={"lang": lang}).json(),
                    "lesson": client.get("/api/lessons/momentum", params={"lang": lang}).json()}
    index = inline_json(client.get("/learn").text, "learn-data")
    assert isinstance(index, dict) and index["lesson"] is None and len(index["path"]) > 5
