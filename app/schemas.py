"""The API contract (../shared/API.md) as pydantic models: OpenAPI docs come from here."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from app.engine.values import Initializer

Number = StrictFloat | StrictInt | Literal["NaN", "Infinity", "-Infinity"]
Tensor = Number | list[Any]
"""A number or a nested list of numbers (a tensor); non-finite numbers as strings."""
ValueSpec = Tensor | Initializer


class ErrorDetail(BaseModel):
    code: str = Field(description="syntax_error, unknown_name, unknown_function, missing_value, "
                                  "shape_mismatch, bad_value, limit_exceeded, ...")
    message: str
    line: int | None = Field(None, description="1-based line of the expression, where known")
    col: int | None = Field(None, description="1-based column of the expression, where known")


class ErrorResponse(BaseModel):
    error: ErrorDetail


# ------------------------------------------------------------------------ /api/graph

EXAMPLE_EXPRESSION = "y = w*x + b; loss = abs(y_true - y)"
EXAMPLE_VALUES: dict[str, Any] = {"x": 2, "y_true": 4, "w": 3, "b": 1}


class GraphRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"expression": EXAMPLE_EXPRESSION, "values": dict(EXAMPLE_VALUES)}]},
    )

    expression: str = Field(description="statements `name = expr` separated by newlines or ';'")
    values: dict[str, ValueSpec] = Field(default_factory=dict,
                                         description="a value for every free name")
    output: str | None = Field(None, description="the name to differentiate; default: the last "
                                                 "assigned name, else the lone expression")
    detail: Literal["full", "summary"] = Field(
        "full", description="summary: tensors of 16+ elements as shape, min, max, mean, preview")
    check: bool = Field(False, description="add central finite-difference gradients")


class Summary(BaseModel):
    summary: Literal[True]
    shape: list[int]
    size: int
    min: Number
    max: Number
    mean: Number
    non_finite: int
    preview: list[Number]


Encoded = Number | list[Any] | Summary


class GraphNode(BaseModel):
    id: str
    op: str = Field(description="'input', 'const' or the operation's name")
    name: str | None = Field(None, description="the input's name or the assigned statement name")
    label: str
    shape: list[int]
    value: Encoded
    grad: Encoded | None = Field(description="d(output)/d(node); null for constants")
    formula: str | None = Field(None, description="the operation over its arguments' labels")
    statement: int = Field(description="0-based statement that created the node")


class GraphEdge(BaseModel):
    id: str
    source: str
    target: str
    arg: int
    local: Encoded | None = Field(description="d(target)/d(source) where elementwise, else null")
    local_formula: str
    grad: Encoded | None = Field(description="this edge's contribution to d(output)/d(source)")


class CheckEntry(BaseModel):
    numeric: Number | list[Number] | None = Field(description="central finite difference; null if skipped")
    backprop: Number | list[Number]
    rel_error: Number | None = Field(description="max |n - b| / max(|n|, |b|, 1e-8); null if skipped")
    indices: list[list[int]] | None = Field(None, description="checked elements of a large tensor")
    skipped: str | None = Field(None, description="why an input has no finite difference (class indices)")


class GraphResponse(BaseModel):
    output: str
    output_name: str | None = None
    value: Encoded
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    forward_order: list[str]
    backward_order: list[str]
    gradients: dict[str, Encoded]
    warnings: list[str]
    check: dict[str, CheckEntry] | None = None


# ------------------------------------------------------------------------ /api/train


class OptimizerConfig(BaseModel):
    """torch.optim's names and defaults; fields an optimizer does not use are ignored."""

    model_config = ConfigDict(extra="forbid")

    name: Literal["sgd", "adagrad", "rmsprop", "adam", "adamw"] = "sgd"
    lr: float | None = Field(None, gt=0, allow_inf_nan=False,
                             description="default per optimizer as in torch.optim")
    momentum: float | None = Field(None, ge=0, allow_inf_nan=False)
    dampening: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    nesterov: bool | None = None
    weight_decay: float | None = Field(None, ge=0, allow_inf_nan=False)
    betas: tuple[float, float] | None = None
    eps: float | None = Field(None, gt=0, allow_inf_nan=False)
    alpha: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    centered: bool | None = None
    amsgrad: bool | None = None
    lr_decay: float | None = Field(None, ge=0, allow_inf_nan=False)
    initial_accumulator_value: float | None = Field(None, ge=0, allow_inf_nan=False)


class TrainRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "expression": "loss = mean((w*x + b - y)**2)", "values": {"w": 0.3, "b": 0.0},
            "params": ["w", "b"], "data": {"x": [1, 2, 3, 4], "y": [2, 4, 6, 8]},
            "optimizer": {"name": "sgd", "lr": 0.05}, "steps": 100}]},
    )

    expression: str
    values: dict[str, ValueSpec] = Field(default_factory=dict)
    params: list[str] = Field(min_length=1, description="the trainable inputs")
    data: dict[str, list[Any]] | None = Field(
        None, description="arrays sliced along axis 0 into mini-batches (same length for all)")
    dataset: str | None = Field(None, description="a built-in dataset instead of data")
    batch_size: int | None = Field(None, ge=1, description="omitted: the full batch")
    optimizer: OptimizerConfig = Field(default_factory=lambda: OptimizerConfig())
    steps: int = Field(100, ge=0)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    output: str | None = None


class TrainStep(BaseModel):
    model_config = ConfigDict(extra="allow")

    step: int
    loss: Number
    params: dict[str, Encoded]
    grads: dict[str, Encoded]


class TrainResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    trajectory: list[TrainStep]
    final_params: dict[str, Encoded]
    final_loss: Number
    warnings: list[str]


# ------------------------------------------------------------------------ the rest


class OpInfo(BaseModel):
    name: str
    symbol: str | None
    arity: int
    callable: bool
    keyword_args: dict[str, Any] = Field(description="keyword arguments and their defaults")
    elementwise: bool
    formula: str
    local_formulas: list[str]
    description: str


class Example(BaseModel):
    id: str
    title: str
    expression: str
    values: dict[str, ValueSpec]
    output: str | None = None
    description: str = ""


class Health(BaseModel):
    status: Literal["ok"]
    version: str


# --- share and export


class ExportRequest(GraphRequest):
    """The body of POST /api/graph, plus which graph a DOT export draws."""

    direction: Literal["forward", "backward"] = Field(
        "forward", description="dot only: forward edges A -> B, or backward B -> A with local gradients")


class OEmbedResponse(BaseModel):
    """oEmbed 1.0 "rich" response (https://oembed.com)."""

    type: Literal["rich"]
    version: Literal["1.0"]
    title: str
    provider_name: str
    provider_url: str
    html: str = Field(description="an <iframe> of /embed with the link's query")
    width: int
    height: int
    cache_age: int | None = None
