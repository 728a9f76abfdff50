"""The API contract (docs/api.md) as pydantic models: OpenAPI docs come from here."""

from __future__ import annotations

from dataclasses import fields
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    TypeAdapter,
    ValidationError,
    create_model,
)

from chainrule.config import LIMITS, env_name
from chainrule.engine.values import Initializer
from chainrule.errors import limit_error
from chainrule.languages import Language
from chainrule.teaching.analysis import AnalysisSpec
from chainrule.training.datasets import DATASETS
from chainrule.training.optimizers import DEFAULT_OPTIMIZER, OPTIMIZERS
from chainrule.training.surface import SurfaceSpec
from chainrule.training.train import TrainSpec

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    Spec = TypeVar("Spec", bound=DataclassInstance)
else:
    Spec = TypeVar("Spec")

Number = StrictFloat | StrictInt | Literal["NaN", "Infinity", "-Infinity"]
Tensor = Number | list[Any]
"""A number or a nested list of numbers (a tensor); non-finite numbers as strings."""
ValueSpec = Tensor | Initializer


#: Entries validated per call when a map or list is large: pydantic holds the GIL for a whole
#: call, so a bad body is checked in slices, and only up to its first bad slice.
ENTRY_SLICE = 256


def _bounded(entry_type: Any) -> BeforeValidator:
    """A map or list of a request: refused over CHAINRULE_MAX_REQUEST_ENTRIES before pydantic
    validates its entries one by one, and cut after its first bad slice of entries, so a
    body with a hundred thousand bad entries costs the errors of a few hundred."""
    adapter: list[TypeAdapter[Any]] = []

    def check(entries: Any) -> Any:
        if not isinstance(entries, dict | list):
            return entries
        if len(entries) > LIMITS.max_request_entries:
            raise limit_error("entries of one map or list of the request", LIMITS.max_request_entries,
                              env_name("max_request_entries"), len(entries))
        if len(entries) <= ENTRY_SLICE:
            return entries
        if not adapter:
            adapter.append(TypeAdapter(entry_type))
        items = list(entries.items()) if isinstance(entries, dict) else entries
        for end in range(ENTRY_SLICE, len(items) + ENTRY_SLICE, ENTRY_SLICE):
            piece = items[end - ENTRY_SLICE:end]
            try:
                adapter[0].validate_python(dict(piece) if isinstance(entries, dict) else piece)
            except ValidationError:  # the same first error, from the entries up to here
                return dict(items[:end]) if isinstance(entries, dict) else items[:end]
        return entries

    return BeforeValidator(check)


Values = Annotated[dict[str, ValueSpec], _bounded(dict[str, ValueSpec])]
"""``values``: a value for every free name (at most CHAINRULE_MAX_REQUEST_ENTRIES names)."""
Columns = Annotated[dict[str, list[Any]], _bounded(dict[str, list[Any]])]
Names = Annotated[list[str], _bounded(list[str])]
Answers = Annotated[dict[str, Any], _bounded(dict[str, Any])]
Ranges = Annotated[dict[str, tuple[float, float]], _bounded(dict[str, tuple[float, float]])]


def plain_values(values: dict[str, Any]) -> dict[str, Any]:
    """Request values as the engine takes them: initializers back to plain dicts."""
    return {k: v.model_dump() if isinstance(v, Initializer) else v for k, v in values.items()}


def spec_of(request: BaseModel, spec: type[Spec], **given: Any) -> Spec:
    """The request object ``spec`` of the layer below (a dataclass), filled from the fields of
    ``request`` that have its names, as that layer takes them (values and nested models as
    plain dicts, a model's unset fields left out), then from ``given``."""
    taken: dict[str, Any] = {}
    for name in _shared_fields(type(request), spec):
        if name in given:
            continue
        value = getattr(request, name)
        if name == "values":
            value = plain_values(value)
        elif isinstance(value, BaseModel):
            value = value.model_dump(exclude_none=True)
        taken[name] = value
    return spec(**taken, **given)


@cache
def _shared_fields(model: type[BaseModel], spec: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(spec) if f.name in model.model_fields)


class ErrorDetail(BaseModel):
    code: str = Field(description="syntax_error, unknown_name, unknown_function, missing_value, "
                                  "shape_mismatch, bad_value, limit_exceeded, ...")
    message: str
    line: int | None = Field(None, description="1-based line of the expression, where known")
    col: int | None = Field(None, description="1-based column of the expression, where known")
    params: dict[str, Any] | None = Field(
        None, description="the code's parameters, for messages in the user's language "
                          "(see chainrule/errors.py), e.g. {field, reason, key, known} for bad_value")


class ErrorResponse(BaseModel):
    error: ErrorDetail


class WarningDetail(BaseModel):
    code: str = Field(description="unused_value, value_not_finite, diverged_loss_grew, ... "
                                  "(chainrule/engine/notices.py); other for a warning without one")
    params: dict[str, Any] = Field(description="the parameters of the message in the user's language")
    message: str = Field(description="the English text, the same as in `warnings`")


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
    values: Values = Field(default_factory=dict,
                                         description="a value for every free name")
    output: str | None = Field(None, description="the name to differentiate; default: the last "
                                                 "assigned name, else the lone expression")
    detail: Literal["full", "summary", "auto"] = Field(
        "full", description="full: every value (up to CHAINRULE_MAX_RESPONSE_NUMBERS numbers in "
                            "the response); summary: tensors of 16+ elements as shape, min, max, "
                            "mean, preview; auto: only tensors of more than "
                            "CHAINRULE_MAX_FULL_TENSOR_ELEMENTS elements summarized")
    full: list[str] = Field(default_factory=list,
                            description="ids of nodes (\"n7\") whose value and gradient are sent "
                                        "complete whatever `detail` says (still within "
                                        "CHAINRULE_MAX_RESPONSE_NUMBERS)")
    check: bool = Field(False, description="add central finite-difference gradients")
    lang: Language = Field("en", description="the language of diagnostics messages")
    mistake: Literal["overwrite", "early_visit"] | None = Field(
        None, description="compute the backward pass with a classic bug (see correct_gradients)")

    def spec(self, **encoding: Any) -> AnalysisSpec:
        """This request as the analysis takes it; ``encoding``: ``arrays``, ``max_numbers``."""
        return spec_of(self, AnalysisSpec, **encoding)


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


class Diagnostic(BaseModel):
    node: str
    kind: Literal["nonfinite_origin", "vanishing", "exploding", "saturated", "dead_relu", "kink"]
    severity: Literal["error", "warning", "info"]
    message: str = Field(description="what happened and what a practitioner would try, in `lang`")
    code: str = Field(description="the message's code (a kind, or a finer one such as kink_tie)")
    params: dict[str, Any] = Field(description="the message's parameters")


class MistakeExplanation(BaseModel):
    name: str
    title: str
    explanation: str
    buggy_line: str
    right_line: str


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
    warning_details: list[WarningDetail] = Field(
        default_factory=list, description="`warnings` with their code and params, in the same order")
    check: dict[str, CheckEntry] | None = None
    diagnostics: list[Diagnostic] = Field(default_factory=list, description="gradient health flags")
    correct_gradients: dict[str, Encoded] | None = Field(
        None, description="with a mistake: the true d(output)/d(input)")
    wrong_nodes: list[str] | None = Field(
        None, description="with a mistake: the nodes whose grad differs from the truth")
    correct_node_grads: dict[str, Encoded] | None = Field(
        None, description="with a mistake: the true grad of each wrong node")
    mistake_explanation: MistakeExplanation | None = None


# ------------------------------------------------------------------------ training


def _optimizer_config() -> type[BaseModel]:
    """OptimizerConfig, generated from the optimizer registry (chainrule/training/optimizers.py):
    ``name`` is one of its names, and every hyper-parameter any optimizer has is a field, typed
    by its kind, with each optimizer's torch default in its description. A new optimizer
    needs no edit here."""
    owners: dict[str, list[tuple[str, Any]]] = {}
    for cls in OPTIMIZERS.values():
        for h in cls.hyper:
            owners.setdefault(h.name, []).append((cls.name, h))
    fields: dict[str, Any] = {"name": (Literal[tuple(OPTIMIZERS)], DEFAULT_OPTIMIZER)}
    for name, hs in owners.items():
        defaults = ", ".join(f"{opt} {list(h.default) if h.kind == 'betas' else h.default}" for opt, h in hs)
        description = f"{hs[0][1].description} (torch default: {defaults})"
        fields[name] = (hs[0][1].annotation | None, Field(None, description=description))
    fields["maximize"] = (Literal[False] | None, Field(None, description="only false is supported"))
    return create_model(
        "OptimizerConfig",
        __config__=ConfigDict(extra="forbid"),
        __doc__="An optimizer and its torch.optim hyper-parameters; omitted ones take torch's "
        "defaults. Hyper-parameters that the named optimizer does not have are rejected.",
        **fields,
    )


if TYPE_CHECKING:
    OptimizerConfig = BaseModel
    DatasetName = str
else:
    OptimizerConfig = _optimizer_config()
    DatasetName = Literal[tuple(DATASETS)]


class DatasetRequest(BaseModel):
    """A built-in dataset: generated with numpy from ``seed``."""

    model_config = ConfigDict(extra="forbid")

    name: DatasetName = Field(description="a name from the dataset registry (GET /api/meta)")
    n: int | None = Field(None, description="rows (dataset default when omitted)")
    noise: float | None = Field(None, description="noise level (dataset default when omitted)")
    seed: int = 0


class TrainingSetup(BaseModel):
    """What to train and how: the part of POST /api/train that the PyTorch export replays."""

    model_config = ConfigDict(extra="forbid")

    params: Names = Field(min_length=1)
    data: Columns | None = Field(
        None, description="columns sliced along axis 0 into mini-batches (equal lengths)"
    )
    dataset: str | DatasetRequest | None = Field(
        None, description="a built-in dataset (its name, or name with n/noise/seed) instead of data")
    optimizer: OptimizerConfig = Field(default_factory=lambda: OptimizerConfig.model_validate({}))
    steps: int = 100
    seed: int = 0
    batch_size: int | None = Field(None, description="omitted: the full batch every step")


class TrainRequest(TrainingSetup):
    """POST /api/train."""

    expression: str
    values: Values = Field(default_factory=dict)
    output: str | None = None
    per_example: bool | None = Field(
        None,
        description="add each batch row's loss and gradients per step; by default on when a "
        "batch has at most 16 rows",
    )
    explain: bool = Field(True, description="add each step's update arithmetic")
    mistake: Literal["no_zero_grad"] | None = Field(
        None, description="no_zero_grad: gradients accumulate across steps (zero_grad() forgotten)")
    predict: str | None = Field(
        None, description="a classifier's statement whose argmax over axis 1 is the class (default: "
        "the logits of cross_entropy(logits, <the dataset's label column>))")

    def spec(self) -> TrainSpec:
        """This request as the trainer takes it."""
        return spec_of(self, TrainSpec)


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
    params: dict[str, Encoded]
    grads: dict[str, Encoded]
    epoch: int | None = None
    batch: list[int] | None = None
    example_losses: list[Number] | None = None
    example_grads: dict[str, list[Encoded]] | None = None
    update: dict[str, UpdateExplanation] | None = None


class FormulaNote(BaseModel):
    code: str = Field(description="momentum_first_step, adagrad_start (chainrule/training/optimizers.py)")
    message: str = Field(description="in English; a page says it in its language by code")


class OptimizerInfo(BaseModel):
    name: str
    hyper: dict[str, Any]
    formula: list[str]
    formula_notes: list[FormulaNote] = Field(default_factory=list, description="what it leaves unsaid")


class HeldOutPicture(BaseModel):
    row: int = Field(description="the row in the dataset")
    pixels: list[float]
    label: int
    predicted: int


class HeldOutPictures(BaseModel):
    shape: list[int] = Field(description="(H, W) of each picture's pixels, row-major")
    items: list[HeldOutPicture]


class HeldOut(BaseModel):
    """A dataset's held-out rows, evaluated with the final params."""

    rows: int
    loss: Number
    predict: str | None = Field(description="the label of the node whose argmax is the class")
    pictures: HeldOutPictures | None = Field(description="the first held-out rows, for a dataset of pictures")


class TrainResponse(BaseModel):
    """POST /api/train response: trajectory[k] is the state before update k."""

    trajectory: list[TrajectoryStep]
    final_params: dict[str, Encoded]
    final_loss: Number
    warnings: list[str]
    warning_details: list[WarningDetail] = Field(
        default_factory=list, description="`warnings` with their code and params, in the same order")
    optimizer: OptimizerInfo | None = None
    steps_run: int | None = None
    stopped: Literal["diverged", "budget"] | None = None
    data_rows: int | None = None
    batch_size: int | None = None
    train_accuracy: float | None = Field(
        None, description="share of training rows whose predicted class (argmax) is the label")
    test_accuracy: float | None = Field(None, description="the same on the dataset's held-out rows")
    test: HeldOut | None = None


class SurfaceRequest(BaseModel):
    """POST /api/surface: the loss over a grid of one or two scalar params."""

    model_config = ConfigDict(extra="forbid")

    expression: str
    values: Values = Field(default_factory=dict)
    params: list[str] = Field(min_length=1, max_length=2)
    data: Columns | None = None
    dataset: str | DatasetRequest | None = None
    output: str | None = None
    ranges: Ranges | None = Field(
        None, description="param -> [low, high]; default value ± max(1, |value|)"
    )
    resolution: int = Field(51, description="grid points per axis")

    def spec(self) -> SurfaceSpec:
        """This request as the surface takes it."""
        return spec_of(self, SurfaceSpec)


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
    warning_details: list[WarningDetail] = Field(
        default_factory=list, description="`warnings` with their code and params, in the same order")


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
    formula_notes: list[FormulaNote] = Field(default_factory=list, description="what it leaves unsaid")


class DatasetInfo(BaseModel):
    name: str
    description: str
    task: str
    columns: dict[str, str]
    classes: int
    defaults: dict[str, Any]
    fixed: bool = Field(False, description="the source's rows: n and noise cannot be chosen")
    test_rows: int = Field(0, description="the last test_rows rows are held out of training")
    label: str | None = Field(None, description="the column of class indices accuracy is measured on")
    image: list[int] | None = Field(None, description="rows of image_column are pictures of this (H, W)")
    image_column: str | None = None
    i18n: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="the words in other languages than English: "
        "{lang: {title?, description?}}")


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


class ExampleShows(BaseModel):
    kind: str | None = Field(description="the diagnostics kind the example raises (null: none)")
    nodes: list[str] = Field(description="the labels of the nodes it is raised on")


class OperatorInfo(BaseModel):
    """An op the grammar writes with a symbol rather than a call: ``a + b``, ``-a``, ``a.T``,
    ``a[1:3]`` (subscript: the node's ``formula`` holds its key)."""

    name: str
    symbol: str
    notation: Literal["infix", "prefix", "postfix", "subscript"]


class EmbedPanels(BaseModel):
    panels: list[str] = Field(description="every panel an embed can show (panels=...), in page order")
    default: list[str] = Field(description="what an embed shows without panels=")


class Meta(BaseModel):
    """GET /api/meta: the registries the front end reads instead of keeping copies."""

    optimizers: list[OptimizerListing]
    default_optimizer: str = Field(description="the optimizer a training starts with when none is named")
    datasets: list[DatasetInfo]
    limits: dict[str, int | float] = Field(description="every limit of the Limits table, by field name")
    embed: EmbedPanels
    operators: list[OperatorInfo]
    languages: list[Language] = Field(description="the languages of messages, lessons and the page; "
                                                  "English first")


class Example(BaseModel):
    id: str
    title: str
    expression: str
    values: dict[str, ValueSpec]
    output: str | None = None
    description: str = ""
    i18n: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="the words in other languages than English: "
        "{lang: {title?, description?}}")
    shows: ExampleShows | None = None
    optimizer: dict[str, Any] | None = Field(
        None, description="what training this example starts with: {name, hyper-parameters}, its own "
        "learning rate (omitted ones take torch's defaults)")


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    engine: Literal["compiled", "python"] = Field(
        description="how the engine runs: compiled with mypyc (setup.py) or as plain Python "
                    "(same results, slower)")


# --- share and export


class ExportRequest(GraphRequest):
    """The body of POST /api/graph, plus which graph a DOT export draws."""

    direction: Literal["forward", "backward"] = Field(
        "forward", description="dot, svg, png: the forward graph (values), or the backward graph "
                               "(reversed edges with local gradients, node gradients)")


class PytorchExportRequest(GraphRequest):
    """The body of POST /api/graph, plus an optional training setup to replay with torch.optim."""

    training: TrainingSetup | None = Field(
        None, description="params, data or dataset, optimizer, steps, seed, batch_size as in "
                          "POST /api/train: the script also runs torch.optim and asserts the trajectory")


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


# --- exercises (chainrule/teaching/exercises.py)

QuestionKind = Literal["local", "grad", "value"]


class ExerciseRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"expression": EXAMPLE_EXPRESSION, "values": dict(EXAMPLE_VALUES), "ask": ["grad"]}]},
    )

    expression: str
    values: Values = Field(default_factory=dict)
    output: str | None = None
    ask: list[QuestionKind] = Field(["local", "grad"], description="local gradients on edges, "
                                    "gradients d(output)/d(node) on nodes, forward values on nodes")
    count: int | None = Field(None, ge=1, description="questions drawn with `seed`; default: all")
    seed: int = Field(0, description="which questions `count` draws")
    lang: Language = "en"
    nodes: list[str] | None = Field(None, description="ask only about these nodes (names or "
                                    "labels; a local gradient is about its edge's two ends)")


class Question(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    kind: QuestionKind
    edge: str | None = Field(None, description="for `local`: the edge asked about")
    node: str | None = Field(None, description="for `grad` and `value`: the node asked about")
    prompt: str = ""
    shape: list[int] = Field(default_factory=list)


class Exercise(BaseModel):
    """Everything needed to grade: send it back to POST /api/grade as it came."""

    model_config = ConfigDict(extra="allow")

    expression: str
    values: Values = Field(default_factory=dict)
    output: str | None = None
    ask: list[QuestionKind] = ["local", "grad"]
    seed: int = 0
    lang: Language = "en"
    questions: Annotated[list[Question], _bounded(list[Question])]


class ExerciseResponse(BaseModel):
    exercise: Exercise
    graph: dict[str, Any] = Field(description="the /api/graph analysis with every asked number "
                                              "(and what would give it away) set to null")


class GradeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise: Exercise
    answers: Answers = Field(description="question id -> a number, a nested list, or arithmetic "
                                         "text without names such as \"1*1*2\"")
    rtol: float | None = Field(None, ge=0, lt=1, description="relative tolerance of a right answer; by "
                               "default half a unit in the 4th significant digit, as the page shows numbers")


class GradeResult(BaseModel):
    correct: bool
    expected: Tensor
    given: Tensor | None = None
    hint: str | None = Field(None, description="for a wrong answer: the local formula or the "
                                               "chain of factors")


class GradeResponse(BaseModel):
    score: float
    correct: int
    total: int
    results: dict[str, GradeResult]


# --- lessons (chainrule/teaching/course.py, data in chainrule/teaching/lessons/)


class LessonSummary(BaseModel):
    id: str
    number: int
    title: str
    summary: str


class LessonView(BaseModel):
    page: Literal["embed", "app"] = Field(description="the graph view (/embed) or the whole app (/)")
    state: dict[str, Any] = Field(description="the page state by property name (static/js/state.js)")
    panels: list[str] | None = Field(None, description="embed panels, when not the default")
    focus: str | None = Field(None, description="the id of the element to bring into view")
    frame: list[str] | None = Field(None, description="the nodes the step's text is about (labels or "
                                    "names): the graph is zoomed so exactly these are in view")


class LessonStep(BaseModel):
    text: list[str] = Field(description="paragraphs")
    view: LessonView
    expect: dict[str, Any] | None = Field(None, description="numbers the text states, checked by tests")


class LessonTry(BaseModel):
    text: str
    exercise: dict[str, Any] = Field(description="a POST /api/exercise request")


class Lesson(LessonSummary):
    steps: list[LessonStep]
    try_: LessonTry = Field(alias="try")
    previous: str | None
    next: str | None


# ------------------------------------------------------------------ elementwise expansions


class ExpandRequest(BaseModel):
    """POST /api/expand: ``conv2d`` (a = an (H, W) image, b = a (kH, kW) kernel) or
    ``attention_scores`` (a = Q (n, d), b = K (m, d))."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["conv2d", "attention_scores"]
    a: list[list[float]]
    b: list[list[float]]


class ExpandProgram(BaseModel):
    expression: str
    values: dict[str, Any]


class ExpandResponse(BaseModel):
    kind: str
    compact: ExpandProgram = Field(description="the op as one call, loss = the sum of its outputs")
    expanded: ExpandProgram = Field(description="one scalar input per element, one statement per output")
    pairs: dict[str, str] = Field(description="which scalar input is which element")
    outputs: list[str] = Field(description="the expanded statements' names, output element by element")
