"""A course platform for the tests, built on lti1p3platform (a platform implementation someone
else wrote): OIDC login initiation, the authorization endpoint that signs the launch, its
JWKS, the client-credentials token endpoint, a line item's score service and the deep-linking
return URL. It runs with uvicorn on 127.0.0.1 in a thread of the test process, so a test reads
what it received directly.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jwcrypto.jwk import JWK
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration

CLIENT_ID = "chainrule-client"
DEPLOYMENT_ID = "deployment-1"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def new_key() -> tuple[str, str]:
    """An RS256 key pair as PEM (private, public)."""
    key = JWK.generate(kty="RSA", size=2048)
    return (key.export_to_pem(private_key=True, password=None).decode(),
            key.export_to_pem().decode())


class PlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self._registration


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=302)


class Launch(LTIAdvantageMessageLaunchAbstract):
    def __init__(self, query: dict[str, str], conf: PlatformConf) -> None:
        self._query = query
        super().__init__(None, conf)  # type: ignore[arg-type]

    def get_preflight_response(self) -> dict[str, Any]:
        return self._query

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> HTMLResponse:
        # The platform's own page (not chainrule's): it may run an inline script.
        return HTMLResponse(
            f'<!doctype html><link rel="icon" href="data:,"><form id="f" method="post" action="{escape(launch_data["launch_url"])}">'
            f'<input type="hidden" name="id_token" value="{escape(launch_data["id_token"])}">'
            f'<input type="hidden" name="state" value="{escape(launch_data["state"])}">'
            '<button>Launch</button></form><script>document.getElementById("f").submit()</script>')


@dataclass
class Message:
    """What a launch will carry (the platform's lti_message_hint points at one)."""

    user: str
    kind: str = "resource"  # resource | deeplink
    roles: list[str] = field(default_factory=lambda: [LEARNER])
    custom: dict[str, str] | None = None
    lineitem: str | None = None
    locale: str = "en-US"
    context: str = "course-1"
    resource_link: str = "link-1"


@dataclass
class Platform:
    """The platform's state: registration, keys, what it received, a switch to go down."""

    base: str
    tool: str
    private_pem: str
    public_pem: str
    extra_public_keys: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[str, Message] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)
    score_requests: int = 0
    token_requests: int = 0
    deep_link_items: list[list[dict[str, Any]]] = field(default_factory=list)
    down: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: Iterator[int] = field(default_factory=itertools.count)

    @property
    def issuer(self) -> str:
        return self.base

    def registration(self) -> Registration:
        return (Registration().set_iss(self.issuer).set_client_id(CLIENT_ID).set_deployment_id(DEPLOYMENT_ID)
                .set_oidc_login_url(self.tool + "/lti/login").set_launch_url(self.tool + "/lti/launch")
                .set_deeplink_launch_url(self.tool + "/lti/launch")
                .set_platform_public_key(self.public_pem).set_platform_private_key(self.private_pem)
                .set_tool_key_set_url(self.tool + "/lti/jwks"))

    def conf(self) -> PlatformConf:
        return PlatformConf(registration=self.registration())

    def tool_registration(self) -> dict[str, Any]:
        """The entry of chainrule's CHAINRULE_LTI_PLATFORMS file for this platform."""
        return {"issuer": self.issuer, "client_id": CLIENT_ID, "deployment_ids": [DEPLOYMENT_ID],
                "auth_login_url": self.base + "/authorize", "auth_token_url": self.base + "/token",
                "key_set_url": self.base + "/jwks"}

    def start_url(self, message: Message) -> str:
        """Where a browser (or a test) starts a launch: the platform's login initiation."""
        hint = f"m{next(self.counter)}"
        self.messages[hint] = message
        return f"{self.base}/start?hint={hint}"

    def lineitem(self, name: str = "item-1", query: str = "") -> str:
        return f"{self.base}/lineitems/{name}" + (f"?{query}" if query else "")

    def rotate_key(self) -> None:
        """A new signing key; the old one stays published (as platforms rotate)."""
        old = self.registration().get_jwks()
        self.private_pem, self.public_pem = new_key()
        self.extra_public_keys.extend(old)


def build_app(platform: Platform) -> FastAPI:
    app = FastAPI()

    @app.get("/jwks")
    def jwks() -> JSONResponse:
        keys = platform.registration().get_jwks()
        return JSONResponse({"keys": keys + platform.extra_public_keys})

    @app.get("/start")
    def start(hint: str) -> Response:
        login = Login(None, platform.conf())
        login.set_lti_message_hint(hint=hint)
        return login.initiate_login(platform.messages[hint].user)  # type: ignore[no-any-return]

    @app.get("/authorize")
    def authorize(request: Request) -> Response:
        query = dict(request.query_params)
        message = platform.messages[query["lti_message_hint"]]
        launch = Launch(query, platform.conf())
        launch.set_user_data(message.user, message.roles)
        launch.set_launch_context_claim(message.context, context_title="Deep learning")
        launch.set_resource_link_claim(message.resource_link)
        launch.set_extra_claims({"https://purl.imsglobal.org/spec/lti/claim/launch_presentation": {
            "document_target": "iframe", "locale": message.locale}})
        if message.custom is not None:
            launch.set_custom_parameters_claim(message.custom)
        if message.lineitem:
            launch.set_ags(lineitems_url=platform.base + "/lineitems", lineitem_url=message.lineitem,
                           allow_creating_lineitems=False)
        if message.kind == "deeplink":
            launch.set_dl(platform.base + "/deep_link_return", title="Add an activity",
                          accept_types={"ltiResourceLink"}, extra_data={"opaque": "kept"})
        return launch.lti_launch()  # type: ignore[no-any-return]

    @app.post("/token")
    async def token(request: Request) -> JSONResponse:
        form = {k: v for k, v in (await request.form()).items()}
        with platform.lock:
            platform.token_requests += 1
        try:
            return JSONResponse(platform.conf().get_access_token(form))
        except Exception as exc:
            return JSONResponse({"error": "invalid_client", "detail": str(exc)}, status_code=400)

    @app.post("/lineitems/{name}/scores")
    async def scores(name: str, request: Request) -> JSONResponse:
        with platform.lock:
            platform.score_requests += 1
        if platform.down:
            return JSONResponse({"error": "down for maintenance"}, status_code=503)
        auth = request.headers.get("authorization", "")
        try:
            ok = platform.conf().validate_token(auth.removeprefix("Bearer "), allowed_scopes=[SCORE_SCOPE])
        except Exception:
            ok = False
        if not ok:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if request.headers.get("content-type") != "application/vnd.ims.lis.v1.score+json":
            return JSONResponse({"error": "wrong media type"}, status_code=415)
        body = await request.json()
        with platform.lock:
            platform.scores.append({"lineitem": name, "query": request.url.query, **body})
        return JSONResponse({}, status_code=200)

    @app.post("/deep_link_return")
    async def deep_link_return(request: Request) -> HTMLResponse:
        form = {k: v for k, v in (await request.form()).items()}
        items = platform.conf().validate_deeplinking_resp(form)
        platform.deep_link_items.append(items)
        return HTMLResponse(f'<!doctype html><link rel="icon" href="data:,"><h1>Platform received {len(items)} item(s)</h1>'
                            f'<pre id="items">{escape(json.dumps(items))}</pre>')

    @app.get("/course")
    def course(start: str) -> HTMLResponse:
        """The platform's course page: chainrule framed, as LMSs show tools."""
        return HTMLResponse(f'<!doctype html><title>Course</title><link rel="icon" href="data:,"><h1>Deep learning (course page)</h1>'
                            f'<iframe id="tool" name="tool" src="{escape(start)}" '
                            'style="width:100%;height:800px;border:1px solid #888"></iframe>')

    return app


@contextmanager
def running_platform(tool: str, port: int | None = None) -> Iterator[Platform]:
    """The platform on 127.0.0.1 (``port``, or a free one), registered with the tool at ``tool``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port or 0))
    private_pem, public_pem = new_key()
    platform = Platform(f"http://127.0.0.1:{sock.getsockname()[1]}", tool, private_pem, public_pem)
    server = uvicorn.Server(uvicorn.Config(build_app(platform), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test platform did not start")
        time.sleep(0.02)
    try:
        yield platform
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


def unique() -> str:
    return uuid.uuid4().hex[:8]
