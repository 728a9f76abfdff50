"""Lesson progress of a launched user, kept server-side (outside a launch the browser keeps
it in localStorage): for each lesson the furthest step seen and whether its task was solved."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from chainrule.db.models import Progress
from chainrule.db.session import session_scope, utcnow
from chainrule.errors import ChainruleError
from chainrule.teaching.course import lesson_index


def read_progress(user_id: int) -> dict[str, dict[str, Any]]:
    with session_scope() as session:
        rows = session.scalars(select(Progress).where(Progress.user_id == user_id)).all()
        return {row.lesson: dict(row.data) for row in rows}


def forget_progress(user_id: int) -> dict[str, dict[str, Any]]:
    """The student's "Forget my progress": every lesson's row goes (their scores stay)."""
    with session_scope() as session:
        session.execute(delete(Progress).where(Progress.user_id == user_id))
    return {}


def save_progress(user_id: int, progress: Any) -> dict[str, dict[str, Any]]:
    """Keep ``{lesson: {"seen": int, "done": bool}}`` for the known lessons; never forget a
    step seen or a task solved (two tabs may write in any order)."""
    known = {item["id"] for item in lesson_index()}
    if not isinstance(progress, dict) or any(k not in known for k in progress):
        raise ChainruleError("bad_value", "progress maps lesson ids to {seen, done}",
                             params={"field": "progress", "reason": "unknown_key", "known": sorted(known)})
    with session_scope() as session:
        mine = select(Progress).where(Progress.user_id == user_id)
        rows = {row.lesson: row for row in session.scalars(mine)}
        for lesson, entry in progress.items():
            seen, done = _entry(lesson, entry)
            row = rows.get(lesson)
            if row is None:
                session.add(Progress(user_id=user_id, lesson=lesson, data={"seen": seen, "done": done},
                                     updated_at=utcnow()))
            else:
                row.data = {"seen": max(seen, int(row.data.get("seen", 0))),
                            "done": done or bool(row.data.get("done", False))}
                row.updated_at = utcnow()
    return read_progress(user_id)


def _entry(lesson: str, entry: Any) -> tuple[int, bool]:
    seen = entry.get("seen") if isinstance(entry, dict) else None
    done = entry.get("done", False) if isinstance(entry, dict) else None
    if not isinstance(seen, int) or isinstance(seen, bool) or not 0 <= seen <= 1000 \
            or not isinstance(done, bool):
        raise ChainruleError("bad_value", f"progress.{lesson} must be {{\"seen\": 0..1000, \"done\": bool}}",
                             params={"field": f"progress.{lesson}", "reason": "invalid"})
    return seen, done
