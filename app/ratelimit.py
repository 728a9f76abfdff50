"""Optional per-client rate limiting of the POST API for public deployments (slowapi).

Off unless ``CHAINRULE_RATE_LIMIT`` is set, e.g. ``60/minute`` or ``10/second;300/hour``
(the `limits` notation). One budget per client IP, shared by every ``POST /api/...``
endpoint; pages, static files, GET endpoints and CORS preflights are never counted. Over the
limit: 429 with the contract's error object (code ``rate_limited``) and ``Retry-After``.

Counters live in each worker's memory by default, so with N workers a client may get up to
N times the limit; set ``CHAINRULE_RATE_LIMIT_STORAGE`` (e.g. ``redis://host:6379``, needs
the ``redis`` package) to share them. Behind a reverse proxy, run uvicorn with
``--proxy-headers --forwarded-allow-ips=<proxy>`` so the client IP is the real one.
"""

from __future__ import annotations

import os

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from limits import parse_many
from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from slowapi.middleware import SlowAPIASGIMiddleware
from slowapi.util import get_remote_address

RATE_ENV = "CHAINRULE_RATE_LIMIT"
STORAGE_ENV = "CHAINRULE_RATE_LIMIT_STORAGE"


def add_rate_limit(app: FastAPI, rate: str | None = None, storage_uri: str | None = None) -> None:
    """Limit ``POST /api/*`` per client IP (arguments default to the environment variables).

    Call after every router is included: routes other than POST /api/* are exempted.
    """
    rate = (rate if rate is not None else os.environ.get(RATE_ENV, "")).strip()
    if not rate:
        return
    try:
        parse_many(rate)
    except ValueError as exc:  # a mistyped deployment setting must fail loudly at start-up
        raise RuntimeError(f"{RATE_ENV} must be a rate such as 60/minute, got {rate!r}") from exc
    limiter = Limiter(
        key_func=get_remote_address,
        application_limits=[rate],
        headers_enabled=True,
        storage_uri=storage_uri or os.environ.get(STORAGE_ENV) or "memory://",
        key_prefix="chainrule",
    )
    for route in app.routes:
        endpoint = getattr(route, "endpoint", None)
        methods = getattr(route, "methods", None) or set()
        if endpoint is not None and not (getattr(route, "path", "").startswith("/api/")
                                         and "POST" in methods):
            limiter.exempt(endpoint)
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, on_rate_limited)  # type: ignore[arg-type]
    app.add_middleware(SlowAPIASGIMiddleware)


def on_rate_limited(request: Request, exc: RateLimitExceeded) -> Response:
    """429 with the contract's error object; slowapi adds Retry-After and X-RateLimit-*."""
    response = JSONResponse({"error": {
        "code": "rate_limited",
        "message": f"too many requests from this client: the limit is {exc.detail}; "
                   "retry after the number of seconds in Retry-After"}}, status_code=429)
    limiter: Limiter = request.app.state.limiter
    return limiter._inject_headers(response, request.state.view_rate_limit)
