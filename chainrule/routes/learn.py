"""The Learn mode: GET /api/lessons (the path), /api/lessons/{id}, and the pages /learn, /learn/{id}."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import TypeAdapter

from chainrule.languages import LANGUAGES, Language, language_of_locale
from chainrule.routes.graph import ERRORS
from chainrule.routes.pages import module_preloads, templates
from chainrule.schemas import Lesson, LessonSummary
from chainrule.teaching.course import lesson, lesson_index

router = APIRouter(tags=["learn"])
_PATH = TypeAdapter(list[LessonSummary])
#: Every module of the Learn page, fetched at once (not one import level at a time), those
#: that start the live view (first-view.js) first.
FIRST_VIEW_MODULES = module_preloads(entry="js/learn/first-view.js")
LEARN_MODULES = FIRST_VIEW_MODULES + [url for url in module_preloads(entry="js/learn/learn.js")
                                      if url not in FIRST_VIEW_MODULES]


@router.get("/api/lessons", response_model=list[LessonSummary])
def list_lessons(lang: Language = "en") -> list[dict[str, Any]]:
    """The lessons in path order: id, number, title and summary."""
    return lesson_index(lang)


@router.get("/api/lessons/{lesson_id}", response_model=Lesson, responses=ERRORS)
def get_lesson(lesson_id: str, lang: Language = "en") -> dict[str, Any]:
    """One lesson: each step's words and live view, the try-it exercise, its neighbours."""
    return lesson(lesson_id, lang)


@router.get("/learn", response_class=HTMLResponse, include_in_schema=False)
def get_learn(request: Request) -> HTMLResponse:
    """The path of lessons, with the progress kept in this browser."""
    return _page(request, "")


@router.get("/learn/{lesson_id}", response_class=HTMLResponse, include_in_schema=False)
def get_learn_lesson(request: Request, lesson_id: str) -> HTMLResponse:
    """One lesson: its text beside the live view it drives (``?step=N``, ``?embed=1``)."""
    lesson(lesson_id)  # an unknown lesson is a 404 naming the known ones
    return _page(request, lesson_id)


def _page(request: Request, lesson_id: str) -> HTMLResponse:
    return templates.TemplateResponse(request, "learn.html", {
        "lesson_id": lesson_id, "embed": _embed(request), "learn_modules": LEARN_MODULES,
        "learn_data": learn_data(lesson_id, _language(request))})


def learn_data(lesson_id: str, lang: str) -> dict[str, Any]:
    """What the page would fetch first (the path, the lesson), carried in the page itself: the
    live view (the first graph) then starts without waiting for two more round trips."""
    path = _PATH.validate_python(lesson_index(lang))
    shown = Lesson.model_validate(lesson(lesson_id, lang)) if lesson_id else None
    # as the API answers them (its models, their aliases)
    return {"lang": lang, "path": _PATH.dump_python(path, mode="json", by_alias=True),
            "lesson": shown.model_dump(mode="json", by_alias=True) if shown else None}


def _language(request: Request) -> str:
    """The page's language as learn.js picks it when the link names none and nothing is saved
    (the browser's language); learn.js fetches the lesson again when it picks another."""
    asked = request.query_params.get("lang", "")
    if asked in LANGUAGES:
        return asked
    return language_of_locale(request.headers.get("accept-language", ""))


def _embed(request: Request) -> bool:
    return request.query_params.get("embed", "") in ("1", "true")
