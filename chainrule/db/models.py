"""The records of course-platform launches (LTI 1.3): who launched what, their attempts, the
scores owed to the platform and the lesson progress kept for them.

Users are known by platform (issuer) and ``sub`` only: nothing more personal is stored.
Times are naive UTC (SQLite keeps no zone; both databases then compare alike).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ToolKey(Base):
    """The tool's RS256 signing key when no PEM file is configured: generated once, shared
    by every worker through the database."""

    __tablename__ = "lti_tool_key"
    kid: Mapped[str] = mapped_column(String(100), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime())


class LoginState(Base):
    """One OIDC login: the ``state`` bound to the browser and the ``nonce`` the id_token must
    carry; ``used_at`` is set by the one launch that may consume it."""

    __tablename__ = "lti_login"
    state: Mapped[str] = mapped_column(String(100), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(100), unique=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)


class LtiUser(Base):
    __tablename__ = "lti_user"
    __table_args__ = (UniqueConstraint("issuer", "sub"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    sub: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime())


class Launch(Base):
    """A validated launch: the page's session (``token_hash``) and what the platform named."""

    __tablename__ = "lti_launch"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # the login it consumed: its own browser's reload (the same form again) reopens it
    login_state: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(500))
    deployment_id: Mapped[str] = mapped_column(String(255))
    message_type: Mapped[str] = mapped_column(String(50))
    context_id: Mapped[str] = mapped_column(String(255), default="", index=True)
    context_title: Mapped[str] = mapped_column(String(500), default="")
    resource_link_id: Mapped[str] = mapped_column(String(255), default="")
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    locale: Mapped[str] = mapped_column(String(10), default="en")
    target_kind: Mapped[str] = mapped_column(String(20), default="")  # lesson | exercise | expression | ""
    target: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    lineitem_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    deep_linking: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime())
    expires_at: Mapped[datetime] = mapped_column(DateTime())


class Attempt(Base):
    """One grading of the launch's exercise."""

    __tablename__ = "lti_attempt"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    launch_id: Mapped[int] = mapped_column(ForeignKey("lti_launch.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"), index=True)
    context_id: Mapped[str] = mapped_column(String(255), index=True)
    resource_link_id: Mapped[str] = mapped_column(String(255))
    score: Mapped[float] = mapped_column(Float)
    correct: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime())


class Passback(Base):
    """A score owed to the platform: one per attempt (unique), claimed by one worker at a time."""

    __tablename__ = "lti_passback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("lti_attempt.id"), unique=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(500))
    scores_url: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), index=True)  # queued | sending | sent | failed
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(DateTime(), index=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime())


class Progress(Base):
    """A launched user's progress in one lesson (what the browser keeps in localStorage otherwise)."""

    __tablename__ = "lti_progress"
    __table_args__ = (UniqueConstraint("user_id", "lesson"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"))
    lesson: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime())
