#!/usr/bin/env python
"""LTI under load: 200 launches and 2,000 gradings in 60 s against two workers, every score
checked to reach the platform exactly once, and the grading request's latency (p50/p95/p99).

A benchmark script, not a timed test. Everything runs on loopback (each student grades from
its own 127.0.x.y address, as students reach a server from their own): chainrule with two
uvicorn workers (``chainrule serve --workers 2``, LTI on), the test platform built on
lti1p3platform (a thread of this process; it signs the launches, issues the tokens and
receives the scores), and, with ``--database postgres``, Debian's PostgreSQL started for the
run (SQLite file by default)::

    .venv/bin/python bench/bench_lti.py [--database sqlite|postgres] [--launches 200]
        [--gradings 2000] [--seconds 60] [--concurrency 16]

The gradings are paced evenly over ``--seconds``; each launch grades its share one after
the other (a student does not answer twice at once), different launches in parallel.
``--baseline`` sends the same gradings without the launch's session (plain /api/grade, no
records, nothing passed back): the machine's own figure to compare with. A grading the server
turns away (503 ``busy``: more than its bound of concurrent work) is counted, not retried.
Exit status 1 when a score was lost or sent twice, a launch failed, or the run overran.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.lti.client import launch  # noqa: E402  (the tests' own browser-like client)
from tests.lti.platform import Message  # noqa: E402
from tests.lti.servers import create_database, postgres_server, tool_and_platform, wait_for  # noqa: E402

WORKED = {"expression": "y = w*x + b\nloss = abs(y_true - y)",
          "values": {"x": 2, "y_true": 4, "w": 3, "b": 1}}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def exercise_item(tool: str) -> dict[str, str]:
    made = requests.post(tool + "/api/exercise", json={**WORKED, "ask": ["grad"]}, timeout=30).json()
    return {"exercise": json.dumps(made["exercise"])}


def right_answers(tool: str, exercise: dict[str, Any]) -> dict[str, Any]:
    graph = requests.post(tool + "/api/graph", json={"expression": exercise["expression"],
                                                     "values": exercise["values"]}, timeout=30).json()
    grads = {node["id"]: node["grad"] for node in graph["nodes"]}
    return {q["id"]: grads[q["node"]] for q in exercise["questions"]}


def student_address(index: int) -> str:
    """Each student's own loopback address (Linux answers all of 127/8), as students reach a
    server from their own addresses: the server's per-client share sees 200 clients, not one."""
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


@dataclass
class Answer:
    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def post_from(source: str, url: str, body: dict[str, Any], headers: dict[str, str]) -> Answer:
    """POST JSON over a new connection from ``source``, then close it."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30,
                                      source_address=(source, 0))
    try:
        conn.request("POST", parts.path, json.dumps(body),
                     {**headers, "Content-Type": "application/json", "Connection": "close"})
        response = conn.getresponse()
        return Answer(response.status, response.read().decode())
    finally:
        conn.close()


def run(tool: str, platform: Any, args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    custom = exercise_item(tool)
    # Launches: the whole OIDC round trip each (platform login -> tool login -> platform
    # authorization -> tool launch), several at once.
    started = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        launches = list(pool.map(lambda i: launch(platform, Message(
            user=f"learner-{i:03d}", custom=custom, lineitem=platform.lineitem("bench"))),
            range(args.launches)))
    launch_seconds = time.perf_counter() - started
    failed_launches = sum(1 for la in launches if la.response.status_code != 200)
    exercise = next(la for la in launches if la.response.status_code == 200).data["exercise"]
    right = right_answers(tool, exercise)
    first = next(iter(right))
    choices = [right, {**right, first: right[first] + 1}, {}]

    per_launch = args.gradings // args.launches
    interval = args.seconds * 0.9 / per_launch  # each launch's gradings spread over the run
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors: list[str] = []
    lock = threading.Lock()

    def student(index: int) -> None:
        if launches[index].response.status_code != 200:
            return
        token = launches[index].token
        begin = time.perf_counter() + (index / args.launches) * interval
        for k in range(per_launch):
            pause = begin + k * interval - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            t0 = time.perf_counter()
            body = {"exercise": exercise, "answers": choices[(index + k) % 3]}
            try:  # a connection per grading, as the minutes between a student's answers close it
                session = {} if args.baseline else {"Authorization": f"Bearer {token}"}
                answer = post_from(student_address(index), tool + "/api/grade", body, session)
            except OSError as exc:
                with lock:
                    errors.append(repr(exc))
                continue
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                if answer.status_code != 200:
                    errors.append(f"{answer.status_code} {answer.text[:200]}")
                else:
                    status = answer.json().get("passback", {}).get("status", "none")
                    statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    with ThreadPoolExecutor(args.launches) as pool:
        list(pool.map(student, range(args.launches)))
    grading_seconds = time.perf_counter() - started
    total = per_launch * args.launches
    owed = 0 if args.baseline else total - len(errors)  # nothing is passed back outside a launch
    wait_for(lambda: len(platform.scores) >= owed, timeout=120,
             what="every score at the platform")
    time.sleep(3.0)  # the workers' retry loops run on: nothing may arrive twice
    received = [(s["userId"], s["timestamp"]) for s in platform.scores]
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT status, count(*) FROM lti_passback GROUP BY status")).all())
        attempts = conn.execute(text("SELECT count(*) FROM lti_attempt")).scalar_one()
    engine.dispose()
    return {
        "database": args.database, "workers": 2, "launches": args.launches, "baseline": args.baseline,
        "failed_launches": failed_launches, "launch_seconds": round(launch_seconds, 2),
        "gradings": total, "grading_seconds": round(grading_seconds, 2),
        "errors": len(errors), "error_sample": errors[:3],
        "grading_ms": {name: round(1000 * percentile(latencies, q), 1)
                       for name, q in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))},
        "passback_in_response": statuses, "attempts_recorded": attempts, "passback_rows": rows,
        "scores_received": len(received), "distinct_scores_received": len(set(received)),
        "score_requests_at_platform": platform.score_requests, "token_requests": platform.token_requests,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--launches", type=int, default=200)
    parser.add_argument("--gradings", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--wait", type=float, default=0.2, help="CHAINRULE_LTI_PASSBACK_WAIT_SECONDS")
    parser.add_argument("--baseline", action="store_true",
                        help="the same gradings outside a launch (plain /api/grade), for comparison")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="chainrule-bench-lti-"))
    cleanup = [tmp]
    try:
        if args.database == "postgres":
            place = Path(tempfile.mkdtemp(prefix="chainrule-bench-pg-"))  # its own: the server runs as nobody
            cleanup.append(place)
            with postgres_server(place) as server:
                result = measure(args, tmp, create_database(server, "bench"))
        else:
            result = measure(args, tmp, f"sqlite:///{tmp / 'bench.db'}")
    finally:
        for place in cleanup:
            shutil.rmtree(place, ignore_errors=True)
    print(json.dumps(result, indent=2))
    expected = 0 if args.baseline else result["gradings"] - result["errors"]
    ok = (result["failed_launches"] == 0
          and result["scores_received"] == result["distinct_scores_received"] == expected
          and result["passback_rows"].get("sent", 0) == expected == result["attempts_recorded"]
          and result["grading_seconds"] <= args.seconds + 5)
    print("every recorded attempt's score received exactly once" if ok else "FAILED",
          f"p95 {result['grading_ms']['p95']} ms, {result['errors']} gradings refused")
    return 0 if ok else 1


def measure(args: argparse.Namespace, tmp: Path, database_url: str) -> dict[str, Any]:
    # The shipped wait for a send (CHAINRULE_LTI_PASSBACK_WAIT_SECONDS), not the tests' longer one.
    # The platform shares this process with the clients: on a loaded machine it answers slowly.
    env = {"CHAINRULE_LTI_PASSBACK_WAIT_SECONDS": str(args.wait), "CHAINRULE_LTI_HTTP_TIMEOUT_SECONDS": "30"}
    with tool_and_platform(tmp, database_url, workers=2, extra_env=env) as (tool, platform):
        return run(tool, platform, args, database_url)


if __name__ == "__main__":
    raise SystemExit(main())
