"""GET /api/meta, /api/ops, /api/examples, /api/health: what the server knows."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from chainrule import registries
from chainrule.engine import ENGINE_KIND
from chainrule.examples import EXAMPLES
from chainrule.schemas import Example, Health, Meta, OpInfo
from chainrule.version import __version__

router = APIRouter(prefix="/api", tags=["meta"])


@router.get("/meta", response_model=Meta)
def get_meta() -> dict[str, Any]:
    """The registries the front end reads: optimizers, datasets, limits, embed panels, operators,
    languages."""
    return registries.meta()


@router.get("/ops", response_model=list[OpInfo])
def list_ops() -> list[dict[str, Any]]:
    """Every supported operation: arity, forward formula and local derivative formulas."""
    return registries.ops()


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
