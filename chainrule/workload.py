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
- pages, static files and GET endpoints pass straight through, and ``/api/health`` is
  ``async``: answered on the event loop, never behind the thread pool.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from chainrule.config import env_name
from chainrule.engine.budget import set_turn

HEAVY_PREFIX = "/api/"


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
    """Pure-ASGI middleware: admit at most ``slots + queue`` heavy requests, give each a turn."""

    def __init__(self, app: ASGIApp, slots: int, queue: int, retry_after: float,
                 quantum: float = 0.05) -> None:
        self.app = app
        self.turns = Turns(slots)
        self.slots = self.turns.slots
        self.queue = max(0, queue)
        self.quantum = quantum
        self.retry_after = max(1, math.ceil(retry_after))
        self._admitted = 0  # event-loop side only: no lock needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "POST"
                or not scope["path"].startswith(HEAVY_PREFIX)):
            await self.app(scope, receive, send)
            return
        if self._admitted >= self.slots + self.queue:
            await self._reject(send)
            return
        self._admitted += 1
        # the handler's thread inherits this context, so its compute_budget takes turns
        set_turn(RequestTurn(self.turns, self.quantum))
        try:
            await self.app(scope, receive, send)
        finally:
            self._admitted -= 1
            set_turn(None)

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
