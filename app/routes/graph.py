"""POST /api/graph: analyze an expression."""

from __future__ import annotations

from fastapi import APIRouter

from app.engine import analyze
from app.responses import FastJSONResponse
from app.schemas import ErrorResponse, GraphRequest, GraphResponse

router = APIRouter(prefix="/api", tags=["graph"])

ERRORS = {400: {"model": ErrorResponse}, 413: {"model": ErrorResponse},
          422: {"model": ErrorResponse}}


@router.post("/graph", response_model=GraphResponse, responses=ERRORS)  # type: ignore[untyped-decorator]
def analyze_graph(request: GraphRequest) -> FastJSONResponse:
    """Parse, evaluate and differentiate an expression: the forward and backward graphs."""
    values = {k: v.model_dump() if hasattr(v, "model_dump") else v
              for k, v in request.values.items()}
    result = analyze(request.expression, values, request.output, request.detail, request.check,
                     arrays="numpy")
    return FastJSONResponse(result)
