"""HTML pages: the app at ``/`` and the embeddable view at ``/embed`` (Jinja2 templates)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
templates = Jinja2Templates(directory=TEMPLATES_DIR)

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def get_index(request: Request) -> HTMLResponse:
    """The app: editor, values, forward and backward graphs, step-through."""
    return templates.TemplateResponse(request, "index.html")


@router.get("/embed", response_class=HTMLResponse, include_in_schema=False)
def get_embed(request: Request) -> HTMLResponse:
    """The compact view for an iframe: graphs and step-through only (state from the URL)."""
    return templates.TemplateResponse(request, "embed.html")
