#!/usr/bin/env python
"""POST /api/graph (worked example) against a FastAPI echo endpoint served the same way.

Both apps are served by uvicorn, one worker each, same flags, on 127.0.0.1 only; wrk (Debian
package ``wrk``) loads them alternately, for bounded durations, in the same run. The target:
chainrule's requests/s >= 50% of the echo's (median over rounds of the back-to-back
ratio). Run from the repository root:

    .venv/bin/python bench/bench_http.py [--quick] [--duration 5] [--rounds 3]

The echo endpoint is written the way the chainrule route is (a plain ``def`` taking the JSON
body and returning it), so the difference is chainrule's own work: validation of the request
model, parse, forward, backward, rendering, orjson, and the app's middleware.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from fastapi import FastAPI

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only

WORKED = {"expression": "y = w*x + b; loss = abs(y_true - y)",
          "values": {"x": 2, "y_true": 4, "w": 3, "b": 1}}

echo_app = FastAPI(title="echo")


@echo_app.post("/api/echo")
def echo(body: dict[str, Any]) -> dict[str, Any]:
    return body


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def serve(target: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "uvicorn", target, "--host", HOST, "--port", str(port),
           "--workers", "1", "--no-access-log", "--log-level", "warning"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)


def post(url: str, body: dict[str, Any], timeout: float = 5.0) -> tuple[int, Any]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, json.loads(resp.read())


def wait_ready(url: str, proc: subprocess.Popen[bytes], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {proc.returncode}")
        try:
            post(url, WORKED, timeout=1.0)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server for {url} not ready after {seconds} s")


def wrk(url: str, script: Path, duration: int, connections: int) -> dict[str, Any]:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "--latency",
           "-s", str(script), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    p50 = re.search(r"50%\s+(\S+)", out)
    p99 = re.search(r"99%\s+(\S+)", out)
    return {"rps": rps, "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(0) if errors else "",
            "p50": p50.group(1) if p50 else "?", "p99": p99.group(1) if p99 else "?"}


# ---------------------------------------------------------------- in-process profile (--profile)
def _asgi_post(app: Any, path: str, body: bytes) -> Any:
    """One POST through the ASGI app in this process (no socket, no uvicorn)."""
    import asyncio

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "client": (HOST, 50000), "server": (HOST, 80),
             "headers": [(b"host", HOST.encode()), (b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode())]}

    async def call() -> None:
        sent = False
        status: list[int] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(msg: dict[str, Any]) -> None:
            if msg["type"] == "http.response.start":
                status.append(msg["status"])

        await app(scope, receive, send)
        assert status == [200], status

    return call


def profile_in_process(n: int, top: int) -> None:
    """CPU per request of both apps in-process, then cProfile of /api/graph's request path.

    FastAPI runs a plain ``def`` endpoint in a worker thread, which cProfile does not see; the
    profile therefore runs it inline (the CPU-per-request lines keep the thread hand-off).
    """
    import asyncio
    import cProfile
    import pstats

    import fastapi.routing

    from chainrule.main import app

    body = json.dumps(WORKED).encode()
    apps = {"echo": (echo_app, "/api/echo"), "chainrule": (app, "/api/graph")}

    async def many(a: Any, path: str, count: int) -> None:
        for _ in range(count):
            await _asgi_post(a, path, body)()

    for name, (a, path) in apps.items():
        asyncio.run(many(a, path, 50))
        t0 = time.process_time()
        asyncio.run(many(a, path, n))
        print(f"in-process CPU per request, {name}: {(time.process_time() - t0) / n * 1e6:.0f} µs")

    async def inline(func: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    saved = fastapi.routing.run_in_threadpool
    fastapi.routing.run_in_threadpool = inline  # type: ignore[assignment]
    try:
        a, path = apps["chainrule"]
        asyncio.run(many(a, path, 50))
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        asyncio.run(many(a, path, n))
        prof.disable()
    finally:
        fastapi.routing.run_in_threadpool = saved  # type: ignore[assignment]
    stats = pstats.Stats(prof).strip_dirs()
    print(f"\n=== profile: POST /api/graph in-process, {n} requests, endpoint inline — cumulative ===")
    stats.sort_stats("cumulative").print_stats(top)
    print("=== by own time ===")
    stats.sort_stats("tottime").print_stats(top)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one 3 s round each")
    ap.add_argument("--duration", type=int, help="seconds per wrk run (default 5, quick 3)")
    ap.add_argument("--rounds", type=int, help="alternating rounds; the median is reported (default 3)")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--profile", type=int, metavar="N", default=0,
                    help="instead of wrk: N requests in-process, CPU per request and a cProfile")
    ap.add_argument("--top", type=int, default=40, help="functions shown by --profile")
    args = ap.parse_args()
    if args.profile:
        profile_in_process(args.profile, args.top)
        return 0
    duration = args.duration or (3 if args.quick else 5)
    rounds = args.rounds or (1 if args.quick else 3)
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get update && apt-get install -y wrk", file=sys.stderr)
        return 2

    body = json.dumps(WORKED)
    procs: list[subprocess.Popen[bytes]] = []
    started = time.perf_counter()
    try:
        ports = {"echo": free_port(), "chainrule": free_port()}
        targets = {"echo": "bench.bench_http:echo_app", "chainrule": "chainrule.main:app"}
        urls = {"echo": f"http://{HOST}:{ports['echo']}/api/echo",
                "chainrule": f"http://{HOST}:{ports['chainrule']}/api/graph"}
        for name in ("echo", "chainrule"):
            procs.append(serve(targets[name], ports[name]))
        for name, proc in zip(("echo", "chainrule"), procs, strict=True):
            wait_ready(urls[name], proc)

        status, got = post(urls["chainrule"], WORKED)
        assert status == 200 and got["value"] == 3.0, got
        assert got["gradients"] == {"x": 3.0, "w": 2.0, "b": 1.0, "y_true": -1.0}, got["gradients"]
        status, got = post(urls["echo"], WORKED)
        assert status == 200 and got == WORKED, got
        print("checks: /api/graph answers loss 3, grads w=2 b=1 x=3 y_true=-1; echo echoes\n", flush=True)

        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "post.lua"
            script.write_text('wrk.method = "POST"\n'
                              'wrk.headers["Content-Type"] = "application/json"\n'
                              f"wrk.body = {json.dumps(body)}\n")
            for name in ("echo", "chainrule"):  # warm-up, not counted
                wrk(urls[name], script, 2, args.connections)
            results: dict[str, list[dict[str, Any]]] = {"echo": [], "chainrule": []}
            for r in range(rounds):
                order = ("echo", "chainrule") if r % 2 == 0 else ("chainrule", "echo")
                for name in order:
                    res = wrk(urls[name], script, duration, args.connections)
                    results[name].append(res)
                    print(f"  round {r + 1} {name:9s}: {res['rps']:9.1f} req/s  p50 {res['p50']:>8s}  "
                          f"p99 {res['p99']:>8s}  non-2xx {res['non2xx']} {res['socket_errors']}",
                          flush=True)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    med = {k: statistics.median(x["rps"] for x in v) for k, v in results.items()}
    bad = sum(x["non2xx"] for v in results.values() for x in v)
    # each round's two runs are back to back, so their ratio sees the same background load;
    # the median of those paired ratios is the verdict (the ratio of medians is printed too)
    paired = [c["rps"] / e["rps"] for c, e in zip(results["chainrule"], results["echo"], strict=True)]
    ratio = statistics.median(paired)
    ok = ratio >= 0.5 and bad == 0
    print(f"\nwrk -t1 -c{args.connections} -d{duration}s, {rounds} round(s) each, uvicorn --workers 1, "
          f"median req/s ({time.perf_counter() - started:.0f} s):\n")
    print("| endpoint | req/s (median) | p50 latency | ratio to echo | target | result |")
    print("|---|---|---|---|---|---|")
    p50 = {k: v[len(v) // 2]["p50"] for k, v in results.items()}
    print(f"| FastAPI echo POST /api/echo | {med['echo']:.0f} | {p50['echo']} | 1.00 | | |")
    print(f"| chainrule POST /api/graph (worked example) | {med['chainrule']:.0f} | {p50['chainrule']} | "
          f"{ratio:.2f} | >= 0.50 | {'PASS' if ok else 'FAIL'}"
          f"{f' ({bad} non-2xx)' if bad else ''} |")
    print(f"\nratio = median of the per-round ratios {', '.join(f'{r:.2f}' for r in paired)}; "
          f"ratio of the medians {med['chainrule'] / med['echo']:.2f}; load average now "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    if args.json:
        args.json.write_text(json.dumps({"results": results, "median_rps": med, "ratio": ratio,
                                         "paired_ratios": paired,
                                         "pass": ok}, indent=2))
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
