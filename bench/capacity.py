#!/usr/bin/env python
"""Capacity of one uvicorn worker, per workload: the figure an operator sizes replicas by.

    .venv/bin/python bench/load_test.py --capacity [--seconds 20] [--concurrency 4]
    .venv/bin/python bench/capacity.py [--seconds 20] [--concurrency 4] [--json out.json]

Starts ``uvicorn chainrule.main:app`` with ONE worker on 127.0.0.1 (loopback only), then, for each
workload in turn, warms up and keeps ``--concurrency`` keep-alive connections sending only
that request for ``--seconds``: the worked example (POST /api/graph) and the built-in
training runs a student starts from the training panel (POST /api/train, from
chainrule/training/examples.py). It reports two figures per workload:

- requests/s observed: what this run got, which on a shared machine depends on what else
  was running (the 1-minute load average before and after is printed beside it);
- requests per CPU-second of the worker (server CPU time from /proc): what one worker does
  with one whole core, the capacity to size by. One uvicorn worker is one Python process:
  it never uses much more than one core, so this is also its ceiling.

Every answer must be 200 (a rate limit or any error makes the run fail: exit status 1).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.servers import (  # noqa: E402
    HOST,
    encode_request,
    free_port,
    read_response,
    start_server,
    stop_server,
)
from chainrule.examples import EXAMPLES  # noqa: E402
from chainrule.training.examples import TRAINING_EXAMPLES, train_kwargs  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Workload:
    name: str
    path: str
    body: dict[str, Any]


def _training(example_id: str) -> Workload:
    example = next(e for e in TRAINING_EXAMPLES if e["id"] == example_id)
    body = train_kwargs(example)
    return Workload(f"train {example_id}, {body['steps']} steps", "/api/train", body)


def workloads() -> list[Workload]:
    worked = EXAMPLES[0]
    return [Workload("graph: the worked example", "/api/graph",
                     {"expression": worked["expression"], "values": worked["values"]}),
            _training("linear-regression"),
            _training("mlp-moons")]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


async def _connection(port: int, request: bytes, until: float, counts: dict[str, int],
                      latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while time.perf_counter() < until:
            start = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status, body = await read_response(reader)
            if status == 200:
                counts["ok"] += 1
                latencies.append(time.perf_counter() - start)
            else:
                counts["failed"] += 1
                counts.setdefault(f"HTTP {status}: {body[:120]!r}", 0)
    finally:
        writer.close()


async def _drive(port: int, request: bytes, seconds: float, concurrency: int
                 ) -> tuple[dict[str, int], list[float], float]:
    counts = {"ok": 0, "failed": 0}
    latencies: list[float] = []
    start = time.perf_counter()
    until = start + seconds
    await asyncio.gather(*(_connection(port, request, until, counts, latencies)
                           for _ in range(concurrency)))
    return counts, latencies, time.perf_counter() - start


def measure(port: int, pid: int, workload: Workload, args: argparse.Namespace) -> dict[str, Any]:
    request = encode_request(workload.path, workload.body, port)
    asyncio.run(_drive(port, request, args.warmup, args.concurrency))
    load_before = load_average()
    cpu_before = cpu_seconds(pid)
    counts, latencies, elapsed = asyncio.run(_drive(port, request, args.seconds, args.concurrency))
    cpu = cpu_seconds(pid) - cpu_before
    latencies.sort()
    return {
        "workload": workload.name, "path": workload.path, "seconds": round(elapsed, 1),
        "requests": counts["ok"], "failed": counts["failed"],
        "errors": [k for k in counts if k.startswith("HTTP")][:3],
        "requests_per_s": round(counts["ok"] / elapsed, 1),
        "server_cpu_s": round(cpu, 2),
        "cpu_share": round(cpu / elapsed, 2),  # of one core
        "requests_per_cpu_s": round(counts["ok"] / cpu, 1) if cpu > 0 else None,
        "p50_ms": round(latencies[len(latencies) // 2] * 1e3, 1) if latencies else None,
        "load_average": [load_before, load_average()],
    }


def engine_kind(port: int) -> str:
    """'compiled' or 'pure' (Python): the server's /api/health says which engine it runs."""
    with urllib.request.urlopen(f"http://{HOST}:{port}/api/health", timeout=5) as r:
        return str(json.loads(r.read()).get("engine", "unknown"))


def report(rows: list[dict[str, Any]], args: argparse.Namespace, engine: str) -> None:
    print(f"capacity of ONE uvicorn worker on {HOST} ({engine} engine), {os.cpu_count()} cores, "
          f"concurrency {args.concurrency}, {args.seconds:g} s per workload")
    print(f"{'workload':<38}{'req/s':>8}{'CPU of 1 core':>15}{'req/CPU-s':>11}{'p50 ms':>8}"
          f"{'load avg':>14}")
    for r in rows:
        print(f"{r['workload']:<38}{r['requests_per_s']:>8}{r['cpu_share']:>15}"
              f"{r['requests_per_cpu_s']!s:>11}{r['p50_ms']!s:>8}"
              f"{r['load_average'][0]:>7.1f}->{r['load_average'][1]:<6.1f}")
        for error in r["errors"]:
            print("   error:", error)
    print("req/CPU-s = requests per CPU-second of the worker: its capacity with one free core.")


def run(args: argparse.Namespace) -> int:
    port = free_port()
    rows = []
    with tempfile.TemporaryFile() as log:
        proc = start_server(port, 1, log)
        try:
            engine = engine_kind(port)
            for workload in workloads():
                rows.append(measure(port, proc.pid, workload, args))
        finally:
            stop_server(proc)
    report(rows, args, engine)
    if args.json:
        args.json.write_text(json.dumps({"engine": engine, "workloads": rows}, indent=2))
    return 0 if all(r["failed"] == 0 and r["requests"] > 0 for r in rows) else 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per workload")
    parser.add_argument("--concurrency", type=int, default=4, help="keep-alive connections")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring")
    parser.add_argument("--json", type=Path, help="also write the figures here")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
