"""Full garbage collections run between heavy requests, not in the middle of them."""

from __future__ import annotations

import gc
import time
import weakref

from chainrule.collector import NEVER, IdleCollector


class Cycle:
    def __init__(self) -> None:
        self.me = self


def survive_young_collections() -> weakref.ref[Cycle]:
    """A reference cycle that lives long enough to reach the oldest generation."""
    cycle = Cycle()
    ref = weakref.ref(cycle)
    gc.collect(1)  # moves it (still referenced) to generation 2
    del cycle
    gc.collect(1)  # young collections do not look at generation 2
    return ref


# The suite's own apps run a collector thread in this process, which may collect at any
# moment: the tests below check when a collector finds it due, and that a due collection frees
# a long-lived cycle, never that a cycle is still alive.


def test_no_full_collection_is_due_while_heavy_work_is_in_flight() -> None:
    collector = IdleCollector(longest_wait=3600)
    collector.enter()
    assert not collector.due()
    collector.leave()
    assert collector.due()
    ref = survive_young_collections()
    collector.collect_if_due()
    assert ref() is None


def test_load_that_never_pauses_still_gets_a_full_collection() -> None:
    collector = IdleCollector(longest_wait=0.2)
    collector.enter()
    assert not collector.due()
    time.sleep(0.25)
    assert collector.due()
    ref = survive_young_collections()
    collector.collect_if_due()
    assert ref() is None
    collector.leave()


def test_a_server_process_hands_full_collections_to_one_thread() -> None:
    before = gc.get_threshold()
    try:
        first = IdleCollector(every=0.05).take_over()
        assert gc.get_threshold()[2] == NEVER
        assert IdleCollector().take_over() is first  # an app built again shares it
        ref = survive_young_collections()
        deadline = time.monotonic() + 5
        while ref() is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ref() is None, "the idle collector thread freed the long-lived cycle"
    finally:
        gc.set_threshold(*before)
