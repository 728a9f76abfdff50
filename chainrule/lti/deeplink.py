"""Deep Linking 2.0: the picker's choices and the signed LtiDeepLinkingResponse it returns."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from chainrule.errors import ChainruleError
from chainrule.examples import EXAMPLES
from chainrule.lti import claims as c
from chainrule.lti.keys import sign
from chainrule.lti.sessions import LaunchSession
from chainrule.lti.targets import normalized_exercise
from chainrule.teaching.course import lesson_index
from chainrule.teaching.exercises import exercise

#: The examples offered as graded exercises: scalar ones, whose answers are single numbers.
EXERCISE_EXAMPLES = ("worked", "shared")


def choices(lang: str) -> dict[str, Any]:
    """What the picker lists: the lessons, the examples as exercises, a typed expression."""
    examples = [e for e in EXAMPLES if e["id"] in EXERCISE_EXAMPLES]
    return {"lessons": lesson_index(lang), "examples": examples, "worked": EXAMPLES[0]}


def content_item(choice: str, expression: str, values_text: str, lang: str, launch_url: str,
                 titles: dict[str, str]) -> dict[str, Any]:
    """The ltiResourceLink item for the picker's ``choice``: ``lesson:<id>``,
    ``example:<id>`` (graded), ``exercise`` (graded, on the typed expression) or
    ``expression`` (the typed expression, to explore)."""
    kind, _, name = choice.partition(":")
    if kind == "lesson":
        found = [item for item in lesson_index(lang) if item["id"] == name]
        if not found:
            raise ChainruleError("bad_value", f"no lesson {name!r}", params={"field": "choice"})
        return _link(found[0]["title"], launch_url, {"lesson": name})
    if kind == "example":
        found = [e for e in EXAMPLES if e["id"] == name and e["id"] in EXERCISE_EXAMPLES]
        if not found:
            raise ChainruleError("bad_value", f"no example {name!r} to grade", params={"field": "choice"})
        return _graded(found[0]["title"], found[0]["expression"], found[0]["values"], lang, launch_url)
    values = _values(values_text)
    if kind == "exercise":
        return _graded(titles["exercise_title"].format(expression=expression[:60]), expression, values,
                       lang, launch_url)
    if kind == "expression":
        return _link(expression[:80], launch_url, {"expression": expression, "values": json.dumps(values)})
    raise ChainruleError("bad_value", "choose a lesson, an exercise or an expression",
                         params={"field": "choice"})


def _values(text: str) -> dict[str, Any]:
    try:
        values = json.loads(text or "{}")
    except ValueError as exc:
        raise ChainruleError("bad_value", "the values must be a JSON object such as {\"x\": 2}",
                             params={"field": "values"}) from exc
    if not isinstance(values, dict):
        raise ChainruleError("bad_value", "the values must be a JSON object such as {\"x\": 2}",
                             params={"field": "values"})
    return values


def _graded(title: str, expression: str, values: dict[str, Any], lang: str,
            launch_url: str) -> dict[str, Any]:
    made = exercise(expression, values, ask=["grad"], lang=lang)["exercise"]
    item = _link(title, launch_url, {"exercise": json.dumps(normalized_exercise(made))})
    item["lineItem"] = {"scoreMaximum": 1, "label": title[:100]}
    return item


def _link(title: str, launch_url: str, custom: dict[str, str]) -> dict[str, Any]:
    return {"type": "ltiResourceLink", "title": title[:200], "url": launch_url, "custom": custom}


def response_jwt(launch: LaunchSession, items: list[dict[str, Any]]) -> str:
    """The signed LtiDeepLinkingResponse for the platform's deep_link_return_url."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": launch.client_id, "aud": launch.issuer, "azp": launch.client_id,
        "iat": now, "exp": now + 600, "nonce": uuid.uuid4().hex,
        c.DEPLOYMENT_ID: launch.deployment_id, c.MESSAGE_TYPE: c.DEEP_LINKING_RESPONSE,
        c.VERSION: "1.3.0", c.DL_CONTENT_ITEMS: items,
    }
    settings = launch.deep_linking or {}
    if "data" in settings:
        claims[c.DL_DATA] = settings["data"]
    return sign(claims)
