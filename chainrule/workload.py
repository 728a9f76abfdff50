"""Heavy work per server process: bounded, taken in turns, and never in health's way.

Every ``POST /api/*`` request computes (parse, evaluate, train, draw), holding a thread and
most of the GIL for up to the request budget. Without a bound, twenty such requests share
one process's CPU twenty ways: memory grows with each, and a two-millisecond analysis waits
behind ten-thousand-step trainings. So:

- at most ``max_concurrent_work`` requests compute at once, in turns: a request that has
  computed for ``work_quantum_seconds`` while another waits hands its turn on at its next
  budget check (``chainrule/engine/budget.py``) and queues again, so a small request waits for a
  quantum or two, not for the trainings ahead of it to finish;
- at most ``max_queued_work`` more may wait; any further one is answered at once with 503
  ``busy`` and ``Retry-After`` (the page's api.js retries after it, twice at most; the
  server stays responsive);
- one client (its address: the peer's, or the one a trusted proxy names) may have at most
  ``max_client_work`` of those admitted at once, so a client that sends a burst of heavy
  work fills its own share and is answered ``busy`` past it, while everyone else's
  requests are still admitted and wait only for turns;
- a request is admitted only once its body has arrived (``chainrule/middleware.py`` reads
  it first, within ``body_timeout_seconds``): a client that sends half a body holds no slot;
- pages, static files and the cheap GET endpoints pass straight through (a generated
  dataset, ``GET /api/datasets/<name>``, is heavy work too), and ``/api/health`` is
  ``async``: answered on the event loop, never behind the thread pool.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from chainrule.collector import IdleCollector
from chainrule.config import env_name
from chainrule.engine.budget import set_turn

HEAVY_PREFIX = "/api/"
#: GET endpoints that compute (the others read registries or static data).
HEAVY_GET_PREFIXES = ("/api/datasets/",)


def is_heavy(scope: Scope) -> bool:
    """Whether a request computes: every POST /api/*, and the GETs that generate data."""
    if scope["type"] != "http" or not scope["path"].startswith(HEAVY_PREFIX):
        return False
    if scope["method"] == "POST":
        return True
    return scope["method"] == "GET" and scope["path"].startswith(HEAVY_GET_PREFIXES)


def client_key(scope: Scope) -> str:
    """Who sent a request: the client address (uvicorn puts a trusted proxy's
    X-Forwarded-For there, see deploy/README.md), else "unknown"."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


#: How long a client over its own share waits for its 503.
OWN_SHARE_DELAY_S = 0.5


class Turns:
    """First-come turns on one process's compute: at most ``slots`` holders at a time."""

    def __init__(self, slots: int) -> None:
        self.slots = max(1, slots)
        self._lock = threading.Condition()
        self._holders = 0
        self._queue: deque[object] = deque()

    def acquire(self) -> None:
        ticket = object()
        with self._lock:
            self._queue.append(ticket)
            while self._holders >= self.slots or self._queue[0] is not ticket:
                self._lock.wait()
            self._queue.popleft()
            self._holders += 1
            self._lock.notify_all()  # the next in line may go too if a slot is left

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            self._lock.notify_all()

    def others_waiting(self) -> bool:
        return bool(self._queue)


class RequestTurn:
    """One request's turn (``chainrule.engine.budget.Turn``): taken when its computation starts,
    handed on at a budget check once it has run ``quantum`` seconds and another waits."""

    def __init__(self, turns: Turns, quantum: float) -> None:
        self.turns = turns
        self.quantum = quantum
        self.depth = 0  # nested compute_budget blocks (an export that trains)
        self.since = 0.0

    def begin(self) -> None:
        if self.depth == 0:
            self.turns.acquire()
            self.since = time.perf_counter()
        self.depth += 1

    def end(self) -> None:
        self.depth -= 1
        if self.depth == 0:
            self.turns.release()

    def pause(self) -> float:
        if self.depth == 0 or not self.turns.others_waiting():
            return 0.0
        now = time.perf_counter()
        if now - self.since < self.quantum:
            return 0.0
        self.turns.release()
        self.turns.acquire()
        self.since = time.perf_counter()
        return self.since - now


class HeavyWorkLimit:
    """Pure-ASGI middleware: admit at most ``slots + queue`` heavy requests, at most
    ``per_client`` of them from one client, and give each a turn."""

    def __init__(self, app: ASGIApp, slots: int, queue: int, retry_after: float,
                 quantum: float = 0.05, per_client: int = 12,
                 collector: IdleCollector | None = None) -> None:
        self.app = app
        self.collector = collector
        self.turns = Turns(slots)
        self.slots = self.turns.slots
        self.queue = max(0, queue)
        self.per_client = max(1, per_client)
        self.quantum = quantum
        self.retry_after = max(1, math.ceil(retry_after))
        self._admitted = 0  # event-loop side only: no lock needed
        self._by_client: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_heavy(scope):
            await self.app(scope, receive, send)
            return
        client = client_key(scope)
        mine = self._by_client.get(client, 0)
        if self._admitted >= self.slots + self.queue:
            await self._reject(send, own_share=False)
            return
        if mine >= self.per_client:
            # Answered a little later: a client that resends at once on every 503 would
            # otherwise keep this event loop busy refusing it, and health waits behind that.
            await asyncio.sleep(OWN_SHARE_DELAY_S)
            await self._reject(send, own_share=True)
            return
        self._admitted += 1
        self._by_client[client] = mine + 1
        if self.collector is not None:
            self.collector.enter()
        # the handler's thread inherits this context, so its compute_budget takes turns
        set_turn(RequestTurn(self.turns, self.quantum))
        try:
            await self.app(scope, receive, send)
        finally:
            self._admitted -= 1
            if self.collector is not None:
                self.collector.leave()
            left = self._by_client[client] - 1
            if left:
                self._by_client[client] = left
            else:
                del self._by_client[client]
            set_turn(None)

    async def _reject(self, send: Send, own_share: bool) -> None:
        slots, queue = env_name("max_concurrent_work"), env_name("max_queued_work")
        if own_share:
            mine = env_name("max_client_work")
            message = (f"this client already has {self.per_client} computations running or "
                       f"waiting; retry in {self.retry_after} s (set {mine})")
            params = {"retry_after": self.retry_after, "limit": mine, "value": self.per_client}
        else:
            message = (f"the server is busy with {self.slots} computations and {self.queue} "
                       f"waiting; retry in {self.retry_after} s (set {slots} and {queue})")
            params = {"retry_after": self.retry_after, "limit": slots, "value": self.slots}
        body = orjson.dumps({"error": {"code": "busy", "message": message, "params": params}})
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(self.retry_after).encode())]})
        await send({"type": "http.response.body", "body": body})
