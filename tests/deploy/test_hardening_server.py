"""Hardening, round 2 (issue 20), against a real ``chainrule serve`` over real sockets: a
huge bad body neither kills a worker nor stalls its event loop; half-sent bodies hold no
compute slot and time out; a client sending heavy work cannot push another client's small
requests into 503s while health stays fast; a worker gives memory back after heavy bursts
(read from /proc)."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.load_test import HEAVY_MIX, Stats, percentile, run_load
from bench.servers import rss_mb, worker_pids
from chainrule.config import LIMITS
from tests.deploy.processes import HOST, chainrule_process, request

SMALL = {"expression": "y = w*x + b; loss = abs(y_true - y)", "values": {"x": 2, "y_true": 4, "w": 3, "b": 1}}


def post_from(base: str, path: str, body: object, source: str = HOST, timeout: float = 120
              ) -> tuple[int, bytes]:
    """One POST from the loopback address ``source`` (Linux answers all of 127/8: each
    address is another client to the server)."""
    port = int(base.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout, source_address=(source, 0))
    try:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        conn.request("POST", path, data, {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def health_while(base: str, busy: Callable[[], bool], every: float = 0.05) -> list[float]:
    """GET /api/health latencies, one every ``every`` s while ``busy()``."""
    seen: list[float] = []
    while busy() or not seen:
        t0 = time.perf_counter()
        status, _, _ = request(base, "/api/health")
        seen.append(time.perf_counter() - t0 if status == 200 else float("inf"))
        time.sleep(every)
    return seen


def in_thread(target: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run ``target`` in a thread; its list gets ``(result, seconds)``."""
    out: list[Any] = []

    def timed() -> None:
        t0 = time.perf_counter()
        result = target()
        out.append((result, time.perf_counter() - t0))

    thread = threading.Thread(target=timed)
    thread.start()
    return thread, out


# ------------------------------------------------------------- 1. a bad body kills no worker


def test_a_7mb_body_of_bad_values_kills_no_worker_and_drops_no_request(tmp_path: Path) -> None:
    """The probe: 400,000 bad entries in ``values`` (7 MB) made pydantic build errors for ~8 s
    on the event loop; the supervisor killed the worker and the requests on it."""
    bad = json.dumps({"expression": "y = x", "values": {f"v{i}": True for i in range(400_000)}}).encode()
    assert 6_000_000 < len(bad) < LIMITS.max_body_bytes
    with chainrule_process(tmp_path, {}, workers=2) as (base, proc):
        time.sleep(1)  # both workers up
        workers = worker_pids(proc.pid, 2)
        assert len(workers) == 2
        probes = [in_thread(lambda: post_from(base, "/api/graph", bad)) for _ in range(3)]
        neighbours = [in_thread(lambda: post_from(base, "/api/graph", SMALL)) for _ in range(6)]
        health = health_while(base, lambda: any(t.is_alive() for t, _ in probes))
        for thread, _ in probes + neighbours:
            thread.join(60)
        assert worker_pids(proc.pid, 2) == workers  # nobody was killed and restarted
    for _, [((status, body), seconds)] in probes:
        error = json.loads(body)["error"]
        assert status == 400 and error["params"]["limit"] == "CHAINRULE_MAX_REQUEST_ENTRIES", body[:300]
        assert seconds < LIMITS.request_budget_seconds, seconds
    assert [out[0][0][0] for _, out in neighbours] == [200] * 6
    assert max(health) < 1.0, health


def test_bad_values_at_the_entries_limit_leave_health_answering(tmp_path: Path) -> None:
    """At the limit the body is validated (in a worker thread): a quick 422 naming the first
    bad value, and the one worker's health answers meanwhile."""
    names = LIMITS.max_request_entries
    bad = json.dumps({"expression": "y = x", "values": {
        f"v{i}": {"init": "normal", "shape": [2], "extra": "x" * 150} for i in range(names)}}).encode()
    with chainrule_process(tmp_path, {}) as (base, _):
        thread, out = in_thread(lambda: post_from(base, "/api/graph", bad))
        health = health_while(base, thread.is_alive)
        thread.join(60)
    (status, body), elapsed = out[0]
    assert status in (400, 422) and json.loads(body)["error"]["params"]["field"].startswith("values.v0"), body[:300]
    assert elapsed < 3.0, elapsed
    assert max(health) < 0.5, health


# ------------------------------------------------------------- 4. slow bodies


def half_sent_post(port: int, declared: int = 1_000) -> socket.socket:
    sock = socket.create_connection((HOST, port), timeout=30)
    sock.sendall(f"POST /api/graph HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {declared}\r\n\r\n{{\"expression\":".encode())
    return sock


def test_half_sent_bodies_hold_no_slot_and_time_out(tmp_path: Path) -> None:
    timeout = 3.0
    env = {"CHAINRULE_BODY_TIMEOUT_SECONDS": str(timeout)}
    with chainrule_process(tmp_path, env) as (base, _):
        port = int(base.rsplit(":", 1)[1])
        slow = [half_sent_post(port) for _ in range(60)]
        try:
            time.sleep(0.3)
            t0 = time.perf_counter()
            normal = [post_from(base, "/api/graph", SMALL, timeout=10)[0] for _ in range(10)]
            assert normal == [200] * 10, normal
            assert time.perf_counter() - t0 < timeout  # answered while the slow ones still hang
            answer = slow[0].recv(4096)
            waited = time.perf_counter() - t0
        finally:
            for sock in slow:
                sock.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer[:300]
    error = json.loads(body)["error"]
    assert error["params"]["limit"] == "CHAINRULE_BODY_TIMEOUT_SECONDS" and error["params"]["value"] == timeout
    assert waited < timeout + 2


# ------------------------------------------------------------- 5. GETs that compute are limited


def test_generated_datasets_are_rate_limited(tmp_path: Path) -> None:
    with chainrule_process(tmp_path, {"CHAINRULE_RATE_LIMIT": "3/minute"}) as (base, _):
        statuses = [request(base, "/api/datasets/spirals?n=50")[0] for _ in range(4)]
        listing = request(base, "/api/datasets")[0]  # a registry read is never counted
    assert statuses == [200, 200, 200, 429] and listing == 200


# ------------------------------------------------------------- 8. a fair share, memory


def test_a_heavy_client_does_not_push_others_into_503s_and_health_stays_fast(tmp_path: Path) -> None:
    """The probe's heavy mix from one client (127.0.0.2, 40 connections sending heavy work
    back to back) while another client sends small requests and GETs /api/health."""
    with chainrule_process(tmp_path, {}, workers=2) as (base, _):
        port = int(base.rsplit(":", 1)[1])
        stats = Stats()
        asyncio.run(run_load(port, 15.0, 2, stats, hostile=40, heavy_from="127.0.0.2"))
    normal = stats.all_latencies()
    assert stats.errors == [] and stats.normal_busy == 0, (stats.errors[:3], stats.normal_busy)
    assert len(normal) >= 10
    assert sum(stats.busy.values()) > 0  # the heavy client was turned away past its share
    health = sorted(stats.health)
    # The goal (p95 < 100 ms, max < 250 ms) holds on a machine with a core per runnable task;
    # where other work keeps more tasks runnable than there are cores, every wake-up waits in
    # the run queue, and the bounds stretch by that factor (the figures are printed).
    crowding = max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
    print(f"health ms: median {statistics.median(health) * 1e3:.0f}, p95 {percentile(health, 95) * 1e3:.0f}, "
          f"max {health[-1] * 1e3:.0f} (load average / cores: {crowding:.1f})")
    assert percentile(health, 95) < 0.100 * crowding and health[-1] < 0.250 * crowding, (
        f"health p95 {percentile(health, 95) * 1e3:.0f} ms, max {health[-1] * 1e3:.0f} ms, "
        f"median {statistics.median(health) * 1e3:.0f} ms, crowding {crowding:.1f}")


def test_a_worker_gives_memory_back_after_heavy_bursts(tmp_path: Path) -> None:
    """Three rounds of sixteen heavy requests from four clients: memory read from /proc before,
    at the peak and after each round (the issue's worker kept ~1.1 GB; fresh: 73 MB)."""
    heavy = [(path, body) for name, path, body in HEAVY_MIX if "600x600" in name or "explained" in name]
    with chainrule_process(tmp_path, {}) as (base, proc):
        fresh = rss_mb(proc.pid)
        peak, after = 0.0, []
        for _ in range(3):
            jobs = [in_thread(lambda i=i: post_from(base, *heavy[i % 2], source=f"127.0.0.{2 + i // 4}"))
                    for i in range(16)]
            while any(t.is_alive() for t, _ in jobs):
                peak = max(peak, rss_mb(proc.pid))
                time.sleep(0.1)
            assert all(out[0][0][0] in (200, 400) for _, out in jobs)
            time.sleep(3)  # the trim thread looks once a second
            after.append(rss_mb(proc.pid))
    print(f"RSS MB: fresh {fresh:.0f}, peak {peak:.0f}, after each round {[round(a) for a in after]}")
    assert peak > fresh + 200  # the bursts did need memory
    assert max(after) < fresh + 300, (fresh, peak, after)
