"""Headers and policy: CSP, nosniff, Referrer-Policy, CORS, and the optional rate limit."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from chainrule.main import create_app
from chainrule.ratelimit import RateLimit

WORKED = {"expression": "y = w*x + b; loss = abs(y_true - y)",
          "values": {"x": 2, "y_true": 4, "w": 3, "b": 1}}
OTHER_ORIGIN = "https://course.example.edu"


def _app_with(monkeypatch: pytest.MonkeyPatch, **env: str) -> TestClient:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return TestClient(create_app())


def _csp(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/"), ("GET", "/embed"), ("GET", "/api/health"), ("GET", "/oembed?url=x"),
    ("POST", "/api/graph"), ("GET", "/no/such/page"), ("GET", "/static/js/state.js"),
])
def test_hardening_headers_on_every_response(client: TestClient, method: str, path: str) -> None:
    r = client.request(method, path, json=WORKED if method == "POST" else None)
    csp = _csp(r.headers["content-security-policy"])
    assert "'unsafe-eval'" not in r.headers["content-security-policy"]
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    # only the embeddable view may be framed by other sites (issue 11 §7)
    assert csp["frame-ancestors"] == (["*"] if path.startswith("/embed") else ["'self'"])
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_headers_on_a_rejected_body(client: TestClient) -> None:
    r = client.post("/api/graph", content=b"{", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" in r.headers


def test_frame_ancestors_is_configurable_for_the_embed_only(monkeypatch: pytest.MonkeyPatch) -> None:
    ancestors = "'self' https://lms.example.edu https://*.school.example"
    c = _app_with(monkeypatch, CHAINRULE_FRAME_ANCESTORS=ancestors)
    csp = _csp(c.get("/embed?e=x").headers["content-security-policy"])
    assert csp["frame-ancestors"] == ancestors.split()
    assert csp["script-src"] == ["'self'"]
    for path in ("/", "/docs", "/api/health", "/embedded"):
        assert _csp(c.get(path).headers["content-security-policy"])["frame-ancestors"] == ["'self'"]


# ------------------------------------------------------------------ public URL, trusted hosts


def test_oembed_uses_the_public_url_not_the_host_header(monkeypatch: pytest.MonkeyPatch) -> None:
    c = _app_with(monkeypatch, CHAINRULE_PUBLIC_URL="https://chainrule.example.edu/course/",
                  CHAINRULE_ALLOWED_HOSTS="*")
    page = c.get("/?e=x", headers={"Host": "evil.example"}).text
    assert ('href="https://chainrule.example.edu/course/oembed?url='
            'https%3A//chainrule.example.edu/course/%3Fe%3Dx&amp;format=json"') in page
    assert "evil.example" not in page
    body = c.get("/oembed", params={"url": "https://chainrule.example.edu/course/?e=x"},
                 headers={"Host": "evil.example"}).json()
    assert body["provider_url"] == "https://chainrule.example.edu/course/"
    assert 'src="https://chainrule.example.edu/course/embed?e=x"' in body["html"]
    forged = c.get("/oembed", params={"url": "http://evil.example/?e=x"}, headers={"Host": "evil.example"})
    assert forged.status_code == 404


def test_with_a_public_url_other_hosts_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAINRULE_ALLOWED_HOSTS", raising=False)
    c = _app_with(monkeypatch, CHAINRULE_PUBLIC_URL="https://chainrule.example.edu")
    r = c.get("/", headers={"Host": "evil.example"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_host"
    assert "CHAINRULE_ALLOWED_HOSTS" in r.json()["error"]["message"]
    assert c.get("/", headers={"Host": "chainrule.example.edu"}).status_code == 200
    assert c.get("/api/health", headers={"Host": "10.1.2.3:8000"}).status_code == 200  # probes
    c = _app_with(monkeypatch, CHAINRULE_ALLOWED_HOSTS="a.example, b.example:8000")
    assert c.get("/", headers={"Host": "b.example:8000"}).status_code == 200
    assert c.get("/", headers={"Host": "c.example"}).status_code == 400


def test_a_malformed_public_url_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINRULE_PUBLIC_URL", "chainrule.example.edu")
    with pytest.raises(RuntimeError, match="CHAINRULE_PUBLIC_URL"):
        create_app()


def test_cors_preflight_from_another_origin_without_credentials(client: TestClient) -> None:
    r = client.options("/api/graph", headers={
        "Origin": OTHER_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "content-type" in r.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in r.headers
    post = client.post("/api/graph", json=WORKED, headers={"Origin": OTHER_ORIGIN})
    assert post.status_code == 200
    assert post.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in post.headers


def test_cors_origins_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    c = _app_with(monkeypatch, CHAINRULE_CORS_ORIGINS="https://a.example, https://b.example")
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = c.options("/api/graph", headers={"Origin": "https://b.example", **ask})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://b.example"
    refused = c.options("/api/graph", headers={"Origin": OTHER_ORIGIN, **ask})
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


# ------------------------------------------------------------------ rate limiting


def test_rate_limit_is_off_by_default(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAINRULE_RATE_LIMIT", raising=False)
    c = TestClient(create_app())
    for _ in range(70):
        r = c.post("/api/graph", json=WORKED)
        assert r.status_code == 200
        assert "retry-after" not in r.headers
    assert all(m.cls is not RateLimit for m in c.app.user_middleware)  # type: ignore[attr-defined]


def test_rate_limit_per_client_on_post_api(monkeypatch: pytest.MonkeyPatch) -> None:
    c = _app_with(monkeypatch, CHAINRULE_RATE_LIMIT="3/minute")
    for _ in range(3):
        assert c.post("/api/graph", json=WORKED).status_code == 200
    # one budget shared by every POST /api endpoint
    r = c.post("/api/export/dot", json=WORKED, headers={"Origin": OTHER_ORIGIN})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert set(r.json()["error"]) == {"code", "message", "params"}
    retry = int(r.headers["retry-after"])
    assert r.json()["error"]["params"]["retry_after"] == retry
    assert 0 < retry <= 61
    # a 429 still carries CORS (so the page can read it) and the hardening headers
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["x-content-type-options"] == "nosniff"
    # pages, GET endpoints and preflights are not counted
    for path in ("/", "/api/health", "/api/ops", "/oembed?url=http://testserver/"):
        assert c.get(path).status_code == 200, path
    preflight = c.options("/api/graph", headers={"Origin": OTHER_ORIGIN,
                                                 "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    # another client has its own budget
    other = TestClient(c.app, client=("203.0.113.7", 50000))
    assert other.post("/api/graph", json=WORKED).status_code == 200


def test_rate_limit_rejects_a_mistyped_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINRULE_RATE_LIMIT", "sixty a minute")
    with pytest.raises(RuntimeError, match="CHAINRULE_RATE_LIMIT"):
        create_app()
