"""POST /api/expand: a tiny conv2d or attention head's scores as scalar multiply-adds."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from chainrule.routes.graph import ERRORS
from chainrule.schemas import ExpandRequest, ExpandResponse
from chainrule.teaching.expand import expand

router = APIRouter(prefix="/api", tags=["learn"])


@router.post("/expand", response_model=ExpandResponse, responses=ERRORS)
def post_expand(req: ExpandRequest) -> dict[str, Any]:
    """The compact expression and its elementwise expansion, with values for both."""
    return expand(req.kind, req.a, req.b)
