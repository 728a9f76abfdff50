"""chainrule/allocator.py: a server process keeps freed memory, so large responses stop faulting."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chainrule import allocator

# Ten rounds of what a tensor model's response does: a few arrays serialized one by one (as
# render does) into a 16 MB body, all freed; prints the page faults of those rounds.
FAULTS = """
import resource, sys
import numpy as np, orjson
from chainrule.allocator import keep_freed_memory
tuned = keep_freed_memory() if sys.argv[1] == "tune" else False
rng = np.random.default_rng(0)
arrays = [rng.normal(size=(n, 1000)) for n in (100, 300, 400)]


def respond():
    parts = [orjson.Fragment(orjson.dumps(a, option=orjson.OPT_SERIALIZE_NUMPY)) for a in arrays]
    return orjson.dumps({"arrays": parts})


respond()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    respond()
print(tuned, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def faults(mode: str, **env: str) -> tuple[bool, int]:
    out = subprocess.run([sys.executable, "-c", FAULTS, mode], capture_output=True, text=True,
                         env={**os.environ, **env}, timeout=60, check=True).stdout.split()
    return out[0] == "True", int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_tuned_process_reuses_freed_pages() -> None:
    tuned, tuned_faults = faults("tune")
    assert tuned
    _, plain_faults = faults("plain")
    # 16 MB is 4,096 pages: untuned, the rounds keep mapping pages afresh (76k faults
    # measured); tuned, they reuse the first round's (0 measured)
    assert plain_faults > 10 * 2000, plain_faults
    assert tuned_faults < 1000, tuned_faults


def test_zero_turns_it_off_and_nonsense_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(allocator.ENV, "0")
    assert allocator.keep_freed_memory() is False
    monkeypatch.setenv(allocator.ENV, "lots")
    with pytest.raises(RuntimeError, match=allocator.ENV):
        allocator.keep_freed_memory()
