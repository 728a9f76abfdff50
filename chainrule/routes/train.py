"""Training endpoints: step-through training, the loss surface, the built-in datasets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from chainrule.config import LIMITS
from chainrule.engine.budget import compute_budget
from chainrule.responses import FastJSONResponse, StrictJSONRoute
from chainrule.schemas import (
    DatasetData,
    DatasetListing,
    ErrorResponse,
    SurfaceRequest,
    SurfaceResponse,
    TrainRequest,
    TrainResponse,
)
from chainrule.training.datasets import DATASETS, make_dataset
from chainrule.training.examples import TRAINING_EXAMPLES
from chainrule.training.optimizers import OPTIMIZERS
from chainrule.training.surface import loss_surface
from chainrule.training.train import run_training

router = APIRouter(prefix="/api", tags=["training"], route_class=StrictJSONRoute)

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse},
    413: {"model": ErrorResponse},
    422: {"model": ErrorResponse},
}


# The handlers return the Python API's dicts as they are (already JSON-ready, non-finite
# numbers as strings), rendered by orjson; the response models document them in OpenAPI.


@router.post("/train", response_model=TrainResponse, responses=ERRORS)
def post_train(req: TrainRequest) -> FastJSONResponse:
    """Train the params of an expression step by step; return the whole trajectory."""
    return FastJSONResponse(run_training(req.spec()))


@router.post("/surface", response_model=SurfaceResponse, responses=ERRORS)
def post_surface(req: SurfaceRequest) -> FastJSONResponse:
    """Evaluate the loss on a grid over one or two params (the others fixed)."""
    return FastJSONResponse(loss_surface(req.spec()))


@router.get("/datasets", response_model=DatasetListing)
def get_datasets() -> dict[str, Any]:
    """List the built-in datasets, the optimizers with torch's defaults, and the examples."""
    return {
        "datasets": [d.to_dict() for d in DATASETS.values()],
        "optimizers": [o.to_dict() for o in OPTIMIZERS.values()],
        "examples": TRAINING_EXAMPLES,
    }


@router.get("/datasets/{name}", response_model=DatasetData, responses=ERRORS)
def get_dataset(
    name: str,
    n: int | None = Query(None, description="rows"),
    noise: float | None = Query(None, description="noise level"),
    seed: int = Query(0, ge=0, le=LIMITS.max_seed, description="random seed"),
) -> dict[str, Any]:
    """Generate one built-in dataset (for plotting its points)."""
    with compute_budget(LIMITS.request_budget_seconds):  # heavy work: it takes a turn
        columns = make_dataset({"name": name, "n": n, "noise": noise, "seed": seed})
    spec = DATASETS[name]
    return {
        "name": name,
        "n": spec.n if n is None else n,
        "noise": spec.noise if noise is None else noise,
        "seed": seed,
        "columns": {c: a.tolist() for c, a in columns.items()},
    }
