"""HTTP: GET /oembed for links to this server's app and embed view."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from chainrule.routes.share import DEFAULT_HEIGHT, DEFAULT_WIDTH, embed_src

BASE = "http://testserver"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _iframe(markup: str) -> dict[str, str | None]:
    parser = _Tags()
    parser.feed(markup)
    assert [t for t, _ in parser.tags] == ["iframe"], markup
    return parser.tags[0][1]


@pytest.mark.parametrize("path", ["/", "/embed", ""])
def test_oembed_rich_json_for_this_server(client: TestClient, path: str) -> None:
    query = "e=" + quote("y = w*x + b; loss = abs(y_true - y)") + "&view=backward&step=3"
    r = client.get("/oembed", params={"url": f"{BASE}{path}?{query}"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["type"] == "rich" and body["version"] == "1.0"
    assert body["provider_name"] == "chainrule"
    assert body["provider_url"] == f"{BASE}/"
    assert body["title"] == "chainrule: loss = abs(y_true - y)"
    assert (body["width"], body["height"]) == (DEFAULT_WIDTH, DEFAULT_HEIGHT)
    frame = _iframe(body["html"])
    assert frame["src"] == f"{BASE}/embed?{query}"
    assert (frame["width"], frame["height"]) == (str(DEFAULT_WIDTH), str(DEFAULT_HEIGHT))
    assert "cache_age" not in body


def test_oembed_iframe_opens_the_embed_view(client: TestClient) -> None:
    body = client.get("/oembed", params={"url": f"{BASE}/?e=x"}).json()
    src = _iframe(body["html"])["src"]
    assert src is not None
    page = client.get(src.removeprefix(BASE))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(("maxwidth", "maxheight", "size"), [
    (400, None, (400, DEFAULT_HEIGHT)),
    (None, 300, (DEFAULT_WIDTH, 300)),
    (320, 240, (320, 240)),
    (5000, 5000, (DEFAULT_WIDTH, DEFAULT_HEIGHT)),  # a maximum, not a request to grow
])
def test_oembed_honours_maxwidth_maxheight(client: TestClient, maxwidth: int | None,
                                           maxheight: int | None, size: tuple[int, int]) -> None:
    params: dict[str, str | int] = {"url": f"{BASE}/embed?e=x"}
    if maxwidth:
        params["maxwidth"] = maxwidth
    if maxheight:
        params["maxheight"] = maxheight
    body = client.get("/oembed", params=params).json()
    assert (body["width"], body["height"]) == size
    frame = _iframe(body["html"])
    assert (frame["width"], frame["height"]) == (str(size[0]), str(size[1]))


def test_oembed_escapes_attribute_values(client: TestClient) -> None:
    hostile = '"><script>alert(1)</script><x a=\'&'
    url = f"{BASE}/embed?e={hostile}"
    body = client.get("/oembed", params={"url": url}).json()
    assert "<script" not in body["html"]
    frame = _iframe(body["html"])  # exactly one tag: nothing broke out of the attributes
    assert frame["src"] == f"{BASE}/embed?e={hostile}"
    assert body["title"].startswith("chainrule: \"><script>")
    assert html.escape(body["title"]) in body["html"]


@pytest.mark.parametrize("url", [
    "http://example.org/embed?e=x",  # another host
    "http://testserver:8080/embed",  # another port
    "http://testserver.evil.org/",
    "http://user:pw@testserver/embed",
    "javascript:alert(1)//testserver/embed",
    "ftp://testserver/embed",
    "//testserver/embed",
    "/embed?e=x",
    "http://testserver/api/graph",
    "http://testserver/embedded",
    "http://testserver/static/js/main.js",
    "http://[::1/embed",  # malformed host
    "http://testserver:99999/",  # port out of range
    "",
])
def test_oembed_404_for_other_urls(client: TestClient, url: str) -> None:
    r = client.get("/oembed", params={"url": url})
    assert r.status_code == 404, r.text
    assert r.json()["error"]["code"] == "not_found"


def test_oembed_xml_is_not_implemented(client: TestClient) -> None:
    r = client.get("/oembed", params={"url": f"{BASE}/embed", "format": "xml"})
    assert r.status_code == 501
    assert r.json()["error"]["code"] == "not_implemented"


def test_oembed_requires_a_url_and_positive_sizes(client: TestClient) -> None:
    assert client.get("/oembed").json()["error"]["code"] == "invalid_request"
    r = client.get("/oembed", params={"url": f"{BASE}/", "maxwidth": 0})
    assert r.status_code == 422


@pytest.mark.parametrize(("url", "base", "src"), [
    ("https://chain.example/embed?e=x", "http://chain.example/", "https://chain.example/embed?e=x"),
    ("http://CHAIN.example:80/", "http://chain.example/", "http://chain.example/embed"),
    ("http://h:8000/course/embed?a=1#f", "http://h:8000/course/", "http://h:8000/course/embed?a=1#f"),
    ("http://h:8000/course", "http://h:8000/course/", "http://h:8000/course/embed"),
    ("http://h:8000/embed", "http://h:8000/course/", None),
    ("http://h:8000/other/embed", "http://h:8000/course/", None),
])
def test_embed_src_origin_and_root_path(url: str, base: str, src: str | None) -> None:
    assert embed_src(url, base) == src
