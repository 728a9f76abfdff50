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

ENV = "CHAINRULE_KEEP_FREED_MEMORY_MB"
DEFAULT_MB = 64
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD_MAX = 32 << 20  # glibc's upper bound for M_MMAP_THRESHOLD on 64-bit


def keep_freed_memory() -> bool:
    """Tune glibc's malloc as above; False where there is nothing to tune (not glibc, or
    ``CHAINRULE_KEEP_FREED_MEMORY_MB=0``)."""
    raw = os.environ.get(ENV, "").strip()
    try:
        megabytes = int(raw) if raw else DEFAULT_MB
    except ValueError as exc:  # a mistyped deployment setting must fail loudly at start-up
        raise RuntimeError(f"environment variable {ENV} must be an integer, got {raw!r}") from exc
    if megabytes <= 0:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):  # musl, macOS, Windows: no mallopt
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)) and \
        bool(mallopt(M_TRIM_THRESHOLD, megabytes << 20))


def resident_bytes() -> int:
    """This process's resident memory (``/proc/self/statm``); 0 where there is no /proc."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


class FreedMemory:
    """Hands freed heap memory back to the system once a burst of heavy requests is over.

    glibc returns a freed block to the system only from the top of its heaps; after fifty
    concurrent trainings the heaps are full of freed holes and a worker keeps ~1 GB it no
    longer uses. ``malloc_trim`` gives every wholly free page back (``madvise``). It runs
    only when the process holds more than ``keep`` bytes above its size at start, so the
    memory :func:`keep_freed_memory` keeps for the next response is left alone otherwise.
    """

    MIN_INTERVAL_S = 1.0  # under steady load, trim at most this often

    def __init__(self, keep_mb: int | None = None) -> None:
        raw = os.environ.get(ENV, "").strip()
        megabytes = keep_mb if keep_mb is not None else (int(raw) if raw.isdigit() else DEFAULT_MB)
        self.keep = max(megabytes, 0) << 20
        self.baseline = resident_bytes()
        self._busy = threading.Lock()
        self._last = -self.MIN_INTERVAL_S
        try:
            self._trim = ctypes.CDLL(None).malloc_trim
            self._trim.argtypes, self._trim.restype = (ctypes.c_size_t,), ctypes.c_int
        except (OSError, AttributeError):  # not glibc: nothing to trim
            self._trim = None

    def due(self) -> bool:
        return (self._trim is not None and time.monotonic() - self._last >= self.MIN_INTERVAL_S
                and resident_bytes() > self.baseline + self.keep)

    def release(self) -> bool:
        """``malloc_trim`` if due (call it off the event loop: it walks every heap)."""
        if self._trim is None or not self._busy.acquire(blocking=False):
            return False
        try:
            if not self.due():
                return False
            self._last = time.monotonic()
            return bool(self._trim(self.keep))
        finally:
            self._busy.release()
