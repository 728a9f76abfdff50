"""A rejected request (FastAPI's validation, or the notebook kernel's) as the contract's error.

The wording comes from :mod:`chainrule.pydantic_errors`; a wrong ``values.<name>`` is judged by
the engine's own reader of values instead, so the HTTP API and the Python API say the same
thing about the same value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chainrule.engine.values import to_value
from chainrule.errors import ChainruleError
from chainrule.pydantic_errors import pydantic_error


def request_error(request: Any, exc: Any) -> ChainruleError:
    """A FastAPI ``RequestValidationError`` on ``request`` as the contract's error.

    A wrong ``values.<name>`` is judged by the engine's own reader of values, so the HTTP API
    and the Python API say the same thing about the same value.
    """
    route = request.scope.get("route")
    field = getattr(route, "body_field", None)
    model = field.field_info.annotation if field is not None else None
    return body_error(exc.errors(), getattr(exc, "body", None), model)


def body_error(errors: Sequence[Any], body: Any, model: Any) -> ChainruleError:
    """Pydantic's ``errors`` on the request ``body`` (validated as ``model``) as the contract's
    error (also the notebook widget's, chainrule/notebook/kernel.py, which has no HTTP request)."""
    errors = list(errors) or [{"loc": (), "type": "invalid"}]
    first = errors[0]
    if first.get("type") == "json_invalid":
        return invalid_json(str((first.get("ctx") or {}).get("error", "")))
    loc = [p for p in first.get("loc", ()) if p != "body"]
    if isinstance(body, Mapping) and len(loc) >= 2 and loc[0] == "values":
        raw = body.get("values")
        if isinstance(raw, Mapping) and loc[1] in raw:
            try:
                to_value(str(loc[1]), raw[loc[1]])
            except ChainruleError as err:
                return err
    return pydantic_error(errors, model, body, code="invalid_request")


def invalid_json(detail: str) -> ChainruleError:
    """``invalid_json`` with a reason a student can act on."""
    if "UTF-8" in detail or "surrogate" in detail:
        reason, say = "encoding", "the request is not valid UTF-8 text"
    elif "ecursion" in detail:
        reason, say = "too_deep", "the request nests lists or objects too deeply"
    else:
        reason, say = "syntax", f"the request body is not valid JSON: {detail}"
    return ChainruleError("invalid_json", say, params={"reason": reason})
