"""The grading's own send of a score it claimed: never after the claim may have run out."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from chainrule.config import LIMITS
from chainrule.db.models import Attempt, Launch, LtiUser, Passback
from chainrule.db.session import migrate, session_scope, utcnow
from chainrule.lti.passback import _send_while_claimed, claimed_now


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'lti.db'}"
    monkeypatch.setenv("CHAINRULE_DATABASE_URL", url)
    migrate(url)


def claimed_row(lease_left: timedelta | None) -> Passback:
    """A score row as a grading claims it; its platform (an issuer nobody registered) makes a
    send that starts end at once, "failed", with no HTTP."""
    now = utcnow()
    claim = claimed_now() if lease_left is None else {**claimed_now(), "lease_until": now + lease_left}
    with session_scope() as session:
        user = LtiUser(issuer="https://nobody.example", sub=uuid.uuid4().hex, created_at=now)
        session.add(user)
        session.flush()
        launch = Launch(token_hash=uuid.uuid4().hex, user_id=user.id, issuer=user.issuer, client_id="x",
                        deployment_id="d", message_type="LtiResourceLinkRequest", created_at=now, expires_at=now)
        session.add(launch)
        session.flush()
        attempt = Attempt(launch_id=launch.id, user_id=user.id, context_id="", resource_link_id="", score=1.0,
                          correct=1, total=1, created_at=now)
        session.add(attempt)
        session.flush()
        row = Passback(attempt_id=attempt.id, issuer=user.issuer, client_id="x", created_at=now,
                       scores_url="https://nobody.example/scores", last_error="", payload={}, **claim)
        session.add(row)
        session.flush()
        return row


def status_of(row: Passback) -> str:
    with session_scope() as session:
        found = session.get(Passback, row.id)
        assert found is not None
        return found.status


@pytest.mark.usefixtures("database")
def test_a_fresh_claim_is_sent() -> None:
    row = claimed_row(None)
    assert _send_while_claimed(row)[0] == "failed"  # it tried: the platform is not registered
    assert status_of(row) == "failed"


@pytest.mark.usefixtures("database")
def test_a_claim_that_could_run_out_during_the_send_is_left_to_the_retry_loop() -> None:
    send_time = timedelta(seconds=2 * LIMITS.lti_http_timeout_seconds)
    for lease_left in (send_time - timedelta(seconds=1), -timedelta(seconds=1)):
        row = claimed_row(lease_left)
        assert _send_while_claimed(row)[0] == "queued"
        assert status_of(row) == "sending"  # untouched: the retry loop takes it once the lease ends
