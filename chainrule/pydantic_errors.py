"""pydantic's validation errors in the student's terms: a ``bad_value`` naming the field.

This knows pydantic and the error codes, nothing of HTTP or of the engine, so the engine's
reader of values and the request validation above it both use it.

pydantic says "values.W1.float: Input should be a valid number" for an initializer with a
typo: it reports every member of a union and names them by type. Here the failing member is
chosen by what was actually sent (an object -> the model, a list -> the list type, ...), the
type tags are dropped from the path, and the error type becomes one of ``chainrule.errors.REASONS``
with its parameters (the unknown key and the known ones, the allowed values, the range).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from chainrule.errors import ChainruleError, bad_value, did_you_mean, suggestions

_MISSING = object()
#: Where FastAPI found a field (the first element of an error's ``loc``): not part of its name.
WHERE = ("body", "path", "query", "header", "cookie")

#: pydantic error type -> (reason, what to say)
SIMPLE = {
    "float_type": ("not_a_number", "give a number"),
    "float_parsing": ("not_a_number", "give a number"),
    "finite_number": ("not_a_number", "give a finite number"),
    "int_type": ("not_an_integer", "give a whole number"),
    "int_parsing": ("not_an_integer", "give a whole number"),
    "int_from_float": ("not_an_integer", "give a whole number"),
    "int_parsing_size": ("too_large_integer", "the number is far too large"),
    "bool_type": ("not_a_boolean", "give true or false"),
    "bool_parsing": ("not_a_boolean", "give true or false"),
    "string_type": ("not_a_string", "give a text"),
    "list_type": ("not_a_list", "give a list"),
    "tuple_type": ("not_a_list", "give a list"),
    "dict_type": ("not_an_object", "give an object {...}"),
    "model_type": ("not_an_object", "give an object {...}"),
    "model_attributes_type": ("not_an_object", "give an object {...}"),
}
BOUNDS = {"ge": ("min", "at least"), "gt": ("min", "more than"),
          "le": ("max", "at most"), "lt": ("max", "less than")}


def pydantic_error(errors: Sequence[Mapping[str, Any]], model: Any, raw: Any,
                   prefix: str = "", code: str = "bad_value") -> ChainruleError:
    """The first of pydantic's ``errors`` (of ``model`` validating ``raw``) as a ChainruleError."""
    error = _pick(errors, raw)
    path, annotations = _real_path(error["loc"], model, raw)
    field = ".".join([prefix, *map(str, path)] if prefix else map(str, path)) or "request"
    found = translate(error, field, annotations[-1],
                      annotations[-2] if len(annotations) > 1 else None)
    found.code = code
    return found


def translate(error: Mapping[str, Any], field: str, annotation: Any,
              parent: Any = None) -> ChainruleError:
    """One pydantic error about ``field`` (of type ``annotation``, inside a ``parent``) as a
    ``bad_value``."""
    kind = str(error.get("type", ""))
    ctx = dict(error.get("ctx") or {})
    if kind == "extra_forbidden":
        where, _, key = field.rpartition(".")
        known = _field_names(parent)
        close = suggestions(key, known, 1)
        return bad_value(where or "request", "unknown_key", f"unknown key {key!r}; known: "
                         f"{', '.join(known)}{did_you_mean(close)}", key=key, known=known,
                         suggestions=close)
    if kind == "missing":
        where, _, key = field.rpartition(".")
        return bad_value(where or "request", "missing_key", f"the key {key!r} is required",
                         key=key)
    if kind in SIMPLE:
        reason, say = SIMPLE[kind]
        return bad_value(field, reason, say)
    if kind in ("literal_error", "enum"):
        allowed = _literal_values(annotation) or [ctx.get("expected", "")]
        return bad_value(field, "not_allowed", "choose one of " + ", ".join(map(str, allowed)),
                         allowed=allowed)
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound, (name, words) = next((v, BOUNDS[k]) for k, v in ctx.items() if k in BOUNDS)
        return bad_value(field, "out_of_range", f"must be {words} {bound}", **{name: bound})
    if kind in ("too_short", "too_long"):
        limit = ctx.get("min_length" if kind == "too_short" else "max_length")
        words = "at least" if kind == "too_short" else "at most"
        return bad_value(field, kind, f"must have {words} {limit} entries",
                         **{"min" if kind == "too_short" else "max": limit})
    return bad_value(field, "invalid", "this value is not accepted here")


def _pick(errors: Sequence[Mapping[str, Any]], raw: Any) -> Mapping[str, Any]:
    """The error of the union member that matches what was sent, else the first one."""
    for error in errors:
        if _consistent(error["loc"], raw):
            return error
    return errors[0]


def _consistent(loc: Sequence[Any], raw: Any) -> bool:
    """Whether every type tag in ``loc`` names the kind of value found at that point."""
    current = raw
    for k, part in enumerate(loc):
        if k == 0 and part in WHERE:
            continue
        child = _child(current, part)
        if child is not _MISSING:
            current = child
            continue
        if isinstance(part, str) and _is_tag(part):
            if not _tag_matches(part, current):
                return False
            continue
        current = _MISSING
    return True


def _real_path(loc: Sequence[Any], model: Any, raw: Any) -> tuple[list[Any], list[Any]]:
    """``loc`` without ``body`` and union tags, and the annotation at each step (root first)."""
    path: list[Any] = []
    current, annotations = raw, [model]
    for k, part in enumerate(loc):
        if k == 0 and part in WHERE:
            continue
        child = _child(current, part)
        if child is _MISSING and isinstance(part, str) and _is_tag(part):
            annotations[-1] = _member(annotations[-1], part) or annotations[-1]
            continue
        path.append(part)
        current = child
        annotations.append(_annotation_of(annotations[-1], part))
    return path, annotations


def _child(value: Any, part: Any) -> Any:
    if isinstance(value, Mapping) and part in value:
        return value[part]
    if isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
        return value[part]
    return _MISSING


def _is_tag(part: str) -> bool:
    return (part[:1].isupper() or part in ("float", "int", "str", "bool", "none")
            or part.startswith(("list[", "dict[", "tuple[", "literal[", "function-")))


def _tag_matches(tag: str, value: Any) -> bool:
    if value is _MISSING:
        return True
    if isinstance(value, Mapping):
        return tag[:1].isupper() or tag.startswith("dict[")
    if isinstance(value, list):
        return tag.startswith(("list[", "tuple["))
    if isinstance(value, bool):
        return tag == "bool"
    if isinstance(value, str):
        return tag in ("str",) or tag.startswith("literal[")
    if isinstance(value, int | float):
        return tag in ("float", "int")
    return True


def _members(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(annotation) for m in _members(a)]
    if typing.get_origin(annotation) is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    return [annotation]


def _member(annotation: Any, tag: str) -> Any:
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel) and member.__name__ == tag:
            return member
    return None


def _annotation_of(annotation: Any, part: Any) -> Any:
    """The type of ``part`` inside a value of type ``annotation`` (None when unknown)."""
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            info = member.model_fields.get(str(part))
            if info is not None:
                return info.annotation
        origin, args = typing.get_origin(member), typing.get_args(member)
        if origin is dict and len(args) == 2:
            return args[1]
        if origin in (list, tuple) and args:
            return args[0]
    return None


def _field_names(annotation: Any) -> list[str]:
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return list(member.model_fields)
    return []


def _literal_values(annotation: Any) -> list[Any]:
    found: list[Any] = []
    for member in _members(annotation):
        if typing.get_origin(member) is typing.Literal:
            found.extend(typing.get_args(member))
    return found
