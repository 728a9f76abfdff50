"""JSON in and out with orjson: responses with numpy arrays serialized natively (no list
conversion), requests parsed strictly, exactly and off the event loop."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from chainrule.config import LIMITS, env_name
from chainrule.errors import limit_error

#: pydantic errors kept from one failed validation: the error object reports the first one,
#: and a body with a million bad entries must not become a million error objects in memory.
MAX_VALIDATION_ERRORS = 20
#: A run of this many digits may be an integer beyond 64 bits, which orjson rounds to a float.
_LONG_DIGITS = re.compile(rb"\d{19,}")
#: Object keys a body may hold per CHAINRULE_MAX_REQUEST_ENTRIES (a graded question has six).
KEYS_PER_ENTRY = 8


#: List entries serialized per orjson call in a large response (see :func:`dumps_in_slices`).
RESPONSE_SLICE = 256
_NUMPY = orjson.OPT_SERIALIZE_NUMPY


class FastJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps_in_slices(content)


def dumps_in_slices(content: Any, depth: int = 2) -> bytes:
    """``orjson.dumps(content)``, the same bytes, in many short calls: orjson holds the GIL for
    a whole call, and a 10,000-step trajectory in one call kept the event loop (health checks,
    every other client) waiting for tens of milliseconds. A dict's values and a long list's
    slices are serialized one by one, ``depth`` levels down."""
    if depth > 0 and isinstance(content, dict) and all(isinstance(k, str) for k in content):
        return b"{" + b",".join(orjson.dumps(k) + b":" + dumps_in_slices(v, depth - 1)
                                for k, v in content.items()) + b"}"
    if depth > 0 and isinstance(content, list) and len(content) > RESPONSE_SLICE:
        pieces = (orjson.dumps(content[i:i + RESPONSE_SLICE], option=_NUMPY)[1:-1]
                  for i in range(0, len(content), RESPONSE_SLICE))
        return b"[" + b",".join(pieces) + b"]"
    return orjson.dumps(content, option=_NUMPY)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (write it as the string \"{name}\")")


def parse_json(body: bytes | str) -> Any:
    """Strict JSON: a bare NaN or Infinity is refused (the contract spells non-finite numbers
    as the strings "NaN", "Infinity", "-Infinity"), and integers are exact whatever their size.

    orjson (fast) turns an integer beyond 64 bits into a rounded float, so a body with a long
    run of digits is read by the standard library instead, which keeps every integer exact:
    the value readers then refuse one above 2^53 instead of computing with a rounded one.
    Raises ``orjson.JSONDecodeError`` (a ``ValueError``) either way.
    """
    raw = body.encode() if isinstance(body, str) else body
    if not _LONG_DIGITS.search(raw):
        return orjson.loads(raw)
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise orjson.JSONDecodeError("Recursion limit reached", "", 0) from exc
    except UnicodeDecodeError as exc:
        raise orjson.JSONDecodeError(f"str is not valid UTF-8: {exc.reason}", "", 0) from exc
    except ValueError as exc:
        position = getattr(exc, "pos", 0)
        message = getattr(exc, "msg", str(exc))
        raise orjson.JSONDecodeError(message, "", position) from exc


class StrictJSONRequest(Request):
    """Parses bodies with :func:`parse_json`."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


def count_keys(body: bytes) -> None:
    """Refuse a body with more object keys than any request needs before parsing it: a
    dictionary of 400,000 keys holds the GIL for most of a second while it is built."""
    keys = body.count(b'":')  # every key ends so (a string value may too: an over-count)
    most = KEYS_PER_ENTRY * LIMITS.max_request_entries
    if keys > most:
        raise limit_error(f"keys in the request body ({KEYS_PER_ENTRY} per entry)", most,
                          env_name("max_request_entries"), keys)


def checked_body(body: bytes, model: type[BaseModel] | None) -> Any:
    """The parsed body, once ``model`` has accepted it; a ``RequestValidationError`` (with at
    most :data:`MAX_VALIDATION_ERRORS` errors) otherwise. Runs in a worker thread."""
    count_keys(body)
    try:
        parsed = parse_json(body)
    except orjson.JSONDecodeError as exc:
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body", exc.pos),
                                       "msg": "JSON decode error", "input": {},
                                       "ctx": {"error": exc.msg}}]) from None
    if model is not None:
        try:
            model.model_validate(parsed)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=True, include_input=False)
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in errors[:MAX_VALIDATION_ERRORS]],
                body=parsed) from None
    return parsed


class StrictJSONRoute(APIRoute):
    """An APIRoute whose handlers receive :class:`StrictJSONRequest`, with the JSON body
    parsed and validated in a worker thread first: a large or broken body costs the event
    loop nothing (the loop answers health checks and other clients meanwhile). FastAPI's own
    validation of the body then runs on a body already known to be valid, which is quick."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        field = self.body_field
        annotation = field.field_info.annotation if field is not None else None
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None

        async def strict_handler(request: Request) -> Response:
            strict = StrictJSONRequest(request.scope, request.receive)
            if field is not None and request.method == "POST":
                body = await strict.body()
                if body:
                    strict._json = await run_in_threadpool(checked_body, body, model)
            return await handler(strict)

        return strict_handler
