"""The Learn mode's lessons, read from data files (``lessons/``): an instructor adds a lesson
by adding files, never code.

A lesson ``NN-slug`` is three files: ``NN-slug.json`` holds what does not depend on the
language (each step's live view and the numbers the text states, the "try it" exercise),
``NN-slug.en.json`` and ``NN-slug.vi.json`` the words (title, summary, each step's
paragraphs, the "try it" instruction). ``NN`` orders the path; ``slug`` is the lesson's id
and URL (``/learn/slug``). A view is a chainrule page (``embed`` or ``app``) and its state,
by the page's property names (static/js/state.js), so any shared link can become a step;
``focus`` optionally names the element of that page to bring into view (``probe-card``).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from chainrule.errors import ChainruleError
from chainrule.languages import LANGUAGES, checked_language

LESSON_DIR = Path(__file__).resolve().parent / "lessons"
#: The pages a step can show: the embeddable graph view, or the whole app (training panel).
PAGES = ("embed", "app")
#: Numbers a step may promise (checked by tests against the API): the output's value, input
#: gradients, the first losses of a training run, the params after it.
EXPECTATIONS = ("value", "gradients", "losses", "final")
_NAME = re.compile(r"^(\d\d)-([a-z0-9-]+)\.json$")


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def course() -> tuple[dict[str, Any], ...]:
    """Every lesson, in path order, each with its texts in every language (read once)."""
    out = []
    for path in sorted(LESSON_DIR.glob("*.json")):
        found = _NAME.match(path.name)
        if not found:
            continue  # a language file
        number, slug = int(found.group(1)), found.group(2)
        lesson = {"id": slug, "number": number, **_read(path), "texts": {}}
        for lang in LANGUAGES:
            lesson["texts"][lang] = _read(path.with_name(f"{found.group(1)}-{slug}.{lang}.json"))
        check_lesson(lesson)
        out.append(lesson)
    return tuple(out)


def check_lesson(lesson: dict[str, Any]) -> None:
    """Refuse a lesson whose files disagree (a step without words, an unknown page, ...)."""
    where = f"lesson {lesson['id']}"
    steps = lesson.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ValueError(f"{where}: needs a list of steps")
    for i, step in enumerate(steps):
        view = step.get("view", {})
        if view.get("page") not in PAGES or not isinstance(view.get("state"), dict):
            raise ValueError(f"{where}, step {i + 1}: a view needs a page ({PAGES}) and a state")
        unknown = set(step.get("expect", {})) - set(EXPECTATIONS)
        if unknown:
            raise ValueError(f"{where}, step {i + 1}: unknown expectation {sorted(unknown)}")
    for lang, text in lesson["texts"].items():
        if len(text.get("steps", [])) != len(steps):
            raise ValueError(f"{where} ({lang}): {len(text.get('steps', []))} steps of text for "
                             f"{len(steps)} steps")
        if not all(text.get(key) for key in ("title", "summary", "try")):
            raise ValueError(f"{where} ({lang}): needs a title, a summary and a try-it text")


def lesson_index(lang: str = "en") -> list[dict[str, Any]]:
    """The path: each lesson's id, number, title and summary in ``lang``."""
    lang = checked_language(lang)
    return [{"id": lesson["id"], "number": lesson["number"], "title": lesson["texts"][lang]["title"],
             "summary": lesson["texts"][lang]["summary"]} for lesson in course()]


def lesson(lesson_id: str, lang: str = "en") -> dict[str, Any]:
    """One lesson in ``lang``: its steps (words and view), the try-it exercise, its neighbours."""
    ids = [item["id"] for item in course()]
    if lesson_id not in ids:
        raise ChainruleError("not_found", f"no lesson {lesson_id!r}; the lessons are "
                                          f"{', '.join(ids)}", status=404,
                             params={"name": lesson_id, "known": ids})
    at = ids.index(lesson_id)
    data = course()[at]
    text = data["texts"][checked_language(lang)]
    return {
        "id": data["id"], "number": data["number"], "title": text["title"],
        "summary": text["summary"],
        "steps": [{**step, "text": words["text"]}
                  for step, words in zip(data["steps"], text["steps"], strict=True)],
        "try": {"text": text["try"], "exercise": data["try"]},
        "previous": ids[at - 1] if at > 0 else None,
        "next": ids[at + 1] if at + 1 < len(ids) else None,
    }
