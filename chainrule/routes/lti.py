"""/lti: chainrule as an LTI 1.3 tool (login, launch, deep linking, keys, the instructor's
roster). Without CHAINRULE_LTI_PLATFORMS every route here answers 404 (chainrule/lti)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from chainrule.config import LIMITS
from chainrule.db.session import migrate
from chainrule.errors import ChainruleError
from chainrule.lti import claims as c
from chainrule.lti.deeplink import choices, content_item, response_jwt
from chainrule.lti.instructor import roster, roster_csv
from chainrule.lti.keys import tool_jwks, tool_keys
from chainrule.lti.launch import (
    SESSION_COOKIE,
    STATE_COOKIE,
    Refused,
    start_login,
    store_launch,
    validate_launch,
)
from chainrule.lti.passback import retry_forever
from chainrule.lti.progress import forget_progress, read_progress, save_progress
from chainrule.lti.registry import registrations
from chainrule.lti.sessions import LaunchSession, request_token, session_of
from chainrule.middleware import content_security_policy
from chainrule.public_url import public_base
from chainrule.routes.pages import templates

TEXT_DIR = Path(__file__).resolve().parents[1] / "lti" / "text"


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """With LTI on: migrate the database (unless the deployment does it, CHAINRULE_DB_MIGRATE=0),
    make sure the tool key exists, and run this worker's passback retry loop."""
    if registrations() is None:
        yield
        return
    if os.environ.get("CHAINRULE_DB_MIGRATE", "1") != "0":
        await run_in_threadpool(migrate)
    await run_in_threadpool(tool_keys)
    stop = asyncio.Event()
    worker = asyncio.create_task(retry_forever(stop))
    try:
        yield
    finally:
        stop.set()
        worker.cancel()
        with suppress(asyncio.CancelledError):
            await worker


def lti_enabled() -> None:
    if registrations() is None:
        raise HTTPException(404, "LTI is not configured on this server (CHAINRULE_LTI_PLATFORMS)")


router = APIRouter(prefix="/lti", tags=["lti"], include_in_schema=False, lifespan=lifespan,
                   dependencies=[Depends(lti_enabled)])


@cache
def texts(lang: str) -> dict[str, str]:
    words: dict[str, str] = json.loads((TEXT_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    return words


def _csp(form_target: str | None = None) -> str:
    """The /lti pages' policy: framed by the course platform; a deep-linking answer may be
    posted to the platform's return URL."""
    policy = content_security_policy(os.environ.get("CHAINRULE_FRAME_ANCESTORS", "*"))
    if form_target:
        parts = urlsplit(form_target)
        policy = policy.replace("form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}")
    return policy


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200,
          form_target: str | None = None) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status,
                                      headers={"Content-Security-Policy": _csp(form_target),
                                               "Cache-Control": "no-store"})


def _refused(request: Request, refusal: Refused, lang: str = "en") -> HTMLResponse:
    return _page(request, "lti_refused.html", {"t": texts(lang), "message": refusal.message,
                                               "code": refusal.code, "launch_token": None},
                 status=refusal.status)


def _cookie_options(request: Request) -> dict[str, Any]:
    # Framed by the platform's site: only SameSite=None cookies travel, and browsers take
    # those over https only (Secure). Over plain http (a local trial) Lax is the best there is.
    secure = request.url.scheme == "https"
    return {"secure": secure, "samesite": "none" if secure else "lax", "httponly": True}


async def _params(request: Request) -> dict[str, str]:
    params = {k: v for k, v in request.query_params.items()}
    if request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


@router.get("/jwks")
def get_jwks() -> JSONResponse:
    """The tool's public keys: platforms verify its deep-linking answers and token requests."""
    return JSONResponse(tool_jwks(), headers={"Cache-Control": "public, max-age=300"})


@router.api_route("/login", methods=["GET", "POST"])
async def login(request: Request) -> Response:
    """Third-party initiated login: on to the platform's auth endpoint with a fresh state and nonce."""
    params = await _params(request)
    try:
        redirect = await run_in_threadpool(start_login, params, public_base(request) + "lti/launch")
    except Refused as refusal:
        return _refused(request, refusal)
    response = RedirectResponse(redirect.url, status_code=302)
    response.set_cookie(STATE_COOKIE + redirect.state, "1", max_age=LIMITS.lti_login_seconds, path="/lti",
                        **_cookie_options(request))
    return response


@router.post("/launch")
async def launch(request: Request) -> Response:
    """The platform's id_token, checked; the page it names (or the deep-linking picker)."""
    form = await request.form()
    id_token, state = form.get("id_token"), form.get("state")
    if not isinstance(id_token, str) or not isinstance(state, str):
        return _refused(request, Refused(400, "missing_parameter", "a launch needs the form fields "
                                                                  "id_token and state"))
    cookie_state = request.cookies.get(STATE_COOKIE + state) and state
    try:
        valid = await run_in_threadpool(validate_launch, id_token, state, cookie_state)
        token, _launch_id = await run_in_threadpool(store_launch, valid)
    except Refused as refusal:
        reloaded = await _reloaded(request, state) if refusal.code in RELOAD_REFUSALS else None
        return reloaded or _refused(request, refusal)
    found = await run_in_threadpool(session_of, token)
    assert found is not None
    response = _launch_page(request, found, token)
    response.set_cookie(SESSION_COOKIE, token, max_age=LIMITS.lti_session_seconds, path="/",
                        **_cookie_options(request))
    response.delete_cookie(STATE_COOKIE + state, path="/lti")
    return response


#: What a reload of a launched page (the platform's form posted again) is refused for.
RELOAD_REFUSALS = {"state_mismatch", "nonce_used"}


async def _reloaded(request: Request, state: str) -> HTMLResponse | None:
    """The same page again, when this browser holds the session of the launch this login
    made: a reload. Anyone else replaying the form is refused (the login is used up)."""
    token = request.cookies.get(SESSION_COOKIE)
    found = await run_in_threadpool(session_of, token, state) if token else None
    return _launch_page(request, found, token) if found is not None and token else None


def _launch_page(request: Request, launch: LaunchSession, token: str) -> HTMLResponse:
    t = texts(launch.locale)
    if launch.message_type == c.DEEP_LINKING_REQUEST:
        return _page(request, "lti_picker.html", {"t": t, "launch_token": token,
                                                  "choices": choices(launch.locale)})
    target = launch.target or {}
    if launch.target_kind == "exercise":
        data = {"exercise": target["exercise"], "texts": t, "instructor": launch.instructor,
                "graded": launch.lineitem_url is not None}
        return _page(request, "lti_exercise.html", {"t": t, "launch_token": token, "data": data,
                                                    "instructor": launch.instructor})
    link = {"lang": launch.locale}
    if launch.target_kind == "lesson":
        return _page(request, "lti_learn.html", {"launch_token": token, "link": urlencode(link),
                                                 "lesson_id": target["lesson"], "embed": False,
                                                 "progress": read_progress(launch.user_id)})
    if launch.target_kind == "expression":
        # The app's link keeps each value as the text typed in its field.
        typed = {k: v if isinstance(v, str) else json.dumps(v) for k, v in target["values"].items()}
        link = {"e": target["expression"], "v": json.dumps(typed), **link}
    return _page(request, "lti_app.html", {"launch_token": token, "link": urlencode(link)})


def _session(request: Request) -> LaunchSession:
    token = request_token(request)
    found = session_of(token) if token else None
    if found is None:
        raise ChainruleError("launch_expired", "this course launch has expired or is unknown: open the "
                             "activity again from the course", status=401)
    return found


@router.post("/deep-link")
async def deep_link(request: Request) -> Response:
    """The picker's choice, signed and posted back to the platform (auto-submitted form)."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    token = fields.get("launch", "")
    found = await run_in_threadpool(session_of, token) if token else None
    if found is None or found.message_type != c.DEEP_LINKING_REQUEST or not found.deep_linking:
        return _refused(request, Refused(401, "launch_expired", "this deep-linking launch has expired "
                                         "or is unknown: open the picker again from the course"))
    t = texts(found.locale)
    try:
        item = await run_in_threadpool(content_item, fields.get("choice", ""), fields.get("expression", ""),
                                       fields.get("values", ""), found.locale,
                                       public_base(request) + "lti/launch", t)
    except ChainruleError as exc:
        return _refused(request, Refused(400, exc.code, exc.message), found.locale)
    jwt = await run_in_threadpool(response_jwt, found, [item])
    return_url = str(found.deep_linking["deep_link_return_url"])
    return _page(request, "lti_autopost.html", {"t": t, "launch_token": None, "jwt": jwt,
                                                "return_url": return_url}, form_target=return_url)


@router.get("/api/progress")
def get_progress(request: Request) -> JSONResponse:
    """The launched user's lesson progress."""
    return JSONResponse(read_progress(_session(request).user_id), headers={"Cache-Control": "no-store"})


@router.put("/api/progress")
async def put_progress(request: Request) -> JSONResponse:
    """Keep the launched user's lesson progress (the Learn page sends it as it changes)."""
    found = await run_in_threadpool(_session, request)
    try:
        progress = json.loads(await request.body())
    except ValueError as exc:
        raise ChainruleError("invalid_json", "the progress is not JSON", params={"reason": "syntax"}) from exc
    return JSONResponse(await run_in_threadpool(save_progress, found.user_id, progress))


@router.delete("/api/progress")
def delete_progress(request: Request) -> JSONResponse:
    """Forget the launched user's lesson progress (the Learn page's "Forget my progress")."""
    return JSONResponse(forget_progress(_session(request).user_id))


@router.get("/api/roster")
def get_roster(request: Request) -> JSONResponse:
    """An Instructor launch's learners: attempts and best scores in this context."""
    return JSONResponse(roster(_instructor(request)))


@router.get("/api/roster.csv")
def get_roster_csv(request: Request) -> Response:
    rows = roster(_instructor(request))
    return Response(roster_csv(rows), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="chainrule-learners.csv"', "Cache-Control": "no-store"})


def _instructor(request: Request) -> LaunchSession:
    found = _session(request)
    if not found.instructor:
        raise ChainruleError("forbidden", "only an Instructor launch sees the learners", status=403)
    return found
