"""POST /api/graph: analyze an expression."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from chainrule.config import LIMITS
from chainrule.engine.budget import compute_budget
from chainrule.metrics import note_analysis
from chainrule.responses import FastJSONResponse, StrictJSONRoute
from chainrule.schemas import ErrorResponse, GraphRequest, GraphResponse
from chainrule.teaching.analysis import run_analysis

router = APIRouter(prefix="/api", tags=["graph"], route_class=StrictJSONRoute)

ERRORS: dict[int | str, dict[str, Any]] = {400: {"model": ErrorResponse}, 413: {"model": ErrorResponse},
          422: {"model": ErrorResponse}}


@router.post("/graph", response_model=GraphResponse, responses=ERRORS)
def analyze_graph(request: GraphRequest, http: Request) -> FastJSONResponse:
    """Parse, evaluate and differentiate an expression: the forward and backward graphs."""
    spec = request.spec(arrays="numpy", max_numbers=LIMITS.max_response_numbers)
    with compute_budget(LIMITS.request_budget_seconds):
        result = run_analysis(spec)
    note_analysis(http, len(result["nodes"]))
    return FastJSONResponse(result)
