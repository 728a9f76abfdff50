"""A launched page's session: the token it carries (``Authorization: Bearer``, or the cookie
where framed cookies are allowed) and the launch it stands for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from starlette.requests import Request

from chainrule.db.models import Launch, LtiUser
from chainrule.db.session import session_scope, utcnow
from chainrule.errors import ChainruleError
from chainrule.lti import claims as c
from chainrule.lti.launch import SESSION_COOKIE, token_hash
from chainrule.lti.registry import registrations


@dataclass(frozen=True)
class LaunchSession:
    launch_id: int
    user_id: int
    sub: str
    issuer: str
    client_id: str
    deployment_id: str
    message_type: str
    context_id: str
    context_title: str
    resource_link_id: str
    roles: tuple[str, ...]
    locale: str
    target_kind: str
    target: dict[str, Any] | None
    lineitem_url: str | None
    deep_linking: dict[str, Any] | None

    @property
    def instructor(self) -> bool:
        return is_instructor(self.roles)


def is_instructor(roles: Sequence[str]) -> bool:
    return any(role in c.INSTRUCTOR_ROLES or role == "Instructor" for role in roles)


def session_of(token: str, login_state: str | None = None) -> LaunchSession | None:
    """The unexpired launch behind ``token`` (and, if given, made by the login ``login_state``),
    or None."""
    query = (select(Launch, LtiUser.sub).join(LtiUser, LtiUser.id == Launch.user_id)
             .where(Launch.token_hash == token_hash(token)))
    if login_state is not None:
        query = query.where(Launch.login_state == login_state)
    with session_scope() as session:
        row = session.execute(query).first()
    if row is None or row[0].expires_at < utcnow():
        return None
    launch, sub = row
    return LaunchSession(
        launch.id, launch.user_id, sub, launch.issuer, launch.client_id, launch.deployment_id,
        launch.message_type, launch.context_id, launch.context_title, launch.resource_link_id,
        tuple(launch.roles or ()), launch.locale, launch.target_kind, launch.target,
        launch.lineitem_url, launch.deep_linking)


def bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def request_token(request: Request, cookie_from_pages_only: bool = False) -> str | None:
    """The session token a request carries. With ``cookie_from_pages_only``, the cookie counts
    only for requests made by a launched page (Referer under /lti/): the same browser's plain
    use of the app is never taken for the launch."""
    token = bearer(request)
    if token:
        return token
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and (not cookie_from_pages_only
                   or urlsplit(request.headers.get("referer", "")).path.startswith("/lti/")):
        return cookie
    return None


def launch_of(request: Request) -> LaunchSession | None:
    """The launch a POST /api/grade belongs to: None outside a launch (or with LTI off); an
    expired or unknown session token is a 401, never a silent ungraded grading."""
    if registrations() is None:
        return None
    token = request_token(request, cookie_from_pages_only=True)
    if token is None:
        return None
    found = session_of(token)
    if found is None:
        raise ChainruleError("launch_expired", "this course launch has expired or is unknown: open the "
                             "activity again from the course", status=401)
    return found
