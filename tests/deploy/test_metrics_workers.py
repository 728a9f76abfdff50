"""/metrics with several uvicorn workers (prometheus-client's multiprocess mode): a scrape
counts the requests of ALL workers, whichever worker answers it."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from chainrule.metrics import MULTIPROC_ENV, prepare_multiprocess_dir, remove_multiprocess_dir
from tests.deploy.processes import chainrule_server, request
from tests.test_metrics import samples, value

BODY = {"expression": "y = w*x + b", "values": {"x": 2, "w": 3, "b": 1}}
SPREAD_TIMEOUT = 60.0


def _workers_that_counted(directory: Path) -> set[str]:
    return {p.stem.split("_", 1)[1] for p in directory.glob("counter_*.db")}


def test_every_scrape_sums_all_workers(tmp_path: Path) -> None:
    shared = tmp_path / "metrics"
    shared.mkdir()
    (shared / "counter_99999.db").write_bytes(b"left by an earlier run")  # must be cleared at start
    env = {"CHAINRULE_METRICS": "1", MULTIPROC_ENV: str(shared), "CHAINRULE_RATE_LIMIT": ""}
    with chainrule_server(tmp_path, env, workers=2) as base:
        assert not (shared / "counter_99999.db").exists()
        sent = 0
        deadline = time.monotonic() + SPREAD_TIMEOUT
        # Each request opens a new connection, so the kernel hands it to either worker; go on
        # until both have served some (each worker's counters live in its own file).
        while sent < 10 or len(_workers_that_counted(shared)) < 2:
            if time.monotonic() > deadline:
                pytest.fail(f"after {sent} requests only workers {_workers_that_counted(shared)} served")
            status, _, body = request(base, "/api/graph", BODY)
            assert status == 200, body[:300]
            sent += 1
        for _ in range(6):  # each scrape may land on either worker: all must agree
            status, _, text = request(base, "/metrics")
            assert status == 200
            scrape = samples(text.decode())
            assert value(scrape, "chainrule_http_requests_total", method="POST", endpoint="/api/graph",
                         status="200") == sent
            assert value(scrape, "chainrule_http_request_duration_seconds_count", method="POST",
                         endpoint="/api/graph") == sent
            assert value(scrape, "chainrule_analysis_nodes_count") == sent


def test_serve_makes_and_removes_a_shared_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHAINRULE_METRICS", "1")
    monkeypatch.setenv(MULTIPROC_ENV, "")  # restored to what it was after the test
    assert prepare_multiprocess_dir(1) is None  # one worker: one process, nothing to share
    assert MULTIPROC_ENV not in os.environ  # empty would mean "the current directory"
    made = prepare_multiprocess_dir(2)
    assert made is not None and made.is_dir()
    assert os.environ[MULTIPROC_ENV] == str(made)
    remove_multiprocess_dir(made)
    assert not made.exists()
    # An operator's directory is used as given, made if missing, never removed.
    given = tmp_path / "not-there-yet"
    monkeypatch.setenv(MULTIPROC_ENV, str(given))
    assert prepare_multiprocess_dir(1) is None and given.is_dir()
    monkeypatch.setenv("CHAINRULE_METRICS", "0")
    monkeypatch.delenv(MULTIPROC_ENV)
    assert prepare_multiprocess_dir(4) is None and MULTIPROC_ENV not in os.environ


def test_busy_refusals_are_counted(tmp_path: Path) -> None:
    """One computation at a time and none waiting: of several concurrent trainings some are
    refused 503 busy, and /metrics counts exactly those."""
    env = {"CHAINRULE_METRICS": "1", "CHAINRULE_MAX_CONCURRENT_WORK": "1", "CHAINRULE_MAX_QUEUED_WORK": "0",
           "CHAINRULE_RATE_LIMIT": ""}
    slow = {"expression": "loss = mean((w*x + b - y)**2)", "values": {"w": 0.3, "b": 0.0},
            "params": ["w", "b"], "data": {"x": list(range(50)), "y": list(range(50))},
            "optimizer": {"name": "sgd", "lr": 1e-4}, "steps": 5000}  # ~0.1-0.5 s each
    with chainrule_server(tmp_path, env) as base, ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda _: request(base, "/api/train", slow)[0], range(6)))
        assert set(statuses) <= {200, 503} and 200 in statuses
        busy = statuses.count(503)
        assert busy >= 1, statuses
        scrape = samples(request(base, "/metrics")[2].decode())
    assert value(scrape, "chainrule_limit_refusals_total", endpoint="/api/train", code="busy") == busy
    assert value(scrape, "chainrule_http_requests_total", method="POST", endpoint="/api/train",
                 status="503") == busy
