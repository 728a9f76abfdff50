"""The ASGI app: wiring only (routers, middleware, error handlers, static files)."""

from __future__ import annotations

import os
import sys

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from chainrule.allocator import FreedMemory, keep_freed_memory
from chainrule.assets import STATIC_DIR
from chainrule.collector import IdleCollector
from chainrule.config import LIMITS
from chainrule.errors import ChainruleError
from chainrule.metrics import add_metrics
from chainrule.middleware import BodyLimit, SecurityHeaders, TrustedHosts, content_security_policy
from chainrule.public_url import allowed_hosts, configured_public_url
from chainrule.ratelimit import add_rate_limit
from chainrule.routes import docs, exercises, expand, export, graph, learn, lti, meta, pages, share, train
from chainrule.validation import request_error
from chainrule.version import __version__
from chainrule.workload import HeavyWorkLimit

SWITCH_INTERVAL_S = 0.001


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def create_app() -> FastAPI:
    # large JSON responses reuse mapped pages; a heap per computing thread (chainrule/allocator.py)
    keep_freed_memory(arenas=LIMITS.max_concurrent_work + 1)
    FreedMemory().watch()  # and give it back after a burst of heavy requests
    # The event loop (health, admission, 503s) waits for the GIL behind computing threads:
    # let it in after 1 ms instead of Python's 5 ms.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    collector = IdleCollector().take_over()  # full collections between heavy requests
    app = FastAPI(title="chainrule", version=__version__, docs_url=None, redoc_url=None,
                  description="Computational graphs, forward and backward, with the chain rule shown.")
    # Who may frame the embed view (CSP frame-ancestors) and call the API cross-origin (CORS):
    # read here, not at import, so tests and embedders can build an app per setting.
    frame_ancestors = os.environ.get("CHAINRULE_FRAME_ANCESTORS", "*")
    cors_origins = [o.strip() for o in os.environ.get("CHAINRULE_CORS_ORIGINS", "*").split(",")
                    if o.strip()]
    for module in (graph, train, meta, pages, share, export, exercises, learn, expand, docs, lti):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _add_error_handlers(app)
    # Innermost: a request takes a compute slot only once the rate limit has let it through.
    app.add_middleware(HeavyWorkLimit, slots=LIMITS.max_concurrent_work,
                       queue=LIMITS.max_queued_work, retry_after=LIMITS.request_budget_seconds,
                       quantum=LIMITS.work_quantum_seconds, per_client=LIMITS.max_client_work,
                       collector=collector)
    add_rate_limit(app)  # off unless CHAINRULE_RATE_LIMIT is set; inside CORS, so 429s get CORS
    app.add_middleware(CORSMiddleware, allow_origins=cors_origins, allow_credentials=False,
                       allow_methods=["GET", "POST"], allow_headers=["Content-Type"])
    # The app and the docs may be framed by this server only; the embeddable view and the
    # Learn mode (its lessons embed as /learn/<lesson>?embed=1) by whoever
    # CHAINRULE_FRAME_ANCESTORS names.
    app.add_middleware(SecurityHeaders, headers={
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }, csp=content_security_policy(), policies={"/embed": content_security_policy(frame_ancestors),
                "/learn": content_security_policy(frame_ancestors)})
    app.add_middleware(BodyLimit, max_bytes=LIMITS.max_body_bytes, timeout=LIMITS.body_timeout_seconds)
    app.state.public_url = configured_public_url()
    hosts = allowed_hosts(app.state.public_url)
    if hosts is not None:
        app.add_middleware(TrustedHosts, hosts=hosts)
    add_metrics(app)  # off unless CHAINRULE_METRICS=1; outermost, so it sees every refusal
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ChainruleError)
    async def on_chainrule_error(request: Request, exc: ChainruleError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(request_error(request, exc).to_dict(), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))


app = create_app()
