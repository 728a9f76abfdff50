"""POST /api/export/{format}: the analysis of POST /api/graph as a download (JSON, DOT, LaTeX)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter
from fastapi import Path as PathParam
from starlette.responses import Response

from chainrule.config import LIMITS
from chainrule.engine.budget import compute_budget
from chainrule.export.dot import to_dot
from chainrule.export.latex import to_latex
from chainrule.export.picture import to_png, to_svg
from chainrule.export.pytorch import to_pytorch
from chainrule.export.standalone import render_page
from chainrule.programs import cached_program
from chainrule.responses import StrictJSONRoute
from chainrule.schemas import ErrorResponse, ExportRequest, PytorchExportRequest, plain_values
from chainrule.teaching.analysis import run_analysis

router = APIRouter(prefix="/api", tags=["export"], route_class=StrictJSONRoute)

ExportFormat = Literal["json", "dot", "latex", "svg", "png", "html"]


def _json(analysis: dict[str, Any], request: ExportRequest) -> bytes:
    return orjson.dumps(analysis, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_INDENT_2)


def _dot(analysis: dict[str, Any], request: ExportRequest) -> bytes:
    return to_dot(analysis, request.direction).encode()


def _latex(analysis: dict[str, Any], request: ExportRequest) -> bytes:
    return to_latex(analysis).encode()


def _svg(analysis: dict[str, Any], request: ExportRequest) -> bytes:
    return to_svg(analysis, request.direction).encode()


def _png(analysis: dict[str, Any], request: ExportRequest) -> bytes:
    return to_png(analysis, request.direction)


def _html(analysis: dict[str, Any], request: ExportRequest) -> bytes:
    return render_page(analysis, request.expression, request.lang).encode()


#: format -> (renderer, media type, file extension)
FORMATS: dict[str, tuple[Callable[[dict[str, Any], ExportRequest], bytes], str, str]] = {
    "json": (_json, "application/json", "json"),
    "dot": (_dot, "text/vnd.graphviz; charset=utf-8", "gv"),
    "latex": (_latex, "application/x-latex; charset=utf-8", "tex"),
    "svg": (_svg, "image/svg+xml", "svg"),
    "png": (_png, "image/png", "png"),
    "html": (_html, "text/html; charset=utf-8", "html"),
}

RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the export, as an attachment",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/GraphResponse"}},
            "text/vnd.graphviz": {"schema": {"type": "string"}},
            "application/x-latex": {"schema": {"type": "string"}},
            "image/svg+xml": {"schema": {"type": "string"}},
            "image/png": {"schema": {"type": "string", "format": "binary"}},
            "text/html": {"schema": {"type": "string"}},
        },
    },
    400: {"model": ErrorResponse},
    413: {"model": ErrorResponse},
    422: {"model": ErrorResponse},
}


# Registered before /export/{format}, which would otherwise take "pytorch" as an unknown format.
@router.post("/export/pytorch", response_class=Response, responses={
    200: {"description": "a Python script, as an attachment",
          "content": {"text/x-python": {"schema": {"type": "string"}}}},
    400: {"model": ErrorResponse}, 413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}})
def export_pytorch(request: PytorchExportRequest) -> Response:
    """A runnable PyTorch script that rebuilds the graph and asserts chainrule's values and
    gradients (and, with ``training``, the torch.optim trajectory)."""
    training = request.training.model_dump(exclude_none=True) if request.training else None
    with compute_budget(LIMITS.request_budget_seconds):
        script = to_pytorch(request.expression, plain_values(request.values), request.output,
                            training=training, max_numbers=LIMITS.max_response_numbers)
    output_name = cached_program(request.expression, request.output).graph.output_name
    name = filename(output_name, "py", "pytorch")
    return Response(script, media_type="text/x-python; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/export/{format}", response_class=Response, responses=RESPONSES)
def export_graph(format: Annotated[ExportFormat, PathParam(description="json, dot, latex, svg, png or html")],
                 request: ExportRequest) -> Response:
    """Analyze an expression and return it as a file: analysis JSON, Graphviz DOT, LaTeX, a
    picture, or a standalone HTML page (the graphs with step-through, no server needed)."""
    render, media_type, extension = FORMATS[format]
    # JSON goes straight to orjson (arrays serialized natively); DOT and LaTeX read numbers.
    spec = request.spec(arrays="numpy" if format == "json" else "list",
                        max_numbers=LIMITS.max_response_numbers, full=())
    with compute_budget(LIMITS.request_budget_seconds):
        analysis = run_analysis(spec)
        body = render(analysis, request)
    name = filename(analysis.get("output_name"), extension,
                    request.direction if format in ("dot", "svg", "png") else None)
    return Response(body, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def filename(output_name: str | None, extension: str, direction: str | None = None) -> str:
    """``chainrule-<output>[-<direction>].<ext>``, ASCII letters, digits, ``_`` and ``-`` only."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", output_name or "").strip("-")[:40] or "graph"
    suffix = f"-{direction}" if direction else ""
    return f"chainrule-{stem}{suffix}.{extension}"
