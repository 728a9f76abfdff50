"""Python's cyclic garbage collector in a server process: full collections when idle.

A full (generation 2) collection walks every live container object with the GIL held. While
a worker computes, that is every step of every training in its queue (up to
``max_concurrent_work + max_queued_work`` of them, each with a dict or two per step), and a
full collection took 100-290 ms on the hardening round's heavy mix: the event loop, and with
it ``/api/health`` and every other client's answer, waited that long, and found nothing to
free (the engine's objects hold no reference cycles; they go with their last reference).

So a server process leaves the young generations to Python (they are cheap, and they still
free any cycle that dies young) and runs full collections itself: once a second when no
heavy request is in flight, and at least every ``LONGEST_WAIT_S`` under load that never
pauses, so that a cycle that lived long is still freed. The objects made while starting
(imports, routes, the op table) are frozen out of every collection.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable

COLLECTOR_THREAD = "chainrule-gc"
#: Longest time between full collections while heavy requests keep arriving without a pause.
LONGEST_WAIT_S = 60.0
#: Young-generation thresholds as Python's defaults; generation 2 only ever by this module.
YOUNG_THRESHOLDS = (700, 10)
NEVER = 2**31 - 1


class IdleCollector:
    """Counts heavy requests in flight (``enter``/``leave``, from the event loop) and runs
    full collections from a daemon thread while that count is zero."""

    def __init__(self, every: float = 1.0, longest_wait: float = LONGEST_WAIT_S) -> None:
        self.every = every
        self.longest_wait = longest_wait
        self.in_flight = 0
        self.last_full = time.monotonic()

    def enter(self) -> None:
        self.in_flight += 1

    def leave(self) -> None:
        self.in_flight -= 1

    def due(self) -> bool:
        """Now is a good time for a full collection."""
        return self.in_flight == 0 or time.monotonic() - self.last_full >= self.longest_wait

    def collect_if_due(self) -> bool:
        """A full collection, if due and if objects have outlived a young collection since."""
        nothing_new = gc.get_count()[1] == 0 and gc.get_count()[2] == 0
        if nothing_new or not self.due():
            return False
        gc.collect()
        self.last_full = time.monotonic()
        return True

    def take_over(self) -> IdleCollector:
        """Stop Python's own full collections and start the thread that runs them. One per
        process: an app built again, as tests do, gets the collector already running."""
        running = next((t for t in threading.enumerate() if t.name == COLLECTOR_THREAD), None)
        if isinstance(running, _CollectorThread):
            return running.collector
        gc.freeze()
        gc.set_threshold(*YOUNG_THRESHOLDS, NEVER)

        def loop() -> None:
            while True:
                time.sleep(self.every)
                self.collect_if_due()

        _CollectorThread(self, loop).start()
        return self


class _CollectorThread(threading.Thread):
    def __init__(self, collector: IdleCollector, loop: Callable[[], None]) -> None:
        super().__init__(target=loop, name=COLLECTOR_THREAD, daemon=True)
        self.collector = collector
