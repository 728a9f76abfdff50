"""Behind an ingress (deploy/README.md, FORWARDED_ALLOW_IPS): `chainrule serve` takes the
client address from X-Forwarded-For only when the proxy is trusted, so each student behind
the ingress has a budget of their own; an untrusted X-Forwarded-For changes nothing."""

from __future__ import annotations

from pathlib import Path

from tests.deploy.processes import chainrule_server, request

LIMIT = 3
BODY = {"expression": "y = x*x + x", "values": {"x": 3}}


def _post_as(base: str, client: str) -> int:
    return request(base, "/api/graph", BODY, headers={"X-Forwarded-For": client})[0]


def test_a_trusted_proxy_gives_each_client_its_own_budget(tmp_path: Path) -> None:
    # The test is the ingress: it connects from 127.0.0.1 and names the client it forwards.
    env = {"CHAINRULE_RATE_LIMIT": f"{LIMIT}/minute", "FORWARDED_ALLOW_IPS": "127.0.0.1"}
    with chainrule_server(tmp_path, env) as base:
        assert [_post_as(base, "203.0.113.7") for _ in range(LIMIT + 1)] == [200] * LIMIT + [429]
        # Another student behind the same ingress is not refused for the first one's requests.
        assert _post_as(base, "203.0.113.8") == 200


def test_an_untrusted_forwarded_for_is_ignored(tmp_path: Path) -> None:
    env = {"CHAINRULE_RATE_LIMIT": f"{LIMIT}/minute", "FORWARDED_ALLOW_IPS": "192.0.2.1"}
    with chainrule_server(tmp_path, env) as base:
        # A client cannot buy a fresh budget by inventing addresses: all count as 127.0.0.1.
        statuses = [_post_as(base, f"203.0.113.{i}") for i in range(LIMIT + 1)]
        assert statuses == [200] * LIMIT + [429]
