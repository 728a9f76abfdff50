"""GET /docs (Swagger UI) and /redoc (ReDoc): the OpenAPI docs, from assets this server serves.

FastAPI's own pages load both from a CDN and start them with an inline script, which the CSP
blocks (and an offline machine cannot fetch): the pages were blank. These load the pinned
npm bundles that scripts/build-static.mjs copies into static/build/ and start them from a
module of ours, under the same policy as every page (scripts from this server only).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from chainrule.routes.pages import templates

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def get_swagger_ui(request: Request) -> HTMLResponse:
    """Interactive API docs (Swagger UI)."""
    return templates.TemplateResponse(request, "docs.html", {"openapi_url": request.app.openapi_url,
                                                             "title": request.app.title})


@router.get("/redoc", response_class=HTMLResponse)
def get_redoc(request: Request) -> HTMLResponse:
    """Reference API docs (ReDoc)."""
    return templates.TemplateResponse(request, "redoc.html", {"openapi_url": request.app.openapi_url,
                                                              "title": request.app.title})
