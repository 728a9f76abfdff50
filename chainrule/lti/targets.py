"""What a resource-link launch opens, read from its custom claim: a lesson, an exercise (kept
server-side: the one graded) or an expression. A custom claim that names none opens the app."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from chainrule.config import LIMITS
from chainrule.errors import ChainruleError
from chainrule.lti import claims as c
from chainrule.lti.refusal import Refused
from chainrule.schemas import Exercise, plain_values
from chainrule.teaching.course import lesson
from chainrule.teaching.exercises import grade


@dataclass(frozen=True)
class Target:
    kind: str  # lesson | exercise | expression
    data: dict[str, Any]


def target_of(claims: dict[str, Any]) -> Target | None:
    custom = claims.get(c.CUSTOM)
    if not isinstance(custom, dict):
        return None
    if len(json.dumps(custom, default=str)) > LIMITS.max_lti_custom_chars:
        raise Refused(400, "bad_custom", f"the custom claim is longer than {LIMITS.max_lti_custom_chars} "
                      "characters (CHAINRULE_MAX_LTI_CUSTOM_CHARS)")
    try:
        if "exercise" in custom:
            return Target("exercise", {"exercise": normalized_exercise(_json_value(custom["exercise"]))})
        if "lesson" in custom:
            slug = str(custom["lesson"])
            lesson(slug)  # an unknown lesson is refused here, not on the page
            return Target("lesson", {"lesson": slug})
        if "expression" in custom:
            values = _json_value(custom.get("values", "{}"))
            if not isinstance(custom["expression"], str) or not isinstance(values, dict):
                raise ValueError("expression must be a text and values a JSON object")
            return Target("expression", {"expression": custom["expression"], "values": values})
    except ChainruleError as exc:
        raise Refused(400, "bad_custom", f"the custom claim names something chainrule cannot open: "
                      f"{exc.message}") from exc
    except (ValueError, TypeError, ValidationError) as exc:
        raise Refused(400, "bad_custom", f"the custom claim is not what chainrule expects: "
                      f"{str(exc)[:300]}") from exc
    return None


def _json_value(raw: Any) -> Any:
    return json.loads(raw) if isinstance(raw, str) else raw


def normalized_exercise(raw: Any) -> dict[str, Any]:
    """An exercise as POST /api/grade reads it (so the page's copy compares equal), checked
    to be gradeable."""
    model = Exercise.model_validate(raw)
    exercise = model.model_dump(exclude_none=False)
    exercise["values"] = plain_values(model.values)
    grade(exercise, {})  # raises ChainruleError if it cannot be graded
    return json.loads(json.dumps(exercise))
