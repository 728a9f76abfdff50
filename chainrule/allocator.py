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
