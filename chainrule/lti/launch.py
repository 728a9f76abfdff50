"""OIDC third-party login and the validation of a launch's id_token (LTI 1.3 Core, Security
Framework 1.0). Every refusal is a :class:`Refused` naming the reason; a refused launch
stores nothing (the login's nonce is consumed only together with the launch it admits)."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from joserfc import jws, jwt
from joserfc.errors import JoseError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chainrule.config import LIMITS
from chainrule.db.models import Launch, LoginState, LtiUser
from chainrule.db.session import session_scope, utcnow
from chainrule.languages import language_of_locale
from chainrule.lti import claims as c
from chainrule.lti.http import PlatformError
from chainrule.lti.keys import platform_key_set
from chainrule.lti.refusal import Refused
from chainrule.lti.registry import Registration, find
from chainrule.lti.targets import Target, target_of

STATE_COOKIE = "chainrule_lti_state_"  # + the state: several logins may be under way at once
SESSION_COOKIE = "chainrule_lti"


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    state: str


def start_login(params: dict[str, str], redirect_uri: str) -> LoginRedirect:
    """Third-party initiated login: remember a fresh state and nonce, send the browser on to
    the platform's authorization endpoint."""
    issuer = params.get("iss", "")
    login_hint = params.get("login_hint", "")
    if not issuer or not login_hint or not params.get("target_link_uri"):
        raise Refused(400, "missing_parameter", "a login needs iss, login_hint and target_link_uri")
    registration = find(issuer, params.get("client_id") or None)
    if registration is None:
        raise Refused(400, "unknown_platform", f"no registration for the issuer {issuer[:200]!r}"
                      + (f" and client {params['client_id'][:200]!r}" if params.get("client_id") else ""))
    deployment = params.get("lti_deployment_id")
    if deployment and deployment not in registration.deployment_ids:
        raise Refused(400, "unknown_deployment", f"the deployment {deployment[:200]!r} is not registered")
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with session_scope() as session:
        session.add(LoginState(state=state, nonce=nonce, issuer=registration.issuer,
                               client_id=registration.client_id, created_at=utcnow()))
    query = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
             "prompt": "none", "client_id": registration.client_id, "redirect_uri": redirect_uri,
             "login_hint": login_hint, "state": state, "nonce": nonce}
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in registration.auth_login_url else "?"
    return LoginRedirect(registration.auth_login_url + separator + urlencode(query), state)


@dataclass(frozen=True)
class ValidLaunch:
    registration: Registration
    claims: dict[str, Any]
    state: str
    target: Target | None


def validate_launch(id_token: str, state: str, cookie_state: str | None) -> ValidLaunch:
    """Every check of the contract, in the order that names the first failure."""
    if not id_token or not state:
        raise Refused(400, "missing_parameter", "a launch needs the form fields id_token and state")
    if not cookie_state or not secrets.compare_digest(cookie_state, state):
        raise Refused(403, "state_mismatch", "the state does not match the one this browser was "
                      "given at login (was the login started in another browser, or are cookies blocked?)")
    login = _login(state)
    registration = find(login.issuer, login.client_id)
    if registration is None:
        raise Refused(400, "unknown_platform", "the platform of this login is no longer registered")
    token_claims = _verified_claims(id_token, registration)
    _check_claims(token_claims, registration, login)
    target = target_of(token_claims) if token_claims[c.MESSAGE_TYPE] == c.RESOURCE_LINK_REQUEST else None
    return ValidLaunch(registration, token_claims, state, target)


def _login(state: str) -> LoginState:
    with session_scope() as session:
        login = session.get(LoginState, state[:100])
    if login is None:
        raise Refused(400, "unknown_state", "no login is under way with this state")
    if login.created_at < utcnow() - timedelta(seconds=LIMITS.lti_login_seconds):
        raise Refused(400, "login_expired", f"the login is older than {LIMITS.lti_login_seconds} s")
    if login.used_at is not None:
        raise Refused(400, "nonce_used", "this login's nonce has already been used by a launch")
    return login


def _verified_claims(id_token: str, registration: Registration) -> dict[str, Any]:
    try:
        header = jws.extract_compact(id_token.encode()).protected
    except (JoseError, ValueError, UnicodeError) as exc:
        raise Refused(400, "malformed_token", "the id_token is not a compact JWS") from exc
    if header.get("alg") != "RS256":
        raise Refused(401, "bad_algorithm",
                      f"the id_token must be signed with RS256, not {header.get('alg')!r}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise Refused(401, "unknown_kid", "the id_token's header names no kid")
    try:
        keys = platform_key_set(registration.key_set_url, kid)
    except (PlatformError, JoseError, ValueError, TypeError) as exc:
        raise Refused(400, "platform_keys", f"the platform's keys could not be read: {exc}") from exc
    if not any(key.kid == kid for key in keys.keys):
        raise Refused(401, "unknown_kid", f"the platform publishes no key with kid {kid[:100]!r}")
    try:
        token = jwt.decode(id_token, keys, algorithms=["RS256"])
    except JoseError as exc:
        raise Refused(401, "bad_signature", "the id_token's signature does not verify with the "
                      "platform's key") from exc
    return dict(token.claims)


def _check_claims(claims: dict[str, Any], registration: Registration, login: LoginState) -> None:
    now, skew = time.time(), LIMITS.lti_clock_skew_seconds
    if claims.get("iss") != registration.issuer:
        raise Refused(401, "wrong_issuer", "the id_token's iss is not the platform's issuer")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if registration.client_id not in audiences:
        raise Refused(401, "wrong_audience", "the id_token's aud does not name this tool's client_id")
    if ("azp" in claims or len(audiences) > 1) and claims.get("azp") != registration.client_id:
        raise Refused(401, "wrong_audience", "the id_token's azp is not this tool's client_id")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or exp < now - skew:
        raise Refused(401, "expired", "the id_token has expired")
    if not isinstance(iat, int | float) or iat > now + skew:
        raise Refused(401, "issued_in_future", "the id_token's iat is missing or in the future")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(claims["nonce"], login.nonce):
        raise Refused(401, "wrong_nonce", "the id_token's nonce is not the one sent at login")
    if claims.get(c.VERSION) != "1.3.0":
        raise Refused(400, "wrong_version", "the LTI version must be 1.3.0")
    if claims.get(c.DEPLOYMENT_ID) not in registration.deployment_ids:
        raise Refused(403, "unknown_deployment", "the deployment_id is not registered")
    if claims.get(c.MESSAGE_TYPE) not in c.MESSAGE_TYPES:
        raise Refused(400, "wrong_message_type",
                      f"chainrule accepts the messages {', '.join(c.MESSAGE_TYPES)}")
    if not isinstance(claims.get("sub"), str) or not claims["sub"] or len(claims["sub"]) > 255:
        raise Refused(400, "no_user", "the launch must name its user (sub)")
    if claims[c.MESSAGE_TYPE] == c.DEEP_LINKING_REQUEST:
        settings = claims.get(c.DL_SETTINGS)
        if not isinstance(settings, dict) or not isinstance(settings.get("deep_link_return_url"), str):
            raise Refused(400, "no_return_url", "a deep-linking request needs deep_link_return_url")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def store_launch(valid: ValidLaunch) -> tuple[str, int]:
    """Consume the login's nonce and record the launch, in one transaction: the session token
    for the page, and the launch's id."""
    claims, reg = valid.claims, valid.registration
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with session_scope() as session:
        consumed = session.execute(update(LoginState).where(
            LoginState.state == valid.state, LoginState.used_at.is_(None)).values(used_at=now))
        if consumed.rowcount != 1:  # type: ignore[attr-defined]
            raise Refused(400, "nonce_used", "this login's nonce has already been used by a launch")
        user = _user(session, reg.issuer, claims["sub"])
        launch = Launch(token_hash=token_hash(token), login_state=valid.state, user_id=user.id,
                        issuer=reg.issuer,
                        client_id=reg.client_id, deployment_id=str(claims[c.DEPLOYMENT_ID]),
                        message_type=claims[c.MESSAGE_TYPE], created_at=now,
                        expires_at=now + timedelta(seconds=LIMITS.lti_session_seconds),
                        **_launch_fields(claims, valid.target))
        session.add(launch)
        session.flush()
        return token, launch.id


def _user(session: Session, issuer: str, sub: str) -> LtiUser:
    found = session.scalars(select(LtiUser).where(LtiUser.issuer == issuer, LtiUser.sub == sub)).first()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            user = LtiUser(issuer=issuer, sub=sub, created_at=utcnow())
            session.add(user)
        return user
    except IntegrityError:  # the same user's other launch got there first
        return session.scalars(select(LtiUser).where(LtiUser.issuer == issuer,
                                                     LtiUser.sub == sub)).one()


def _launch_fields(claims: dict[str, Any], target: Target | None) -> dict[str, Any]:
    context, link = _object(claims, c.CONTEXT), _object(claims, c.RESOURCE_LINK)
    ags = _object(claims, c.AGS_ENDPOINT)
    roles = claims.get(c.ROLES) if isinstance(claims.get(c.ROLES), list) else []
    scopes = ags.get("scope") if isinstance(ags.get("scope"), list) else []
    lineitem = ags.get("lineitem")
    graded = isinstance(lineitem, str) and c.SCORE_SCOPE in (scopes or [])
    deep_linking = claims[c.MESSAGE_TYPE] == c.DEEP_LINKING_REQUEST
    return {
        "context_id": str(context.get("id", ""))[:255], "context_title": str(context.get("title", ""))[:500],
        "resource_link_id": str(link.get("id", ""))[:255],
        "roles": [str(r)[:200] for r in (roles or [])[:50]], "locale": locale_of(claims),
        "target_kind": target.kind if target else "", "target": target.data if target else None,
        "lineitem_url": lineitem if graded else None,
        "deep_linking": claims.get(c.DL_SETTINGS) if deep_linking else None,
    }


def _object(claims: dict[str, Any], name: str) -> dict[str, Any]:
    value = claims.get(name)
    return value if isinstance(value, dict) else {}


def locale_of(claims: dict[str, Any]) -> str:
    presentation = claims.get(c.LAUNCH_PRESENTATION)
    locale = presentation.get("locale") if isinstance(presentation, dict) else None
    return language_of_locale(locale)


