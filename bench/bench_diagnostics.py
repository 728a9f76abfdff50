"""Benchmark: what gradient-health diagnostics add to POST /api/graph on the scalar MLP.

    python bench/bench_diagnostics.py [--repeats 7] [--workload scalar_mlp]

Times, as CPU time per call (medians over ``--repeats``; each repeat is a batch of calls
lasting at least 0.2 s), the work the /api/graph handler does for the workload of
``bench/workloads.py``:

- ``graph``: ``chainrule.teaching.analysis.analyze(..., arrays="numpy")`` then ``orjson.dumps``: the
  handler's whole work, diagnostics included (the program cached, as when the page re-sends
  the same text with new values);
- ``engine``: the same without diagnostics (``chainrule.engine.analyze``);
- ``diagnose``: ``chainrule.teaching.diagnostics.diagnose`` alone on a finished run.

The share reported is ``diagnose / graph``. HTTP parsing and uvicorn add to the real
request's time, so the share of a request over the network is smaller still.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson

from bench import workloads
from chainrule.engine import ENGINE_KIND
from chainrule.engine import analyze as engine_analyze
from chainrule.engine.values import resolve_values
from chainrule.programs import PROGRAMS, cached_program
from chainrule.teaching.analysis import analyze
from chainrule.teaching.diagnostics import diagnose

MIN_BATCH_SECONDS = 0.2


def per_call(fn: Callable[[], Any], repeats: int) -> float:
    """Median CPU seconds per call."""
    fn()
    n = 1
    while True:  # calls per repeat so that one repeat lasts MIN_BATCH_SECONDS
        start = time.process_time()
        for _ in range(n):
            fn()
        if time.process_time() - start >= MIN_BATCH_SECONDS:
            break
        n *= 2
    samples = []
    for _ in range(repeats):
        gc.collect()
        start = time.process_time()
        for _ in range(n):
            fn()
        samples.append((time.process_time() - start) / n)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--workload", default="scalar_mlp", choices=["scalar_mlp", "worked", "chain"])
    args = parser.parse_args()
    work = getattr(workloads, args.workload)()
    text, values = work.text, work.values

    def graph() -> None:
        orjson.dumps(analyze(text, values, arrays="numpy"))

    def engine() -> None:
        orjson.dumps(engine_analyze(text, values, arrays="numpy", programs=PROGRAMS))

    program = cached_program(text)
    cached_program(text)  # a program is cached from its second use, as the page's is
    run = program.run(resolve_values(values, program.input_names))
    flags, _ = diagnose(program, run)

    times = {"graph": per_call(graph, args.repeats), "engine": per_call(engine, args.repeats),
             "diagnose": per_call(lambda: diagnose(program, run), args.repeats)}
    print(f"workload: {work.name}, {program.node_count} nodes, engine {ENGINE_KIND}, "
          f"{len(flags)} flags, load average {os.getloadavg()[0]:.2f}")
    for name, seconds in times.items():
        print(f"  {name:9s} {seconds * 1e3:8.3f} ms")
    share = times["diagnose"] / times["graph"]
    print(f"  diagnostics: {share:.1%} of the /api/graph handler's time "
          f"(graph - engine: {(times['graph'] - times['engine']) / times['graph']:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
