"""Real processes on loopback for the deployment tests: redis-server and chainrule servers.

Each helper is a context manager that starts the process on a free 127.0.0.1 port, waits
until it answers, and stops it (SIGTERM, then SIGKILL) however the test ends.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.servers import free_port, stop_server  # the load test's own start and stop
from chainrule.metrics import MULTIPROC_ENV

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT = 60.0  # a loaded 2-core CI machine starts two workers slowly


def redis_server_path() -> str:
    """Debian's redis-server; a missing one fails the test (an install step is missing)."""
    path = shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").is_file()
                                            else None)
    if path is None:
        pytest.fail("redis-server not found: `make redis` (apt-get install -y --no-install-recommends "
                    "redis-server) installs it")
    return path


def _wait_until(ready: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not answer within {START_TIMEOUT:g} s: "
                        f"{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.05)


@contextmanager
def redis_server(tmp: Path) -> Iterator[str]:
    """A throw-away redis-server (no persistence) on a free loopback port; yields its URL."""
    port = free_port()
    log = tmp / f"redis-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [redis_server_path(), "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
             "--dir", str(tmp), "--protected-mode", "yes"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_until(lambda: _redis_pong(port), proc, log, "redis-server")
            yield f"redis://{HOST}:{port}"
        finally:
            stop_server(proc)


def _redis_pong(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def chainrule_server(tmp: Path, env: Mapping[str, str], workers: int = 1,
                     wrapper: Sequence[str] = ()) -> Iterator[str]:
    """``chainrule serve`` (the command the image runs) on a free loopback port; yields its URL.
    ``wrapper`` is a command that runs it (e.g. in a mount namespace)."""
    with chainrule_process(tmp, env, workers, wrapper) as (base, _):
        yield base


@contextmanager
def chainrule_process(tmp: Path, env: Mapping[str, str], workers: int = 1,
                      wrapper: Sequence[str] = ()) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """:func:`chainrule_server`, yielding its URL and its process (with one worker, the
    process that serves; with several, their supervisor)."""
    port = free_port()
    log = tmp / f"chainrule-{port}.log"
    inherited = {k: v for k, v in os.environ.items() if k != MULTIPROC_ENV}  # only if a test sets it
    full_env = {**inherited, "OPENBLAS_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", **env}
    base = f"http://{HOST}:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*wrapper, sys.executable, "-m", "chainrule.cli", "serve", "--host", HOST, "--port", str(port),
             "--workers", str(workers)],
            cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_until(lambda: get(base, "/api/health")[0] == 200, proc, log, "chainrule serve")
            yield base, proc
        finally:
            stop_server(proc)


def request(base: str, path: str, body: object | None = None, headers: Mapping[str, str] | None = None
            ) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request (POST with a JSON body, else GET): status, headers, body; never raises on 4xx."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()
    except OSError:
        return 0, {}, b""


def get(base: str, path: str) -> tuple[int, bytes]:
    status, _, body = request(base, path)
    return status, body
