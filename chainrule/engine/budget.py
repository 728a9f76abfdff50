"""A per-request compute budget, checked cooperatively by the engine's loops.

The caller opens ``compute_budget(seconds)`` around a request; long loops (forward,
backward, gradient checks, training steps) call ``check_budget()`` every so often, so no
request holds a worker for much longer than the budget. Outside a budget it costs nothing.
A loop that can stop early with a partial answer (training) asks ``budget_spent()``
between its steps instead, and catches :class:`BudgetExceeded` from inside one.

The same checks are where a request takes turns with the others of its process: a server
sets a :class:`Turn` for the request (``chainrule/workload.py``); ``compute_budget`` waits for the
request's turn before it starts, and each check hands the turn on once the request has had
its quantum and another waits. Time spent waiting does not count against the budget.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

from chainrule.config import env_name
from chainrule.errors import ChainruleError

_deadline: ContextVar[tuple[float, float] | None] = ContextVar("chainrule_deadline", default=None)


class Turn(Protocol):
    """One request's share of its process's compute (see chainrule/workload.py)."""

    def begin(self) -> None: ...  # wait for the first turn (re-entrant)
    def end(self) -> None: ...
    def pause(self) -> float: ...  # hand the turn on if due; seconds spent waiting for it back


_turn: ContextVar[Turn | None] = ContextVar("chainrule_turn", default=None)


def set_turn(turn: Turn | None) -> object:
    """Make ``turn`` the current request's (a server's middleware does this per request)."""
    return _turn.set(turn)


class BudgetExceeded(ChainruleError):
    """``limit_exceeded``: the request's compute budget ran out."""


@contextmanager
def compute_budget(seconds: float) -> Iterator[None]:
    turn = _turn.get()
    if turn is not None:
        turn.begin()
    token = _deadline.set((time.perf_counter() + seconds, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)
        if turn is not None:
            turn.end()


def budget_spent() -> bool:
    """Whether the current request's budget has run out (False outside a budget)."""
    current = _deadline.get()
    if current is None:
        return False
    turn = _turn.get()
    if turn is not None:
        waited = turn.pause()
        if waited:
            current = (current[0] + waited, current[1])
            _deadline.set(current)
    return time.perf_counter() > current[0]


def check_budget() -> None:
    """Raise :class:`BudgetExceeded` once the current request's budget is spent."""
    if budget_spent():
        seconds = _deadline.get()[1]  # type: ignore[index]
        env = env_name("request_budget_seconds")
        raise BudgetExceeded(
            "limit_exceeded",
            f"the request needs more than its compute budget of {seconds:g} s (set {env})",
            params={"limit": env, "value": seconds, "what": "compute seconds"},
        )
