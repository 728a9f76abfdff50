"""A bound on concurrent heavy work per server process: over it, 503 ``busy`` + Retry-After.

Every ``POST /api/*`` request computes (parse, evaluate, train, draw), holding a thread and
most of the GIL for up to the request budget. Without a bound, twenty such requests share
one process's CPU twenty ways: each takes twenty times longer, memory grows with each, and
``GET /api/health`` waits behind them for the GIL, so an orchestrator's health check fails
and kills a healthy worker. So at most ``max_concurrent_work`` heavy requests run at once,
up to ``max_queued_work`` more wait for a slot, and any further one is answered at once with
503 ``busy`` and ``Retry-After``: the client (the page) retries, the server stays responsive.

Pages, static files, GET endpoints (``/api/health`` among them, which is ``async`` and never
enters the thread pool) pass straight through.
"""

from __future__ import annotations

import asyncio
import math

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import env_name

HEAVY_PREFIX = "/api/"


class HeavyWorkLimit:
    """Pure-ASGI middleware: at most ``slots`` heavy requests running, ``queue`` waiting."""

    def __init__(self, app: ASGIApp, slots: int, queue: int, retry_after: float) -> None:
        self.app = app
        self.slots = max(1, slots)
        self.queue = max(0, queue)
        self.retry_after = max(1, math.ceil(retry_after))
        self._semaphore: asyncio.Semaphore | None = None  # made in the server's event loop
        self._waiting = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "POST"
                or not scope["path"].startswith(HEAVY_PREFIX)):
            await self.app(scope, receive, send)
            return
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.slots)
        semaphore = self._semaphore
        if semaphore.locked():
            if self._waiting >= self.queue:
                await self._reject(send)
                return
            self._waiting += 1
            try:
                await semaphore.acquire()
            finally:
                self._waiting -= 1
        else:
            await semaphore.acquire()
        try:
            await self.app(scope, receive, send)
        finally:
            semaphore.release()

    async def _reject(self, send: Send) -> None:
        slots, queue = env_name("max_concurrent_work"), env_name("max_queued_work")
        body = orjson.dumps({"error": {
            "code": "busy",
            "message": f"the server is busy with {self.slots} computations and {self.queue} "
                       f"waiting; retry in {self.retry_after} s (set {slots} and {queue})",
            "params": {"retry_after": self.retry_after, "limit": slots, "value": self.slots}}})
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(self.retry_after).encode())]})
        await send({"type": "http.response.body", "body": body})
