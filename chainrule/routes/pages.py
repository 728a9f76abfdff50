"""HTML pages: the app at ``/`` and the embeddable view at ``/embed`` (Jinja2 templates)."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path, PurePosixPath

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from chainrule import registries
from chainrule.assets import STATIC_DIR, TEMPLATES_DIR
from chainrule.export.standalone import inline_json
from chainrule.public_url import public_base, public_url_of
from chainrule.registries import embed_panels

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.globals["public_base"] = public_base
templates.env.globals["public_url_of"] = public_url_of


#: A static import of one of our modules: ``import ... from "./x.js";`` (or ``"../build/y.mjs"``).
_IMPORT = re.compile(r'^\s*(?:import|export)\b[^"\'`;]*?\bfrom\s*"(\.{1,2}/[^"]+)"'
                     r'|^\s*import\s*"(\.{1,2}/[^"]+)"', re.M)


def module_preloads(static: Path = STATIC_DIR, entry: str = "js/main.js") -> list[str]:
    """Every ES module the app page loads (main.js and its static imports, followed), for
    ``<link rel="modulepreload">``: the browser fetches them all at once instead of
    discovering them one import level at a time."""
    seen: list[str] = []
    todo = [entry]
    while todo:
        path = todo.pop()
        if path in seen or not (static / path).is_file():
            continue
        seen.append(path)
        base = PurePosixPath(path).parent
        for m in _IMPORT.finditer((static / path).read_text(encoding="utf-8")):
            target = posixpath.normpath(str(base / (m.group(1) or m.group(2))))
            todo.append(target)
    return [f"/static/{p}" for p in sorted(seen)]


templates.env.globals["module_preloads"] = module_preloads()
templates.env.globals["meta_json"] = lambda: inline_json(registries.meta())

router = APIRouter(tags=["pages"])

@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def get_index(request: Request) -> HTMLResponse:
    """The app: editor, values, forward and backward graphs, step-through."""
    return templates.TemplateResponse(request, "index.html")


@router.get("/embed", response_class=HTMLResponse, include_in_schema=False)
def get_embed(request: Request) -> HTMLResponse:
    """The compact view for an iframe: no chrome, chosen panels, optionally read-only, optionally
    filling a frame of fixed height."""
    panels = embed_panels(request.query_params.get("panels"))
    readonly = request.query_params.get("ro", "") in ("1", "true")
    # fill=1: the host gives the frame a fixed height (a lesson's view), the graph takes most of it
    fill = request.query_params.get("fill", "") in ("1", "true")
    return templates.TemplateResponse(request, "embed.html", {"panels": panels, "readonly": readonly,
                                                              "fill": fill})
