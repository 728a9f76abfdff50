"""Pydantic models of the training endpoints, to be merged into app/schemas.py.

``TrainRequest``/``OptimizerConfig``/``TrainResponse`` follow shared/API.md and add only
optional fields. Semantic checks (ranges, names, shapes) live in ``train``/``surface`` and
raise ``ChainruleError``; these models check types and shapes of the JSON.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Number = float | str  # a finite number, or "NaN" / "Infinity" / "-Infinity"
JsonValue = Any  # number, nested list or initializer object


class OptimizerConfig(BaseModel):
    """An optimizer and its torch.optim hyper-parameters; omitted ones take torch's defaults.
    Hyper-parameters that the named optimizer does not have are rejected."""

    model_config = ConfigDict(extra="forbid")

    name: Literal["sgd", "adagrad", "rmsprop", "adam", "adamw"] = "sgd"
    lr: float | None = Field(None, description="learning rate (torch default per optimizer)")
    momentum: float | None = Field(None, description="sgd, rmsprop")
    dampening: float | None = Field(None, description="sgd")
    nesterov: bool | None = Field(None, description="sgd")
    weight_decay: float | None = Field(None, description="all")
    lr_decay: float | None = Field(None, description="adagrad")
    initial_accumulator_value: float | None = Field(None, description="adagrad")
    eps: float | None = Field(None, description="adagrad, rmsprop, adam, adamw")
    alpha: float | None = Field(None, description="rmsprop")
    centered: bool | None = Field(None, description="rmsprop")
    betas: tuple[float, float] | None = Field(None, description="adam, adamw")
    amsgrad: bool | None = Field(None, description="adam, adamw")
    maximize: Literal[False] | None = Field(None, description="only false is supported")


class DatasetRequest(BaseModel):
    """A built-in dataset: generated with numpy from ``seed``."""

    model_config = ConfigDict(extra="forbid")

    name: Literal["linear", "sine", "moons", "xor", "spirals"]
    n: int | None = Field(None, description="rows (dataset default when omitted)")
    noise: float | None = Field(None, description="noise level (dataset default when omitted)")
    seed: int = 0


class TrainRequest(BaseModel):
    """POST /api/train."""

    model_config = ConfigDict(extra="forbid")

    expression: str
    values: dict[str, JsonValue] = Field(default_factory=dict)
    params: list[str] = Field(min_length=1)
    data: dict[str, list[Any]] | None = Field(
        None, description="columns sliced along axis 0 into mini-batches (equal lengths)"
    )
    dataset: DatasetRequest | None = Field(None, description="a built-in dataset instead of data")
    optimizer: OptimizerConfig = Field(default_factory=lambda: OptimizerConfig.model_validate({}))
    steps: int = 100
    seed: int = 0
    batch_size: int | None = Field(None, description="omitted: the full batch every step")
    output: str | None = None
    per_example: bool | None = Field(
        None,
        description="add each batch row's loss and gradients per step; by default on when a "
        "batch has at most 16 rows",
    )
    explain: bool = Field(True, description="add each step's update arithmetic")


class UpdateExplanation(BaseModel):
    """One param's update at one step (for a tensor param, of the element at ``index``)."""

    before: Number
    grad: Number
    after: Number
    terms: dict[str, Number | None]
    lines: list[str]
    index: list[int] | None = None


class TrajectoryStep(BaseModel):
    step: int
    loss: Number
    params: dict[str, JsonValue]
    grads: dict[str, JsonValue]
    epoch: int | None = None
    batch: list[int] | None = None
    example_losses: list[Number] | None = None
    example_grads: dict[str, list[JsonValue]] | None = None
    update: dict[str, UpdateExplanation] | None = None


class OptimizerInfo(BaseModel):
    name: str
    hyper: dict[str, Any]
    formula: list[str]


class TrainResponse(BaseModel):
    """POST /api/train response: trajectory[k] is the state before update k."""

    trajectory: list[TrajectoryStep]
    final_params: dict[str, JsonValue]
    final_loss: Number
    warnings: list[str]
    optimizer: OptimizerInfo | None = None
    steps_run: int | None = None
    stopped: Literal["diverged", "budget"] | None = None
    data_rows: int | None = None
    batch_size: int | None = None


class SurfaceRequest(BaseModel):
    """POST /api/surface: the loss over a grid of one or two scalar params."""

    model_config = ConfigDict(extra="forbid")

    expression: str
    values: dict[str, JsonValue] = Field(default_factory=dict)
    params: list[str] = Field(min_length=1, max_length=2)
    data: dict[str, list[Any]] | None = None
    dataset: DatasetRequest | None = None
    output: str | None = None
    ranges: dict[str, tuple[float, float]] | None = Field(
        None, description="param -> [low, high]; default value ± max(1, |value|)"
    )
    resolution: int = Field(51, description="grid points per axis")


class SurfaceResponse(BaseModel):
    params: list[str]
    axes: dict[str, list[float]]
    loss: list[Any] = Field(
        description="1 param: loss[i]; 2 params: loss[j][i] at (axes[params[0]][i], axes[params[1]][j])"
    )
    shape: list[int]
    at: dict[str, float]
    loss_at: Number
    range: tuple[float, float] | None
    warnings: list[str]


class HyperParamInfo(BaseModel):
    name: str
    default: Any
    kind: str
    description: str


class OptimizerListing(BaseModel):
    name: str
    title: str
    torch: str
    hyper: list[HyperParamInfo]
    formula: list[str]


class DatasetInfo(BaseModel):
    name: str
    description: str
    task: str
    columns: dict[str, str]
    classes: int
    defaults: dict[str, Any]


class DatasetListing(BaseModel):
    """GET /api/datasets: the built-in datasets, the optimizers and the training examples."""

    datasets: list[DatasetInfo]
    optimizers: list[OptimizerListing]
    examples: list[dict[str, Any]]


class DatasetData(BaseModel):
    """GET /api/datasets/{name}: the generated columns, for plotting."""

    name: str
    n: int
    noise: float
    seed: int
    columns: dict[str, list[Any]]
