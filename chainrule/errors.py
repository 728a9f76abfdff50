"""The one exception family of chainrule: every rejected input becomes a ChainruleError.

The HTTP layer turns it into a 4xx with the contract's error object; the Python API raises it.

The error object
----------------
``{"error": {"code": str, "message": str, "line"?: int, "col"?: int, "params"?: {...}}}``

``message`` is English for people reading the raw API. ``params`` carries the same facts as
data, so a front end can say them in the student's language without parsing English: the
page renders ``code`` + ``params`` and falls back to ``message`` when a code or reason is new
to it. Keys by code (every key optional unless marked):

=================== ==========================================================================
code                params
=================== ==========================================================================
syntax_error        (position in line/col; the message names the token)
unknown_function    ``name``\\*, ``suggestions`` (close known names, best first), ``known``
unknown_name        ``name``\\*, ``suggestions``, ``known`` (the names of the expression)
missing_value       ``names``\\* (every missing input), ``suggestions`` ({missing: given name})
bad_value           ``field``\\* (``values.W1``, ``optimizer.lr``, ``data.x``, ...),
                    ``reason``\\* (see REASONS), and per reason: ``key``/``known``
                    (unknown_key), ``allowed`` (not_allowed), ``min``/``max`` (out_of_range),
                    ``limit`` (too_deep), ``got`` (a short repr of what was sent)
shape_mismatch      (the message names the shapes)
limit_exceeded      ``limit``\\* (the environment variable), ``value``\\* (the limit),
                    ``got`` (what was asked for), ``what`` (e.g. "nodes", "pixels")
invalid_json        ``reason``: ``syntax`` | ``encoding`` (not UTF-8) | ``too_deep``
rate_limited, busy  ``retry_after``\\* (seconds)
invalid_request     same keys as bad_value: a request that breaks the schema (a wrong type, an
                    unknown or missing key, a value outside a list of choices)
=================== ==========================================================================

Schema violations are never reported in pydantic's wording ("values.W1.float: Input should be
a valid number"): ``chainrule/pydantic_errors.py`` turns them into a reason and a dotted ``field``. A
wrong entry of ``values`` is always a ``bad_value`` (the engine's reader of values judges it).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from typing import Any

#: HTTP status for codes that are not a plain 400 Bad Request.
STATUS_BY_CODE = {"rate_limited": 429, "busy": 503}

#: ``bad_value`` reasons and what each means (the front end translates by these names).
REASONS = {
    "unknown_key": "a key the object does not have (params: key, known)",
    "missing_key": "a required key is absent (params: key)",
    "not_a_number": "a number was expected",
    "not_an_integer": "a whole number was expected",
    "not_a_boolean": "true or false was expected",
    "not_a_string": "a text was expected",
    "not_a_list": "a list was expected",
    "not_an_object": "an object ({...}) was expected",
    "boolean": "true/false where a number was expected",
    "string": "a text where a number was expected",
    "non_numeric": "a list with entries that are not numbers",
    "ragged": "a nested list whose rows have different lengths",
    "empty": "an empty tensor",
    "too_deep": "a nested list deeper than a tensor may be (params: limit)",
    "not_allowed": "a value outside the allowed set (params: allowed)",
    "out_of_range": "a number outside its range (params: min, max)",
    "too_large_integer": "an integer beyond 2^53, which would be rounded (params: max)",
    "too_short": "a list with too few entries (params: min)",
    "too_long": "a list with too many entries (params: max)",
    "bad_dimension": "a shape dimension below 1",
    "unsupported_type": "a value of a type chainrule does not take",
    "unknown_name": "names that are not inputs of the expression (params: names, known, suggestions)",
    "duplicate": "a name listed twice (params: names)",
    "conflict": "two settings that exclude each other (params: other)",
    "length_mismatch": "data columns of different lengths (params: lengths)",
    "wrong_shape": "an answer whose shape is not the question's (params: got, shape)",
    "uses_names": "an answer written with names; answers are numbers or arithmetic (params: got)",
    "unreadable": "an answer that is not a number or arithmetic (params: got)",
    "invalid": "anything else (the message says what)",
}


class ChainruleError(Exception):
    """A rejected input: carries the contract's error object (code, message, line?, col?, params?)."""

    def __init__(
        self,
        code: str,
        message: str,
        line: int | None = None,
        col: int | None = None,
        status: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.col = col
        self.status = status or STATUS_BY_CODE.get(code, 400)
        self.params = params

    def to_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.line is not None:
            error["line"] = self.line
            error["col"] = self.col
        if self.params:
            error["params"] = json_safe(self.params)
        return {"error": error}

    def __repr__(self) -> str:
        where = f" at {self.line}:{self.col}" if self.line is not None else ""
        return f"ChainruleError({self.code}{where}: {self.message})"


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float spelled as the contract spells it ("NaN",
    "Infinity", "-Infinity"): an error about a NaN the client sent must still be JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def limit_error(
    what: str, limit: int | float, env: str, got: int | float | None = None
) -> ChainruleError:
    """A limit_exceeded error that names the limit, its value and how to change it."""
    seen = f" (got {got})" if got is not None else ""
    params: dict[str, Any] = {"limit": env, "value": limit, "what": what}
    if got is not None:
        params["got"] = got
    return ChainruleError(
        "limit_exceeded", f"{what} exceeds the limit of {limit}{seen}; set {env} to change it",
        params=params,
    )


def bad_value(field: str, reason: str, message: str, **params: Any) -> ChainruleError:
    """A ``bad_value`` error about ``field`` (dotted path) for one of :data:`REASONS`."""
    return ChainruleError("bad_value", f"{field}: {message}",
                          params={"field": field, "reason": reason, **params})


#: Names people reach for that mean one of ours (other libraries' words): spelling alone
#: would point ``std`` at ``seed``.
SYNONYMS = {"std": "scale", "stddev": "scale", "sigma": "scale", "size": "shape", "dims": "shape",
            "learning_rate": "lr", "epochs": "steps", "iterations": "steps"}


def suggestions(name: str, candidates: Iterable[str], count: int = 3) -> list[str]:
    """Known names close to ``name``, best first: the "Did you mean …?" list. A known synonym
    comes first, then names equal but for case, then close spellings (difflib)."""
    pool = list(candidates)
    meant = [SYNONYMS[name]] if SYNONYMS.get(name) in pool else []
    folded = [c for c in pool if c.lower() == name.lower() and c not in meant]
    close = [c for c in difflib.get_close_matches(name, pool, n=count, cutoff=0.5) if c not in meant + folded]
    return (meant + folded + close)[:count]


def did_you_mean(close: list[str]) -> str:
    """``"; did you mean 'sigmoid'?"`` or nothing."""
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"
