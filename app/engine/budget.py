"""A per-request compute budget, checked cooperatively by the engine's loops.

The caller opens ``compute_budget(seconds)`` around a request; long loops (forward,
backward, gradient checks, training steps) call ``check_budget()`` every so often, so no
request holds a worker for much longer than the budget. Outside a budget it costs nothing.
A loop that can stop early with a partial answer (training) asks ``budget_spent()``
between its steps instead, and catches :class:`BudgetExceeded` from inside one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from app.config import env_name
from app.errors import ChainruleError

_deadline: ContextVar[tuple[float, float] | None] = ContextVar("chainrule_deadline", default=None)


class BudgetExceeded(ChainruleError):
    """``limit_exceeded``: the request's compute budget ran out."""


@contextmanager
def compute_budget(seconds: float) -> Iterator[None]:
    token = _deadline.set((time.perf_counter() + seconds, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def budget_spent() -> bool:
    """Whether the current request's budget has run out (False outside a budget)."""
    current = _deadline.get()
    return current is not None and time.perf_counter() > current[0]


def check_budget() -> None:
    """Raise :class:`BudgetExceeded` once the current request's budget is spent."""
    if budget_spent():
        seconds = _deadline.get()[1]  # type: ignore[index]
        raise BudgetExceeded(
            "limit_exceeded",
            f"the request needs more than its compute budget of {seconds:g} s "
            f"(set {env_name('request_budget_seconds')})",
        )
