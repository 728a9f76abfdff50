"""What an Instructor launch sees: the context's learners, their attempts and best scores."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import func, select

from chainrule.db.models import Attempt, Launch, LtiUser, Passback
from chainrule.db.session import session_scope
from chainrule.lti.sessions import LaunchSession, is_instructor

CSV_COLUMNS = ("learner", "attempts", "best_score", "last_attempt", "scores_sent", "scores_queued",
               "scores_failed")


def roster(launch: LaunchSession) -> list[dict[str, Any]]:
    """Every learner who launched in this context (by ``sub``; not its instructors), with their
    attempts there."""
    with session_scope() as session:
        launched = session.execute(
            select(LtiUser.id, LtiUser.sub, Launch.roles).join(Launch, Launch.user_id == LtiUser.id)
            .where(Launch.issuer == launch.issuer, Launch.context_id == launch.context_id)).all()
        teaching = {user_id for user_id, _, roles in launched if is_instructor(roles or [])}
        users = sorted({(user_id, sub) for user_id, sub, _ in launched if user_id not in teaching},
                       key=lambda user: user[1])
        attempts = {row.user_id: row for row in session.execute(
            select(Attempt.user_id, func.count(Attempt.id).label("n"), func.max(Attempt.score).label("best"),
                   func.max(Attempt.created_at).label("last"))
            .join(Launch, Launch.id == Attempt.launch_id)
            .where(Launch.issuer == launch.issuer, Attempt.context_id == launch.context_id)
            .group_by(Attempt.user_id))}
        sent: dict[tuple[int, str], int] = {}
        for user_id, status, n in session.execute(
                select(Attempt.user_id, Passback.status, func.count(Passback.id))
                .join(Attempt, Attempt.id == Passback.attempt_id)
                .join(Launch, Launch.id == Attempt.launch_id)
                .where(Launch.issuer == launch.issuer, Attempt.context_id == launch.context_id)
                .group_by(Attempt.user_id, Passback.status)):
            key = (user_id, "queued" if status == "sending" else status)
            sent[key] = sent.get(key, 0) + n
    rows = []
    for user_id, sub in users:
        done = attempts.get(user_id)
        rows.append({"learner": sub, "attempts": done.n if done else 0,
                     "best_score": float(done.best) if done else None,
                     "last_attempt": done.last.isoformat(timespec="seconds") + "Z" if done else None,
                     "scores_sent": sent.get((user_id, "sent"), 0),
                     "scores_queued": sent.get((user_id, "queued"), 0),
                     "scores_failed": sent.get((user_id, "failed"), 0)})
    return rows


def roster_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row[k] is None else _safe(row[k])) for k in CSV_COLUMNS})
    return out.getvalue()


def _safe(value: Any) -> Any:
    """A cell a spreadsheet would read as a formula is quoted as text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
