"""Heavy work is bounded per process (issue 11 §3), against a real ``chainrule serve``:
while twenty heavy requests arrive at once, ``/api/health`` still answers fast and the
requests beyond the bound get 503 ``busy`` with Retry-After."""

from __future__ import annotations

import json
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from tests.deploy.processes import chainrule_server, request

HEAVY_TRAIN = {
    "expression": "h = tanh(x*w1 + b1)\nloss = mean((h*w2 + b2 - y)**2)",
    "values": {"w1": 0.5, "b1": 0.0, "w2": 0.5, "b2": 0.0},
    "params": ["w1", "b1", "w2", "b2"],
    "data": {"x": list(range(200)), "y": list(range(200))},
    "optimizer": {"name": "adam", "lr": 0.01}, "steps": 10_000, "explain": False,
}
SLOTS, QUEUE, HEAVY = 2, 2, 20


def test_health_stays_fast_and_excess_heavy_work_gets_503(tmp_path: Path) -> None:
    env = {"CHAINRULE_MAX_CONCURRENT_WORK": str(SLOTS), "CHAINRULE_MAX_QUEUED_WORK": str(QUEUE),
           "CHAINRULE_REQUEST_BUDGET_SECONDS": "1.5"}
    with chainrule_server(tmp_path, env) as base:
        results: list[tuple[int, dict[str, str], bytes]] = []
        start = threading.Barrier(HEAVY + 1)

        def heavy() -> None:
            start.wait()
            results.append(request(base, "/api/train", HEAVY_TRAIN))

        threads = [threading.Thread(target=heavy) for _ in range(HEAVY)]
        for t in threads:
            t.start()
        start.wait()
        time.sleep(0.3)  # the heavy requests are in
        health: list[float] = []
        for _ in range(10):
            t0 = time.perf_counter()
            status, _, body = request(base, "/api/health")
            health.append(time.perf_counter() - t0)
            assert status == 200 and json.loads(body)["status"] == "ok"
            time.sleep(0.05)
        for t in threads:
            t.join(timeout=60)
    assert statistics.median(health) < 0.1, health
    statuses = sorted(status for status, _, _ in results)
    assert len(statuses) == HEAVY and set(statuses) <= {200, 503}, statuses
    busy = [(headers, json.loads(body)) for status, headers, body in results if status == 503]
    assert len(busy) >= HEAVY - SLOTS - QUEUE - 2, statuses  # a few may finish before others arrive
    assert statuses.count(200) >= SLOTS, statuses
    for headers, body in busy:
        error: dict[str, Any] = body["error"]
        assert error["code"] == "busy" and int(headers["retry-after"]) >= 1
        assert error["params"]["retry_after"] == int(headers["retry-after"])
        assert "CHAINRULE_MAX_CONCURRENT_WORK" in error["message"]


def test_the_docker_image_starts_with_a_rate_limit() -> None:
    dockerfile = (Path(__file__).resolve().parents[1] / "Dockerfile").read_text()
    env_lines = [line for line in dockerfile.splitlines() if "CHAINRULE_RATE_LIMIT=" in line]
    assert env_lines, "the image must set CHAINRULE_RATE_LIMIT"
    rate = env_lines[0].split("CHAINRULE_RATE_LIMIT=")[1].split()[0].strip('"\\')
    from limits import parse_many

    assert parse_many(rate)


def test_a_small_request_does_not_wait_for_the_trainings_ahead_of_it(tmp_path: Path) -> None:
    env = {"CHAINRULE_MAX_CONCURRENT_WORK": "1", "CHAINRULE_MAX_QUEUED_WORK": "8",
           "CHAINRULE_REQUEST_BUDGET_SECONDS": "2"}
    worked = {"expression": "y = w*x + b\nloss = abs(y_true - y)",
              "values": {"x": 2, "y_true": 4, "w": 3, "b": 1}}
    with chainrule_server(tmp_path, env) as base:
        assert request(base, "/api/graph", worked)[0] == 200  # warm
        threads = [threading.Thread(target=request, args=(base, "/api/train", HEAVY_TRAIN))
                   for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.5)  # the trainings hold and queue for the one slot
        small: list[float] = []
        for _ in range(5):
            t0 = time.perf_counter()
            status, _, body = request(base, "/api/graph", worked)
            small.append(time.perf_counter() - t0)
            assert status == 200 and json.loads(body)["value"] == 3.0
        for t in threads:
            t.join(timeout=60)
    # four trainings of 2 s of compute each are ahead (first come, first served: ~8 s for the
    # first analysis); taking turns, every analysis waits a few quanta
    assert max(small) < 1.5, small
