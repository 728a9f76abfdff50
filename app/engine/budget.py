"""A per-request compute budget, checked cooperatively by the engine's loops.

The HTTP layer opens ``compute_budget(seconds)`` around a request; long loops (forward,
backward, gradient checks, training steps) call ``check_budget()`` every so often, so no
request holds a worker for much longer than the budget. Outside a budget it costs nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from app.config import env_name
from app.errors import ChainruleError

_deadline: ContextVar[tuple[float, float] | None] = ContextVar("chainrule_deadline", default=None)


@contextmanager
def compute_budget(seconds: float) -> Iterator[None]:
    token = _deadline.set((time.perf_counter() + seconds, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def check_budget() -> None:
    """Raise ``limit_exceeded`` once the current request's budget is spent."""
    current = _deadline.get()
    if current is not None and time.perf_counter() > current[0]:
        raise ChainruleError(
            "limit_exceeded",
            f"the request needs more than its compute budget of {current[1]:g} s "
            f"(set {env_name('request_budget_seconds')})",
        )
