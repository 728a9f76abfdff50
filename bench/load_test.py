#!/usr/bin/env python
"""A bounded load test on loopback: uvicorn with N workers, a mix of /api/graph and /api/train.

Starts ``uvicorn chainrule.main:app --workers N`` on 127.0.0.1 (never another interface), warms up,
then keeps ``--concurrency`` keep-alive connections busy for ``--seconds`` with a round-robin
mix of three requests: the worked example (POST /api/graph), a small tensor MLP with
softmax cross-entropy (POST /api/graph) and the worked training example for 50 steps
(POST /api/train). Reports requests/s, p50/p95/p99 latency, errors, and each worker's RSS
sampled every few seconds (start vs end: "memory stable"). A script, not a unit test:

    .venv/bin/python bench/load_test.py [--workers 2] [--seconds 60] [--concurrency 32]

``--capacity`` (first argument) measures instead what ONE worker serves of each workload
alone, in requests/s and per CPU-second: the figure to size replicas by (bench/capacity.py).

``--hostile N`` adds N connections that send only heavy requests (10,000-step training, a
gradient check on a 2,000-node graph, a surface at its grid limit, a 600x600 tensor graph
whose answer is megabytes, a 10-param training with its arithmetic explained) beside the
normal mix, from their own loopback address (``--heavy-from``, default 127.0.0.2: another
client to the server), and GETs /api/health every 0.05 s: the report then shows the normal
requests' latency under attack, how many of each were turned away with 503 ``busy``, the
health latency (p95, max) and each worker's RSS before the load, at its peak, and
``--settle`` seconds after it (do workers give the memory back?). The heavy mix of the
hardening round:

    .venv/bin/python bench/load_test.py --workers 2 --seconds 30 --concurrency 4 --hostile 50

The client is one asyncio process speaking HTTP/1.1 over persistent connections, so it costs
far less CPU than the server it loads (on a 2-core machine they still share the cores).
Exit status 1 when any request failed or memory grew by more than ``--max-growth-mb``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.servers import (  # noqa: E402
    HOST,
    encode_request,
    free_port,
    read_response,
    rss_mb,
    start_server,
    stop_server,
    worker_pids,
)

WORKED_GRAPH = {"expression": "y = w*x + b\nloss = abs(y_true - y)",
                "values": {"x": 2, "y_true": 4, "w": 3, "b": 1}}
MLP_GRAPH = {
    "expression": "h = relu(x @ W1 + b1)\nlogits = h @ W2 + b2\nloss = cross_entropy(logits, labels)",
    "values": {"x": {"init": "normal", "shape": [4, 3], "seed": 0},
               "W1": {"init": "normal", "shape": [3, 5], "scale": 0.5, "seed": 1},
               "b1": {"init": "zeros", "shape": [5]},
               "W2": {"init": "normal", "shape": [5, 2], "scale": 0.5, "seed": 2},
               "b2": {"init": "zeros", "shape": [2]},
               "labels": [0, 1, 1, 0]},
}
WORKED_TRAIN = {"expression": "loss = mean((w*x + b - y)**2)", "values": {"w": 0.3, "b": 0.0},
                "params": ["w", "b"], "data": {"x": [1, 2, 3, 4], "y": [2, 4, 6, 8]},
                "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9}, "steps": 50, "seed": 0}
MIX: list[tuple[str, str, dict[str, Any]]] = [
    ("graph worked", "/api/graph", WORKED_GRAPH),
    ("graph mlp", "/api/graph", MLP_GRAPH),
    ("train worked x50", "/api/train", WORKED_TRAIN),
]
CHAIN_2000 = "\n".join(["c0 = x"] + [f"c{i} = c{i - 1} * w + x" for i in range(1, 500)]
                        + ["loss = c499"])
HEAVY_MIX: list[tuple[str, str, dict[str, Any]]] = [
    ("heavy train x10000", "/api/train", {
        "expression": "h = tanh(x*w1 + b1)\nloss = mean((h*w2 + b2 - y)**2)",
        "values": {"w1": 0.5, "b1": 0.0, "w2": 0.5, "b2": 0.0}, "params": ["w1", "b1", "w2", "b2"],
        "data": {"x": list(range(200)), "y": list(range(200))},
        "optimizer": {"name": "adam", "lr": 0.01}, "steps": 10_000}),
    ("heavy check 2000 nodes", "/api/graph", {"expression": CHAIN_2000,
                                              "values": {"x": 0.5, "w": 0.9}, "check": True}),
    ("heavy surface 101x101", "/api/surface", {
        "expression": "loss = mean((w*x + b - y)**2)", "values": {"w": 0.3, "b": 0.0},
        "params": ["w", "b"], "data": {"x": list(range(1000)), "y": list(range(1000))},
        "resolution": 101}),
    ("heavy tensor graph 600x600", "/api/graph", {
        "expression": "h = W @ x\nloss = sum(h * h)",
        "values": {"W": {"init": "normal", "shape": [600, 600], "seed": 1},
                   "x": {"init": "normal", "shape": [600, 600], "seed": 2}}}),
    ("heavy train explained", "/api/train", {
        "expression": "loss = " + " + ".join(f"(p{i} - {i})**2" for i in range(10)),
        "values": {f"p{i}": 0.0 for i in range(10)}, "params": [f"p{i}" for i in range(10)],
        "optimizer": {"name": "adam", "lr": 0.01}, "steps": 10_000}),
]
HEAVY_FROM = "127.0.0.2"  # Linux answers the whole 127/8 on loopback: a second client


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {name: [] for name, _, _ in MIX + HEAVY_MIX})
    errors: list[str] = field(default_factory=list)
    busy: dict[str, int] = field(default_factory=dict)  # 503 busy (and heavy 4xx) per kind
    normal_busy: int = 0  # normal requests answered 503 busy
    health: list[float] = field(default_factory=list)  # GET /api/health latencies under load

    def all_latencies(self) -> list[float]:
        """The normal mix's latencies (the heavy ones are reported apart)."""
        normal = {name for name, _, _ in MIX}
        return sorted(x for name, values in self.latencies.items() if name in normal for x in values)


# ---------------------------------------------------------------- the client


async def client(port: int, until: float, offset: int, stats: Stats | None,
                 requests: list[bytes], mix: list[tuple[str, str, dict[str, Any]]] = MIX,
                 source: str | None = None) -> None:
    local = (source, 0) if source else None
    reader, writer = await asyncio.open_connection(HOST, port, local_addr=local)
    i = offset
    try:
        while time.perf_counter() < until:
            name = mix[i % len(mix)][0]
            data = requests[i % len(mix)]
            i += 1
            start = time.perf_counter()
            try:
                writer.write(data)
                await writer.drain()
                status, body = await read_response(reader)
            except (OSError, asyncio.IncompleteReadError, RuntimeError, ValueError) as exc:
                if stats is not None:
                    stats.errors.append(f"{name}: {type(exc).__name__}: {exc}")
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port, local_addr=local)
                continue
            elapsed = time.perf_counter() - start
            if stats is None:
                continue
            if status == 503 and mix is MIX:
                stats.normal_busy += 1
            elif status == 503 or (status in (400, 413) and mix is HEAVY_MIX):
                # turned away: busy, or a heavy request over its limits (the budget): by design
                kind = f"{name}: {status}"
                stats.busy[kind] = stats.busy.get(kind, 0) + 1
            elif status != 200:
                stats.errors.append(f"{name}: HTTP {status}: {body[:200]!r}")
            else:
                stats.latencies[name].append(elapsed)
    finally:
        writer.close()


async def run_load(port: int, seconds: float, concurrency: int, stats: Stats | None,
                   hostile: int = 0, heavy_from: str | None = HEAVY_FROM) -> float:
    requests = [encode_request(path, body, port) for _, path, body in MIX]
    heavy = [encode_request(path, body, port) for _, path, body in HEAVY_MIX]
    start = time.perf_counter()
    until = start + seconds
    tasks = [client(port, until, k, stats, requests) for k in range(concurrency)]
    tasks += [client(port, until, k, stats, heavy, HEAVY_MIX, heavy_from) for k in range(hostile)]
    prober = start_health_probe(port, seconds) if hostile and stats is not None else None
    await asyncio.gather(*tasks)
    if prober is not None and stats is not None:
        out, _ = prober.communicate(timeout=seconds + 60)
        stats.health.extend(json.loads(out))
    return time.perf_counter() - start


def start_health_probe(port: int, seconds: float) -> subprocess.Popen[str]:
    """GET /api/health every 50 ms in a process of its own, as an orchestrator's probe would:
    timed in this client's process, busy with the load's sockets, it would count the client's
    own delays. Prints the latencies (s; inf for a failure) as JSON."""
    code = f"from bench.load_test import poll_health; poll_health({port}, {seconds})"
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)


def poll_health(port: int, seconds: float, every: float = 0.05) -> None:
    import http.client

    seen: list[float] = []
    until = time.perf_counter() + seconds
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    while time.perf_counter() < until:
        start = time.perf_counter()
        try:
            conn.request("GET", "/api/health")
            response = conn.getresponse()
            response.read()
            seen.append(time.perf_counter() - start if response.status == 200 else float("inf"))
        except OSError:
            seen.append(float("inf"))
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
        time.sleep(every)
    conn.close()
    print(json.dumps(seen))


async def sample_memory(pids: list[int], every: float, samples: list[tuple[float, list[float]]],
                        stop: asyncio.Event) -> None:
    t0 = time.perf_counter()
    while not stop.is_set():
        samples.append((time.perf_counter() - t0, [rss_mb(p) for p in pids]))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
    samples.append((time.perf_counter() - t0, [rss_mb(p) for p in pids]))


async def measure(port: int, args: argparse.Namespace, pids: list[int]
                  ) -> tuple[Stats, float, list[tuple[float, list[float]]]]:
    stats = Stats()
    samples: list[tuple[float, list[float]]] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(pids, args.sample_every, samples, stop))
    elapsed = await run_load(port, args.seconds, args.concurrency, stats, args.hostile,
                             args.heavy_from)
    stop.set()
    await sampler
    return stats, elapsed, samples


def settled_rss(pids: list[int], seconds: float) -> list[float]:
    """Each worker's RSS once the load has stopped and ``seconds`` have passed."""
    time.sleep(seconds)
    return [round(rss_mb(p), 1) for p in pids]


# ---------------------------------------------------------------- the report


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def report(args: argparse.Namespace, stats: Stats, elapsed: float,
           samples: list[tuple[float, list[float]]], pids: list[int]) -> dict[str, Any]:
    every = stats.all_latencies()
    normal = {name for name, _, _ in MIX}
    rows = {"all normal": every, **{name: sorted(v) for name, v in stats.latencies.items()
                                    if v or name in normal}}
    start_rss, end_rss = samples[0][1], samples[-1][1]
    growth = max(e - s for s, e in zip(start_rss, end_rss, strict=True))
    result = {
        "workers": args.workers, "concurrency": args.concurrency, "seconds": round(elapsed, 1),
        "requests": len(every), "errors": len(stats.errors),
        "requests_per_s": round(len(every) / elapsed, 1),
        "latency_ms": {name: {"n": len(v), "p50": round(percentile(v, 50) * 1e3, 1),
                              "p95": round(percentile(v, 95) * 1e3, 1),
                              "p99": round(percentile(v, 99) * 1e3, 1)} for name, v in rows.items()},
        "rss_mb": {"workers": pids, "start": [round(x, 1) for x in start_rss],
                   "end": [round(x, 1) for x in end_rss],
                   "max": [round(max(s[1][k] for s in samples), 1) for k in range(len(pids))],
                   "samples": [[round(t, 1), [round(x, 1) for x in v]] for t, v in samples]},
        "memory_stable": growth <= args.max_growth_mb,
        "normal_busy_503": stats.normal_busy,
        "first_errors": stats.errors[:5],
        "hostile": args.hostile,
        "busy_503": stats.busy,
        "health_ms": ({"n": len(stats.health),
                       "p50": round(percentile(sorted(stats.health), 50) * 1e3, 1),
                       "p95": round(percentile(sorted(stats.health), 95) * 1e3, 1),
                       "max": round(max(stats.health) * 1e3, 1)} if stats.health else None),
    }
    print(f"uvicorn --workers {args.workers}, concurrency {args.concurrency}, {elapsed:.1f} s on {HOST}")
    print(f"requests: {result['requests']}  errors: {result['errors']}  "
          f"requests/s: {result['requests_per_s']}")
    print(f"{'latency (ms)':<20}{'n':>8}{'p50':>9}{'p95':>9}{'p99':>9}")
    for name, row in result["latency_ms"].items():
        print(f"{name:<20}{row['n']:>8}{row['p50']:>9}{row['p95']:>9}{row['p99']:>9}")
    print(f"worker RSS (MB), every ~{args.sample_every:g}s: "
          + "; ".join(f"{t:.0f}s " + "/".join(f"{x:.0f}" for x in v) for t, v in samples))
    print(f"RSS start {start_rss} -> end {end_rss} (max growth {growth:.1f} MB): "
          + ("memory stable" if result["memory_stable"] else "MEMORY GREW"))
    if args.hostile:
        print(f"hostile connections: {args.hostile} from {args.heavy_from}; turned away (503 busy, "
              f"heavy over a limit): {stats.busy}; normal requests answered 503: {stats.normal_busy}; "
              f"GET /api/health ms: {result['health_ms']}")
    for line in result["first_errors"]:
        print("error:", line)
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--capacity"]:  # one worker, one workload at a time: see bench/capacity.py
        from bench.capacity import main as capacity

        return capacity(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring")
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds between RSS samples")
    parser.add_argument("--max-growth-mb", type=float, default=20.0,
                        help="RSS growth of any worker that still counts as stable")
    parser.add_argument("--hostile", type=int, default=0,
                        help="extra connections sending only heavy requests (and a health probe)")
    parser.add_argument("--heavy-from", default=HEAVY_FROM,
                        help="loopback address the heavy connections come from (another client)")
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds after the load before the last RSS reading")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    port = free_port()
    with tempfile.TemporaryFile() as log:
        proc = start_server(port, args.workers, log)
        try:
            pids = worker_pids(proc.pid, args.workers)
            fresh = [round(rss_mb(p), 1) for p in pids]
            asyncio.run(run_load(port, args.warmup, args.concurrency, None))
            stats, elapsed, samples = asyncio.run(measure(port, args, pids))
            after = settled_rss(pids, args.settle)
        finally:
            code = stop_server(proc)
            log.seek(0)
            server_log = log.read().decode(errors="replace")
    result = report(args, stats, elapsed, samples, pids)
    result["rss_mb"].update(fresh=fresh, after=after)
    print(f"worker RSS (MB): fresh {fresh}, peak {result['rss_mb']['max']}, "
          f"{args.settle:g} s after the load {after}")
    result["server_exit"] = code
    if server_log.strip():
        print("server log (last 2000 chars):\n" + server_log[-2000:])
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if not stats.errors and result["memory_stable"] else 1


if __name__ == "__main__":
    sys.exit(main())
