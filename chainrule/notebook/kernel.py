"""The notebook widget's API, answered in the kernel: the front end's requests (static/js/api.js,
sent as custom widget messages by static/js/widget.js) go to the functions the HTTP routes
call, and come back as the same JSON (errors as the same ``{"error": {...}}``), so the app's
training panel runs in a notebook with no server."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request

from chainrule.config import LIMITS
from chainrule.errors import ChainruleError
from chainrule.responses import FastJSONResponse, parse_json
from chainrule.routes.graph import analyze_graph
from chainrule.routes.meta import get_meta
from chainrule.routes.train import get_dataset, get_datasets, post_surface, post_train
from chainrule.schemas import GraphRequest, SurfaceRequest, TrainRequest
from chainrule.validation import body_error, invalid_json


class DatasetQuery(BaseModel):
    """The query of GET /api/datasets/{name} (the route's parameters)."""

    model_config = ConfigDict(extra="ignore")
    n: int | None = None
    noise: float | None = None
    seed: int = Field(0, ge=0, le=LIMITS.max_seed)


# (method, path) -> the model its body (or query) is validated as, and the route's function
Route = tuple[type[BaseModel] | None, Callable[[Any], Any]]
ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/api/graph"): (GraphRequest, lambda req: analyze_graph(req, Request({"type": "http"}))),
    ("POST", "/api/train"): (TrainRequest, post_train),
    ("POST", "/api/surface"): (SurfaceRequest, post_surface),
    ("GET", "/api/datasets"): (None, lambda _: get_datasets()),
    ("GET", "/api/meta"): (None, lambda _: get_meta()),
}
DATASET_PATH = "/api/datasets/"


def _route(method: str, path: str) -> Route:
    if method == "GET" and path.startswith(DATASET_PATH):
        name = path.removeprefix(DATASET_PATH)
        return DatasetQuery, lambda q: get_dataset(name, n=q.n, noise=q.noise, seed=q.seed)
    route = ROUTES.get((method, path))
    if route is None:
        raise ChainruleError("not_found", f"{method} {path} is not served in a notebook", status=404)
    return route


def _json(result: Any) -> Any:
    """What the HTTP route sends, as JSON-ready Python (a route returns a response or a dict)."""
    raw = result.body if isinstance(result, FastJSONResponse) else orjson.dumps(
        result, option=orjson.OPT_SERIALIZE_NUMPY)
    return orjson.loads(raw)


def answer(message: Mapping[str, Any]) -> dict[str, Any]:
    """One request ``{id, method, url, body}`` (body: the JSON text of a POST) -> ``{type: "api",
    id, status, body}``: the HTTP API's status and JSON for the same request."""
    reply: dict[str, Any] = {"type": "api", "id": message.get("id")}
    payload: Any = None
    model: type[BaseModel] | None = None
    try:
        url = urlsplit(str(message.get("url", "")))
        model, call = _route(str(message.get("method", "GET")), url.path)
        text = message.get("body")
        payload = parse_json(text) if isinstance(text, str) else dict(parse_qsl(url.query))
        result = call(model.model_validate(payload) if model else None)
        return {**reply, "status": 200, "body": _json(result)}
    except orjson.JSONDecodeError as exc:  # the app answers a RequestValidationError with a 422
        error, status = invalid_json(exc.msg), 422
    except ValidationError as exc:
        error, status = body_error(exc.errors(), payload, model), 422
    except ChainruleError as exc:
        error, status = exc, exc.status
    except Exception as exc:  # the widget waits for a reply to every request: never leave it none
        error, status = ChainruleError("internal_error", f"the kernel could not answer: {exc}"), 500
    return {**reply, "status": status, "body": error.to_dict()}
