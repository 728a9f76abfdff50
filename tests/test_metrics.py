"""/metrics (chainrule/metrics.py): off by default (404); with CHAINRULE_METRICS=1 the Prometheus
text format with per-endpoint request counts, latency histograms, analysis sizes and limit
refusals, each checked against the requests this test made."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from chainrule.main import create_app

WORKED = {"expression": "y = w*x + b\nloss = abs(y_true - y)", "values": {"x": 2, "y_true": 4, "w": 3, "b": 1}}
TOO_DEEP = {"expression": "(" * 150 + "x" + ")" * 150, "values": {"x": 1}}


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, keyed by (name, labels)."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(scrape: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return scrape.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metered(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("CHAINRULE_METRICS", "1")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.setenv("CHAINRULE_RATE_LIMIT", "3/minute")
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def test_metrics_are_off_by_default(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAINRULE_METRICS", raising=False)
    assert client.get("/metrics").status_code == 404
    with TestClient(create_app()) as fresh:
        r = fresh.get("/metrics")
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"


def test_counts_and_latency_per_endpoint(metered: TestClient) -> None:
    nodes = len(metered.post("/api/graph", json=WORKED).json()["nodes"])
    assert metered.post("/api/graph", json=WORKED).status_code == 200
    for _ in range(3):
        assert metered.get("/api/health").status_code == 200
    assert metered.get("/no/such/page-123").status_code == 404
    r = metered.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=")
    scrape = samples(r.text)
    assert value(scrape, "chainrule_http_requests_total", method="POST", endpoint="/api/graph", status="200") == 2
    assert value(scrape, "chainrule_http_requests_total", method="GET", endpoint="/api/health", status="200") == 3
    # Unrouted paths share one label instead of adding a series each.
    assert value(scrape, "chainrule_http_requests_total", method="GET", endpoint="other", status="404") == 1
    assert not any("page-123" in str(key) for key in scrape)
    count = value(scrape, "chainrule_http_request_duration_seconds_count", method="POST", endpoint="/api/graph")
    total = value(scrape, "chainrule_http_request_duration_seconds_sum", method="POST", endpoint="/api/graph")
    inf = value(scrape, "chainrule_http_request_duration_seconds_bucket", method="POST", endpoint="/api/graph",
                le="+Inf")
    assert count == inf == 2
    assert 0 < total < 10
    assert value(scrape, "chainrule_analysis_nodes_count") == 2
    assert value(scrape, "chainrule_analysis_nodes_sum") == 2 * nodes
    assert value(scrape, "chainrule_http_response_bytes_count", endpoint="/api/graph") == 2
    # The scrape itself is not counted.
    assert not any(dict(labels).get("endpoint") == "/metrics" for _, labels in scrape)


def test_limit_refusals_by_code(metered: TestClient) -> None:
    r = metered.post("/api/graph", json=TOO_DEEP)
    assert r.status_code == 400 and r.json()["error"]["code"] == "limit_exceeded"
    assert metered.post("/api/graph", json={"expression": "x +", "values": {}}).status_code in (400, 422)
    assert metered.post("/api/graph", json=WORKED).status_code == 200
    refused = metered.post("/api/graph", json=WORKED)  # the fourth POST of a 3/minute budget
    assert refused.status_code == 429
    scrape = samples(metered.get("/metrics").text)
    assert value(scrape, "chainrule_limit_refusals_total", endpoint="/api/graph", code="limit_exceeded") == 1
    assert value(scrape, "chainrule_limit_refusals_total", endpoint="/api/graph", code="rate_limited") == 1
    # A syntax error is the user's mistake, not a limit: it is not a refusal.
    assert sum(v for (name, _), v in scrape.items() if name == "chainrule_limit_refusals_total") == 2
    assert value(scrape, "chainrule_http_requests_total", method="POST", endpoint="/api/graph", status="429") == 1
