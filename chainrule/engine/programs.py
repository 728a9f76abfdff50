"""A cache of compiled programs: keep the page's programs, which it re-sends with new values
on every edit of a value and every training step.

The engine holds no instance (no module-level state): whoever serves requests owns one
(``chainrule.programs.PROGRAMS`` for a server process) and passes it where programs are compiled.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Final

from chainrule.config import LIMITS
from chainrule.engine.autodiff import Program, compile_program

CACHE_ENTRIES: Final = 128  # compiled programs kept for reuse
CACHE_MAX_NODES: Final = 2_000  # larger programs are not kept: memory, and their compile is a small share
SEEN_ENTRIES: Final = 1_024  # texts seen once, remembered by hash until they come back


class ProgramCache:
    """Least recently used compiled programs, keyed by text, output and limits.

    A program is kept from the second time its text is seen (nginx's ``proxy_cache_min_uses
    2``): one-off texts, such as an auto-grader's, neither push the page's programs out nor
    stay alive long enough for the cyclic collector to keep walking them. Thread-safe.
    """

    def __init__(self, entries: int = CACHE_ENTRIES, max_nodes: int = CACHE_MAX_NODES,
                 seen_entries: int = SEEN_ENTRIES) -> None:
        self.entries = entries
        self.max_nodes = max_nodes
        self.seen_entries = seen_entries
        self._programs: OrderedDict[tuple[str, str | None, Any], Program] = OrderedDict()
        self._seen_once: OrderedDict[int, None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, expression: str, output: str | None = None) -> Program:
        """:func:`compile_program`, or the program compiled for the same key before."""
        key = (expression, output, LIMITS)  # a program is only valid under the limits it passed
        with self._lock:
            program = self._programs.get(key)
            if program is not None:
                self._programs.move_to_end(key)
                return program
            admit = self._seen(hash(key))
        program = compile_program(expression, output)
        if admit and program.node_count <= self.max_nodes:
            with self._lock:
                self._programs[key] = program
                while len(self._programs) > self.entries:
                    self._programs.popitem(last=False)
        return program

    def _seen(self, fingerprint: int) -> bool:
        """Whether this key was seen once before (and now may be kept); else remember it."""
        if self._seen_once.pop(fingerprint, False) is None:
            return True
        self._seen_once[fingerprint] = None
        if len(self._seen_once) > self.seen_entries:
            self._seen_once.popitem(last=False)
        return False
