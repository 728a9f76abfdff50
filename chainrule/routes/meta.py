"""GET /api/meta, /api/ops, /api/examples, /api/health: what the server knows."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from chainrule import __version__
from chainrule.config import LIMITS
from chainrule.engine import ENGINE_KIND
from chainrule.engine.ops import OPERATORS, OPS
from chainrule.engine.parser import NEGATION, TRANSPOSE
from chainrule.examples import EXAMPLES
from chainrule.routes.pages import DEFAULT_EMBED_PANELS, EMBED_PANELS
from chainrule.schemas import Example, Health, Meta, OpInfo
from chainrule.training.datasets import DATASETS
from chainrule.training.optimizers import OPTIMIZERS

router = APIRouter(prefix="/api", tags=["meta"])


@router.get("/meta", response_model=Meta)
def get_meta() -> dict[str, Any]:
    """The registries the front end reads: optimizers, datasets, limits, embed panels, operators."""
    return {
        "optimizers": [o.to_dict() for o in OPTIMIZERS.values()],
        "datasets": [d.to_dict() for d in DATASETS.values()],
        "limits": asdict(LIMITS),
        "embed": {"panels": list(EMBED_PANELS), "default": list(DEFAULT_EMBED_PANELS)},
        "operators": [
            *({"name": op.name, "symbol": symbol, "notation": "infix"} for symbol, op in OPERATORS.items()),
            {"name": NEGATION, "symbol": "-", "notation": "prefix"},
            {"name": TRANSPOSE, "symbol": ".T", "notation": "postfix"},
        ],
    }


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
