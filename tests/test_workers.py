"""Several uvicorn workers: the server is stateless, so concurrent identical requests get
identical answers whichever worker serves them; the server starts and stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
START_TIMEOUT = 15.0

GRAPH_BODIES = [
    {"expression": "y = w*x + b\nloss = abs(y_true - y)", "values": {"x": 2, "y_true": 4, "w": 3, "b": 1}},
    {"expression": "y = x*x + x", "values": {"x": 3}},
    {"expression": "h = relu(x @ W + b)\nloss = sum(h)",
     "values": {"x": [[1.0, -2.0, 0.5]], "W": {"init": "normal", "shape": [3, 4], "scale": 0.5, "seed": 1},
                "b": [0.1, -0.1, 0.2, 0.0]}, "check": True},
]
TRAIN_BODY = {"expression": "loss = mean((w*x + b - y)**2)", "values": {"w": 0.3, "b": 0.0},
              "params": ["w", "b"], "data": {"x": [1, 2, 3, 4], "y": [2, 4, 6, 8]},
              "optimizer": {"name": "adam", "lr": 0.05}, "steps": 50, "batch_size": 2, "seed": 3}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    """Live child processes of ``pid`` (from /proc: the uvicorn workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _post(base: str, path: str, body: object) -> tuple[int, bytes]:
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to see the workers")
    port = _free_port()
    # one test client sends 16 requests at once: lift the per-client share of the heavy-work
    # places (tests/routes/test_hardening.py tests that bound) so statelessness is what is tested
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", "CHAINRULE_MAX_CLIENT_WORK": "64",
           "CHAINRULE_MAX_QUEUED_WORK": "64"}
    log_path = tmp_path_factory.mktemp("uvicorn") / "uvicorn.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "chainrule.main:app", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(WORKERS), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"uvicorn exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/api/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("uvicorn did not answer /api/health in time")
            time.sleep(0.1)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def test_workers_answer_concurrent_requests_identically(server: tuple[str, subprocess.Popen[bytes]]) -> None:
    base, proc = server
    deadline = time.monotonic() + 5
    while len(_children(proc.pid)) < WORKERS and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(_children(proc.pid)) >= WORKERS
    jobs = [("/api/graph", i % len(GRAPH_BODIES)) for i in range(30)] + [("/api/train", -1)] * 12
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(
            lambda job: (job, _post(base, job[0], TRAIN_BODY if job[1] < 0 else GRAPH_BODIES[job[1]])),
            jobs))
    by_request: dict[tuple[str, int], set[bytes]] = {}
    for job, (status, body) in results:
        assert status == 200, body[:500]
        by_request.setdefault(job, set()).add(body)
    assert len(by_request) == len(GRAPH_BODIES) + 1
    for job, bodies in by_request.items():
        assert len(bodies) == 1, f"{job}: {len(bodies)} different answers to one request"
    worked = json.loads(next(iter(by_request[("/api/graph", 0)])))
    assert worked["gradients"] == {"w": 2.0, "x": 3.0, "b": 1.0, "y_true": -1.0}
    train = json.loads(next(iter(by_request[("/api/train", -1)])))
    assert len(train["trajectory"]) == 50


def test_workers_stop_cleanly(server: tuple[str, subprocess.Popen[bytes]]) -> None:
    _, proc = server
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    deadline = time.monotonic() + 5
    while (alive := [pid for pid in workers if _running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)  # polled: the workers exit with their parent
    assert alive == []


def _running(pid: int) -> bool:
    """The process exists and is not a zombie (its parent has not reaped it yet)."""
    try:
        return " Z " not in Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
