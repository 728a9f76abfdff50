"""CHAINRULE_RATE_LIMIT_STORAGE: two real server processes share one real Redis, so one
client's budget is spent across both; without it each process counts on its own (as
docs/deploy.md says)."""

from __future__ import annotations

from pathlib import Path

from tests.deploy.processes import chainrule_server, free_port, redis_server, request

LIMIT = 4
RATE = f"{LIMIT}/minute"
BODY = {"expression": "y = w*x + b", "values": {"x": 2, "w": 3, "b": 1}}


def _post(base: str) -> tuple[int, dict[str, str], bytes]:
    return request(base, "/api/graph", BODY)


def _assert_refused(base: str) -> None:
    status, headers, body = _post(base)
    assert status == 429, (base, status, body[:300])
    assert b'"rate_limited"' in body
    assert int(headers["retry-after"]) >= 1


def test_one_redis_shares_the_budget_across_two_processes(tmp_path: Path) -> None:
    with redis_server(tmp_path) as redis_url:
        env = {"CHAINRULE_RATE_LIMIT": RATE, "CHAINRULE_RATE_LIMIT_STORAGE": redis_url}
        with chainrule_server(tmp_path, env) as a, chainrule_server(tmp_path, env) as b:
            # The budget is spent alternately on both processes ...
            for i in range(LIMIT):
                status, _, body = _post((a, b)[i % 2])
                assert status == 200, body[:300]
            # ... and then BOTH refuse the same client, though each saw only half of the requests.
            _assert_refused(a)
            _assert_refused(b)
            # GETs are never counted.
            assert request(a, "/api/health")[0] == 200


def test_without_storage_each_process_counts_on_its_own(tmp_path: Path) -> None:
    env = {"CHAINRULE_RATE_LIMIT": RATE, "CHAINRULE_RATE_LIMIT_STORAGE": ""}
    with chainrule_server(tmp_path, env) as a, chainrule_server(tmp_path, env) as b:
        for _ in range(LIMIT):
            assert _post(a)[0] == 200
        _assert_refused(a)
        # The other process has its own counters in memory: the client gets a fresh budget there.
        for _ in range(LIMIT):
            assert _post(b)[0] == 200
        _assert_refused(b)


def test_unreachable_storage_serves_requests_uncounted(tmp_path: Path) -> None:
    """Redis down (here: nothing listens on the port) is the operator's problem, not the
    students': requests are answered, never 500, and the server says why in its log."""
    nothing_there = f"redis://127.0.0.1:{free_port()}"
    env = {"CHAINRULE_RATE_LIMIT": RATE, "CHAINRULE_RATE_LIMIT_STORAGE": nothing_there}
    with chainrule_server(tmp_path, env) as a:
        for _ in range(LIMIT + 2):
            status, _, body = _post(a)
            assert status == 200, body[:300]
    logs = "".join(p.read_text() for p in tmp_path.glob("chainrule-*.log"))
    assert "rate-limit storage unreachable" in logs
    assert logs.count("rate-limit storage unreachable") == 1  # once a minute, not per request
