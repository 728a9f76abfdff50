"""The C allocator of a server process: keep freed memory for the next response.

A tensor model's response is megabytes of JSON (14.6 MB for the benchmark's MLP). glibc
serves allocations that large with fresh ``mmap`` pages and hands them back on ``free``, so
every such response pays a page fault per 4 KB page it writes (about half of its
serialization time: bench/README.md, "Speed tricks"). Raising glibc's mmap threshold to its
maximum (32 MB) and keeping up to ``CHAINRULE_KEEP_FREED_MEMORY_MB`` of freed memory in the heap lets the next
response reuse pages already mapped. The cost is that much resident memory per worker.

Only server processes call this (``create_app``); importing the engine changes nothing.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from typing import Any

ENV = "CHAINRULE_KEEP_FREED_MEMORY_MB"
DEFAULT_MB = 64
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD_MAX = 32 << 20  # glibc's upper bound for M_MMAP_THRESHOLD on 64-bit
TRIM_THREAD = "chainrule-trim"


def keep_freed_memory(arenas: int | None = None) -> bool:
    """Tune glibc's malloc as above; False where there is nothing to tune (not glibc, or
    ``CHAINRULE_KEEP_FREED_MEMORY_MB=0``).

    ``arenas`` caps glibc's heaps (one per thread by default, up to 8 per core): a thread's
    own heap keeps the holes its requests left between live objects, which no trim can give
    back, so a burst spread over forty threads left ~1 GB behind. The server computes
    ``max_concurrent_work`` requests at once: that many heaps and the main one suffice."""
    if arenas is not None:
        _mallopt(M_ARENA_MAX, max(arenas, 1))
    raw = os.environ.get(ENV, "").strip()
    try:
        megabytes = int(raw) if raw else DEFAULT_MB
    except ValueError as exc:  # a mistyped deployment setting must fail loudly at start-up
        raise RuntimeError(f"environment variable {ENV} must be an integer, got {raw!r}") from exc
    if megabytes <= 0:
        return False
    return _mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX) and _mallopt(M_TRIM_THRESHOLD, megabytes << 20)


def _mallopt(parameter: int, value: int) -> bool:
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):  # musl, macOS, Windows: no mallopt
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(parameter, value))


def resident_bytes() -> int:
    """This process's resident memory (``/proc/self/statm``); 0 where there is no /proc."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


class FreedMemory:
    """Hands freed heap memory back to the system after bursts of heavy requests.

    glibc returns a freed block to the system only from the top of its heaps; after fifty
    concurrent trainings the heaps are full of freed holes and a worker kept ~1 GB it no
    longer used. ``malloc_trim`` gives every wholly free page back (``madvise``). A daemon
    thread looks once a second and trims when the process holds more than ``keep`` bytes
    above its size at start (so the memory :func:`keep_freed_memory` keeps for the next
    response is left alone otherwise); off the event loop, since a trim walks every heap.
    """

    def __init__(self, keep_mb: int | None = None, every: float = 1.0) -> None:
        raw = os.environ.get(ENV, "").strip()
        megabytes = keep_mb if keep_mb is not None else (int(raw) if raw.isdigit() else DEFAULT_MB)
        self.keep = max(megabytes, 0) << 20
        self.every = every
        self.baseline = resident_bytes()
        self._trim: Any = None
        try:
            self._trim = ctypes.CDLL(None).malloc_trim
            self._trim.argtypes, self._trim.restype = (ctypes.c_size_t,), ctypes.c_int
        except (OSError, AttributeError):  # not glibc: nothing to trim
            self._trim = None

    def due(self) -> bool:
        return self._trim is not None and resident_bytes() > self.baseline + self.keep

    def release(self) -> bool:
        """``malloc_trim`` if due."""
        if self._trim is None or not self.due():
            return False
        return bool(self._trim(self.keep))

    def watch(self) -> threading.Thread | None:
        """Start the daemon thread that calls :meth:`release` every ``every`` seconds (one per
        process: an app built again, as tests do, reuses the running one)."""
        running = next((t for t in threading.enumerate() if t.name == TRIM_THREAD), None)
        if running is not None or self._trim is None or self.baseline == 0:
            return running

        def loop() -> None:
            while True:
                time.sleep(self.every)
                self.release()

        thread = threading.Thread(target=loop, name=TRIM_THREAD, daemon=True)
        thread.start()
        return thread
