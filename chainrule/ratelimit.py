"""Optional per-client rate limiting of the POST API for public deployments (``limits``).

Off unless ``CHAINRULE_RATE_LIMIT`` is set, e.g. ``60/minute`` or ``10/second;300/hour``
(the `limits` notation). One moving-window budget per client IP, shared by every
``POST /api/...`` endpoint and the GET endpoints that compute (``chainrule.workload.is_heavy``:
a generated dataset); pages, static files, the registries and CORS preflights are never
counted. Over the limit: 429 with the contract's error object (code ``rate_limited``) and
``Retry-After`` (seconds).

Counters live in each worker's memory by default, so with N workers a client may get up to
N times the limit; set ``CHAINRULE_RATE_LIMIT_STORAGE`` (e.g. ``redis://host:6379``; the ``redis``
client is a dependency) to share them across workers and pods. Behind a reverse proxy, run uvicorn with
``--proxy-headers --forwarded-allow-ips=<proxy>`` (``FORWARDED_ALLOW_IPS``) naming that proxy
only: a client reaching the server through a proxy that trusts ``*`` picks its own key.

Why ``limits`` directly and not slowapi's middleware: slowapi 0.1.10 finds a request's
route by looking for ``endpoint`` on ``chainrule.routes``, which FastAPI 0.163 no longer exposes
for included routers (they are ``_IncludedRouter`` objects), so slowapi treats every route
as exempt and silently limits nothing. ``limits`` is the library slowapi is built on; the
middleware below decides what to count from the ASGI scope alone.
"""

from __future__ import annotations

import logging
import math
import os
import time

import orjson
from fastapi import FastAPI
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from chainrule.workload import client_key, is_heavy

RATE_ENV = "CHAINRULE_RATE_LIMIT"
STORAGE_ENV = "CHAINRULE_RATE_LIMIT_STORAGE"
STORAGE_WARNING_EVERY_S = 60.0
logger = logging.getLogger("chainrule.ratelimit")


def add_rate_limit(app: FastAPI, rate: str | None = None, storage_uri: str | None = None) -> None:
    """Limit ``POST /api/*`` (and the GETs that compute) per client IP (arguments default to
    the environment variables)."""
    rate = (rate if rate is not None else os.environ.get(RATE_ENV, "")).strip()
    if not rate:
        return
    try:
        items = parse_many(rate)
    except ValueError as exc:  # a mistyped deployment setting must fail loudly at start-up
        raise RuntimeError(f"{RATE_ENV} must be a rate such as 60/minute, got {rate!r}") from exc
    storage = storage_uri or os.environ.get(STORAGE_ENV) or "memory://"
    app.add_middleware(RateLimit, items=items, storage_uri=storage)


class RateLimit:
    """Pure-ASGI middleware: count heavy requests per client IP, answer 429 past the limit."""

    def __init__(self, app: ASGIApp, items: list[RateLimitItem], storage_uri: str) -> None:
        self.app = app
        self.items = items
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri, wrap_exceptions=True))
        self._warned_at = -STORAGE_WARNING_EVERY_S

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_heavy(scope):
            await self.app(scope, receive, send)
            return
        key = client_key(scope)
        try:
            for item in self.items:
                if not self.limiter.hit(item, "chainrule", key):
                    await self._reject(send, item, key)
                    return
        except StorageError as exc:  # fail open: see the module docstring
            self._warn_storage_down(exc)
        await self.app(scope, receive, send)

    def _warn_storage_down(self, exc: StorageError) -> None:
        now = time.monotonic()
        if now - self._warned_at >= STORAGE_WARNING_EVERY_S:
            self._warned_at = now
            logger.warning("rate-limit storage unreachable, serving requests uncounted: %s",
                           exc.storage_error)

    async def _reject(self, send: Send, item: RateLimitItem, key: str) -> None:
        reset_at = self.limiter.get_window_stats(item, "chainrule", key).reset_time
        retry_after = max(1, math.ceil(reset_at - time.time()))
        body = orjson.dumps({"error": {
            "code": "rate_limited",
            "message": f"too many requests from this client: the limit is {item}; "
                       f"retry in {retry_after} s (set {RATE_ENV} to change it)",
            "params": {"retry_after": retry_after, "limit": RATE_ENV, "value": str(item)}}})
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(retry_after).encode())]})
        await send({"type": "http.response.body", "body": body})
