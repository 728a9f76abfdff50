"""GET /api/ops, /api/examples, /api/health: what the engine knows."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app import __version__
from app.engine import ENGINE_KIND
from app.engine.ops import OPS
from app.examples import EXAMPLES
from app.schemas import Example, Health, OpInfo

router = APIRouter(prefix="/api", tags=["meta"])


@router.get("/ops", response_model=list[OpInfo])
def list_ops() -> list[dict[str, Any]]:
    """Every supported operation: arity, forward formula and local derivative formulas."""
    return [op.describe() for op in OPS.values()]


@router.get("/examples", response_model=list[Example])
def list_examples() -> list[dict[str, Any]]:
    """The built-in examples, the worked example first."""
    return EXAMPLES


@router.get("/health", response_model=Health)
async def get_health() -> dict[str, str]:
    """Liveness: the server is up, which version it runs, and whether its engine is compiled.

    ``async``: answered on the event loop, never queued behind computations in the thread pool.
    """
    return {"status": "ok", "version": __version__, "engine": ENGINE_KIND}
