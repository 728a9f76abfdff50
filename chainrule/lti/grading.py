"""POST /api/grade inside a launch: the launch's own exercise is graded, the attempt recorded
and its score queued for the platform.

The score is sent at once; a grading waits for the platform's answer at most
CHAINRULE_LTI_PASSBACK_WAIT_SECONDS (then says "queued" while the send goes on). Only the
grading itself takes a compute turn: the database write and the wait for the platform leave
the worker's compute to other requests.

Attempt policy: unlimited attempts; the best score counts. Each attempt sends the best score
so far (so the platform's latest score is the best one). In a graded launch the expected
answers are withheld until an attempt is final, that is, fully right.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from sqlalchemy import func, select

from chainrule.config import LIMITS
from chainrule.db.models import Attempt, Passback
from chainrule.db.session import session_scope, utcnow
from chainrule.engine.budget import compute_budget
from chainrule.errors import ChainruleError
from chainrule.lti.passback import claimed_now, deliver_soon, scores_url, status_words
from chainrule.lti.sessions import LaunchSession
from chainrule.teaching.exercises import grade

POLICY = "unlimited attempts; the best score counts"


def grade_in_launch(launch: LaunchSession, sent: dict[str, Any], answers: dict[str, Any],
                    rtol: float | None) -> dict[str, Any]:
    if launch.target_kind != "exercise" or not launch.target:
        result = _graded(sent, answers, rtol)
        if launch.lineitem_url:
            result["passback"] = status_words("failed", "this launch opened no exercise, so no score "
                                                        "is passed back")
        return result
    kept = launch.target["exercise"]
    if json.loads(json.dumps(sent)) != kept:
        raise ChainruleError("not_this_launch", "this is not the exercise the course launched: only "
                             "that one is graded here", status=403)
    result = _graded(kept, answers, rtol)
    passback, best, number = _record_attempt(launch, result)
    final = result["score"] >= 1.0
    if not final and launch.lineitem_url:
        for item in result["results"].values():
            item.pop("expected", None)
    result["attempt"] = {"number": number, "best": best, "final": final, "policy": POLICY}
    if passback is not None:
        result["passback"] = status_words(*deliver_soon(passback))
    return result


def _graded(exercise: dict[str, Any], answers: dict[str, Any], rtol: float | None) -> dict[str, Any]:
    with compute_budget(LIMITS.request_budget_seconds):
        return grade(exercise, answers, rtol)


def _record_attempt(launch: LaunchSession, result: dict[str, Any]) -> tuple[Passback | None, float, int]:
    """The attempt and (with a line item) its passback row, claimed for this grading's own
    send, in one transaction."""
    now = utcnow()
    with session_scope() as session:
        attempt = Attempt(launch_id=launch.launch_id, user_id=launch.user_id, context_id=launch.context_id,
                          resource_link_id=launch.resource_link_id, score=float(result["score"]),
                          correct=int(result["correct"]), total=int(result["total"]), created_at=now)
        session.add(attempt)
        session.flush()
        same_link = (Attempt.user_id == launch.user_id) & (Attempt.context_id == launch.context_id) & (
            Attempt.resource_link_id == launch.resource_link_id)
        best = float(session.scalar(select(func.max(Attempt.score)).where(same_link)) or 0.0)
        number = int(session.scalar(select(func.count(Attempt.id)).where(same_link)) or 0)
        if not launch.lineitem_url:
            return None, best, number
        passback = Passback(
            attempt_id=attempt.id, issuer=launch.issuer, client_id=launch.client_id,
            scores_url=scores_url(launch.lineitem_url), **claimed_now(), created_at=now, last_error="",
            payload={"userId": launch.sub, "scoreGiven": best, "scoreMaximum": 1.0,
                     "activityProgress": "Completed", "gradingProgress": "FullyGraded",
                     "timestamp": now.replace(tzinfo=UTC).isoformat(timespec="milliseconds")})
        session.add(passback)
        session.flush()
        return passback, best, number
