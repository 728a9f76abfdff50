"""Grade passback (AGS 2.0): every score is a persisted row, sent by whichever worker claims
it first, retried with exponential backoff while the platform is down.

Exactly once per attempt: a row exists once per attempt (unique ``attempt_id``). The grading
that records it creates it already claimed (``sending``, with a lease) and sends it; any other
send happens only after winning ``UPDATE ... WHERE status = 'queued'`` (or an expired lease), so
two workers never send the same row. A worker that dies between sending and recording leaves the
lease to expire and the score is sent again: the platform then receives the same score twice
(the only case), which AGS treats as one result.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import or_, select, update

from chainrule.config import LIMITS
from chainrule.db.models import Passback
from chainrule.db.session import session_scope, utcnow
from chainrule.lti import claims as c
from chainrule.lti.http import PlatformError, post_form, post_json
from chainrule.lti.keys import sign
from chainrule.lti.registry import Registration, find

log = logging.getLogger("chainrule.lti")
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: A claim is kept this long: a send takes at most the HTTP timeout twice (token, score).
LEASE_MARGIN_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 3_600.0
#: Platform answers that will not change on a retry: the score is marked failed.
PERMANENT = {400, 403, 404, 405, 413, 415, 422}


def scores_url(lineitem_url: str) -> str:
    """The line item's URL with /scores appended to its path (a query string is kept)."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


@dataclass
class _Token:
    value: str
    expires: float


_TOKENS: dict[tuple[str, str, str], _Token] = {}
_TOKENS_LOCK = threading.Lock()


def access_token(registration: Registration, scope: str = c.SCORE_SCOPE) -> str:
    """A client-credentials token (JWT client assertion), cached until shortly before it expires."""
    key = (registration.issuer, registration.client_id, scope)
    with _TOKENS_LOCK:
        cached = _TOKENS.get(key)
        if cached and cached.expires > time.monotonic():
            return cached.value
    now = int(time.time())
    assertion = sign({"iss": registration.client_id, "sub": registration.client_id,
                      "aud": registration.auth_token_url, "iat": now, "exp": now + 300,
                      "jti": str(uuid.uuid4())})
    answer = post_form(registration.auth_token_url, {
        "grant_type": "client_credentials", "client_assertion_type": CLIENT_ASSERTION_TYPE,
        "client_assertion": assertion, "scope": scope})
    if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
        raise PlatformError(0, "the platform's token endpoint gave no access_token")
    lifetime = answer.get("expires_in")
    seconds = float(lifetime) if isinstance(lifetime, int | float) else 3600.0
    token = _Token(answer["access_token"], time.monotonic() + max(0.0, seconds - 30))
    with _TOKENS_LOCK:
        _TOKENS[key] = token
    return token.value


def forget_token(registration: Registration, scope: str = c.SCORE_SCOPE) -> None:
    with _TOKENS_LOCK:
        _TOKENS.pop((registration.issuer, registration.client_id, scope), None)


def claimed_now() -> dict[str, Any]:
    """The columns of a new row claimed by the grading that creates it (its first send)."""
    return {"status": "sending", "tries": 1, "lease_until": utcnow() + timedelta(seconds=_lease_seconds()),
            "next_try_at": first_try_at()}


def deliver(passback_id: int) -> tuple[str, str]:
    """Claim the row and send it if it is due; its status and detail afterwards."""
    now = utcnow()
    due = or_((Passback.status == "queued") & (Passback.next_try_at <= now),
              (Passback.status == "sending") & (Passback.lease_until < now))
    with session_scope() as session:
        claimed = session.execute(update(Passback).where(Passback.id == passback_id, due).values(
            status="sending", tries=Passback.tries + 1,
            lease_until=now + timedelta(seconds=_lease_seconds())))
        won = claimed.rowcount == 1  # type: ignore[attr-defined]
        row = session.get(Passback, passback_id)
    if row is None:
        return "failed", "no such score"
    if not won:
        return row.status, row.last_error
    return _send(row)


#: The sends a grading starts and waits for a little (deliver_soon); a few at a time per worker.
_SENDERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="chainrule-passback")


def deliver_soon(claimed: Passback) -> tuple[str, str]:
    """Send a row created claimed (:func:`claimed_now`) now, but wait for the platform at most
    CHAINRULE_LTI_PASSBACK_WAIT_SECONDS: a slow platform leaves the score "queued" (the send
    goes on; the retry loop takes over if it fails)."""
    future = _SENDERS.submit(_send_while_claimed, claimed)
    try:
        return future.result(timeout=LIMITS.lti_passback_wait_seconds)
    except FutureTimeout:
        return "queued", "the platform has not answered yet: the score is kept and will be sent"


def _send_while_claimed(claimed: Passback) -> tuple[str, str]:
    """Send, unless the claim could run out during the send (the senders were busy so long
    that the retry loop may take the row): then leave it to the retry loop, never send twice."""
    lease = claimed.lease_until
    if lease is None or utcnow() >= lease - timedelta(seconds=2 * LIMITS.lti_http_timeout_seconds):
        return "queued", "the score is kept and will be sent"
    return _send(claimed)


def first_try_at() -> datetime:
    """When the retry loop may take a new score: after its own grading had the time to send it."""
    return utcnow() + timedelta(seconds=_lease_seconds())


def _lease_seconds() -> float:
    return LEASE_MARGIN_SECONDS + 2 * LIMITS.lti_http_timeout_seconds


def _send(row: Passback) -> tuple[str, str]:
    registration = find(row.issuer, row.client_id)
    if registration is None:
        return _record(row.id, "failed", "the platform is no longer registered")
    try:
        status = post_json(row.scores_url, row.payload, SCORE_TYPE, access_token(registration))
    except PlatformError as exc:
        if exc.status == 401:
            forget_token(registration)
        if exc.status == 409:  # the platform holds a newer score: with best-score this one is in it
            return _record(row.id, "sent", "the platform kept a newer score")
        if exc.status in PERMANENT:
            return _record(row.id, "failed", str(exc))
        return _retry_later(row, str(exc))
    return _record(row.id, "sent", f"HTTP {status}")


def _record(passback_id: int, status: str, detail: str) -> tuple[str, str]:
    with session_scope() as session:
        session.execute(update(Passback).where(Passback.id == passback_id, Passback.status == "sending")
                        .values(status=status, last_error=detail[:1000], lease_until=None,
                                sent_at=utcnow() if status == "sent" else None))
    return status, detail


def _retry_later(row: Passback, detail: str) -> tuple[str, str]:
    if row.tries >= LIMITS.lti_passback_tries:  # row.tries counts this send
        return _record(row.id, "failed", f"gave up after {row.tries} tries: {detail}")
    delay = min(MAX_BACKOFF_SECONDS, LIMITS.lti_passback_backoff_seconds * 2 ** (row.tries - 1))
    with session_scope() as session:
        session.execute(update(Passback).where(Passback.id == row.id, Passback.status == "sending")
                        .values(status="queued", last_error=detail[:1000], lease_until=None,
                                next_try_at=utcnow() + timedelta(seconds=delay)))
    return "queued", detail


def due_ids(limit: int = 50) -> list[int]:
    now = utcnow()
    with session_scope() as session:
        return list(session.scalars(select(Passback.id).where(or_(
            (Passback.status == "queued") & (Passback.next_try_at <= now),
            (Passback.status == "sending") & (Passback.lease_until < now),
        )).order_by(Passback.next_try_at).limit(limit)))


def deliver_due() -> int:
    """Send every due score once (each claimed by one worker only); how many were tried."""
    ids = due_ids()
    for passback_id in ids:
        deliver(passback_id)
    return len(ids)


async def retry_forever(stop: asyncio.Event) -> None:
    """The worker's background loop: send what is due, pause, again, until ``stop``."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(deliver_due)
        except Exception:  # a database hiccup must not end the loop
            log.exception("chainrule: the passback worker could not read its queue")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=LIMITS.lti_passback_poll_seconds)


def status_words(status: str, detail: str = "") -> dict[str, Any]:
    return {"status": "queued" if status == "sending" else status, "detail": detail}
