"""Optional Prometheus metrics at ``GET /metrics`` on the app's own port (prometheus-client).

Off unless ``CHAINRULE_METRICS=1``; then a pure-ASGI middleware, outermost so that it also
sees the requests the body limit and the rate limit refuse, counts every HTTP request and
serves the text format at ``/metrics``. Off, ``/metrics`` is an ordinary 404. Every metric
is described in deploy/README.md ("Metrics").

Several uvicorn workers are several processes, each with its own counters. Under
``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode) every worker writes its
values to files there and a scrape, whichever worker answers it, sums them all;
``chainrule serve --workers N`` sets it to a fresh directory by itself (see
:func:`prepare_multiprocess_dir`). Without it a scrape covers only the worker that answered.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

METRICS_ENV = "CHAINRULE_METRICS"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
METRICS_PATH = "/metrics"
#: Error codes that mean "refused by a limit" (the request may have been fine otherwise).
LIMIT_CODES = frozenset({"rate_limited", "limit_exceeded", "busy"})
#: Request paths outside any route share one label, so a scan of random URLs adds no series.
OTHER = "other"
#: The request-state key under which a route leaves the size of its analysis.
ANALYSIS_NODES = "analysis_nodes"

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
NODE_BUCKETS = (4, 16, 64, 256, 1_024, 4_096, 16_384, 65_536, 262_144)
BYTE_BUCKETS = (256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216)


def metrics_enabled() -> bool:
    return os.environ.get(METRICS_ENV, "").strip() == "1"


def add_metrics(app: FastAPI) -> None:
    """Serve /metrics and count requests when CHAINRULE_METRICS=1 (call last: outermost).

    The scrape is an ordinary route, so it passes the same host check and gets the same
    security headers as every other response; the counting middleware is outermost."""
    if not metrics_enabled():
        return
    instruments = Instruments.create()

    async def scrape(request: Request) -> Response:
        return Response(instruments.scrape(), media_type=CONTENT_TYPE_LATEST,
                        headers={"cache-control": "no-store"})

    app.add_route(METRICS_PATH, scrape, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_middleware(MetricsMiddleware, known_paths=lambda: set(app.openapi()["paths"]),
                       instruments=instruments)


def note_analysis(request: Request, nodes: int) -> None:
    """Called by a route: the size of the graph it analyzed (read by the middleware, if on)."""
    setattr(request.state, ANALYSIS_NODES, nodes)


@dataclass(frozen=True)
class Instruments:
    """The metrics of one app; ``registry`` is what a scrape reads in single-process mode."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    response_bytes: Histogram
    analysis_nodes: Histogram
    refusals: Counter

    @classmethod
    def create(cls) -> Instruments:
        registry = CollectorRegistry()
        return cls(
            registry=registry,
            requests=Counter("chainrule_http_requests", "HTTP requests answered, by endpoint and status",
                             ["method", "endpoint", "status"], registry=registry),
            latency=Histogram("chainrule_http_request_duration_seconds",
                              "Time from the request's arrival to the end of its response body",
                              ["method", "endpoint"], buckets=LATENCY_BUCKETS, registry=registry),
            response_bytes=Histogram("chainrule_http_response_bytes", "Size of response bodies",
                                     ["endpoint"], buckets=BYTE_BUCKETS, registry=registry),
            analysis_nodes=Histogram("chainrule_analysis_nodes",
                                     "Nodes of each graph that POST /api/graph analyzed",
                                     buckets=NODE_BUCKETS, registry=registry),
            refusals=Counter("chainrule_limit_refusals",
                             "Requests refused by a limit, by endpoint and error code "
                             "(rate_limited, limit_exceeded, busy)",
                             ["endpoint", "code"], registry=registry),
        )

    def scrape(self) -> bytes:
        directory = os.environ.get(MULTIPROC_ENV)
        if not directory:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=directory)
        return generate_latest(merged)


class MetricsMiddleware:
    """Pure-ASGI: serve GET /metrics; count, time and size every other HTTP request."""

    def __init__(self, app: ASGIApp, known_paths: Callable[[], set[str]],
                 instruments: Instruments) -> None:
        self.app = app
        self.instruments = instruments
        self._known_paths = known_paths
        self._paths: set[str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == METRICS_PATH:  # the scrape itself is not counted
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        seen = _Seen()
        start = time.perf_counter()

        async def observe(message: Message) -> None:
            seen.record(message)
            if seen.complete and not seen.counted:
                # Counted before the last byte leaves: a client that scrapes right after its
                # answer (from any worker) finds its request in the figures.
                self._record(scope, state, seen, time.perf_counter() - start)
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            if not seen.counted:  # the app raised, or the client left before the end
                self._record(scope, state, seen, time.perf_counter() - start)

    def _record(self, scope: Scope, state: dict[str, Any], seen: _Seen, seconds: float) -> None:
        seen.counted = True
        endpoint = self._endpoint(scope)
        method = scope["method"]
        m = self.instruments
        m.requests.labels(method, endpoint, str(seen.status)).inc()
        m.latency.labels(method, endpoint).observe(seconds)
        m.response_bytes.labels(endpoint).observe(seen.body_bytes)
        code = seen.error_code()
        if code in LIMIT_CODES:
            m.refusals.labels(endpoint, code).inc()
        nodes = state.get(ANALYSIS_NODES)
        if isinstance(nodes, int):
            m.analysis_nodes.observe(nodes)

    def _endpoint(self, scope: Scope) -> str:
        """The route's path template; a refused request never reached routing, so its own path
        counts when it names a route of the API."""
        route = scope.get("route")
        if route is not None and isinstance(getattr(route, "path", None), str):
            return str(route.path)
        if scope.get("endpoint") is not None and scope["path"].startswith("/static/"):
            return "/static"
        if self._paths is None:
            self._paths = self._known_paths()
        return scope["path"] if scope["path"] in self._paths else OTHER


class _Seen:
    """What the middleware learns from the response messages on their way out."""

    ERROR_PEEK_BYTES = 4_096  # error objects are small; a big body is never parsed

    def __init__(self) -> None:
        self.status = 500  # the app raised before it started a response
        self.body_bytes = 0
        self.first_chunk = b""
        self.complete = False  # the last body message is on its way
        self.counted = False

    def record(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            if not self.body_bytes and self.status >= 400:
                self.first_chunk = chunk[: self.ERROR_PEEK_BYTES]
            self.body_bytes += len(chunk)
            self.complete = not message.get("more_body", False)

    def error_code(self) -> str | None:
        if not self.first_chunk.startswith(b'{"error"'):
            return None
        try:
            error = orjson.loads(self.first_chunk).get("error")
        except orjson.JSONDecodeError:
            return None
        code = error.get("code") if isinstance(error, dict) else None
        return code if isinstance(code, str) else None


def prepare_multiprocess_dir(workers: int) -> Path | None:
    """Before several workers start with metrics on: give them one fresh directory to share.

    An operator's own PROMETHEUS_MULTIPROC_DIR (used whatever the number of workers) is
    made if missing and emptied (values left by an earlier run would be summed in);
    otherwise, with several workers, a temporary one is made, returned so the caller can
    remove it when the server stops.
    """
    if not metrics_enabled():
        return None
    given = os.environ.get(MULTIPROC_ENV)
    if given is not None and not given.strip():
        # prometheus-client takes a set-but-empty variable for the current directory.
        del os.environ[MULTIPROC_ENV]
    elif given:
        Path(given).mkdir(parents=True, exist_ok=True)
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        return None
    if workers <= 1:
        return None
    made = Path(tempfile.mkdtemp(prefix="chainrule-metrics-"))
    os.environ[MULTIPROC_ENV] = str(made)
    return made


def remove_multiprocess_dir(made: Path | None) -> None:
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)
