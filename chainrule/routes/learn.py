"""The Learn mode: GET /api/lessons (the path), /api/lessons/{id}, and the pages /learn, /learn/{id}."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from chainrule.languages import Language
from chainrule.routes.graph import ERRORS
from chainrule.routes.pages import templates
from chainrule.schemas import Lesson, LessonSummary
from chainrule.teaching.course import lesson, lesson_index

router = APIRouter(tags=["learn"])


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
    return templates.TemplateResponse(request, "learn.html", {"lesson_id": "",
                                                              "embed": _embed(request)})


@router.get("/learn/{lesson_id}", response_class=HTMLResponse, include_in_schema=False)
def get_learn_lesson(request: Request, lesson_id: str) -> HTMLResponse:
    """One lesson: its text beside the live view it drives (``?step=N``, ``?embed=1``)."""
    lesson(lesson_id)  # an unknown lesson is a 404 naming the known ones
    return templates.TemplateResponse(request, "learn.html", {"lesson_id": lesson_id,
                                                              "embed": _embed(request)})


def _embed(request: Request) -> bool:
    return request.query_params.get("embed", "") in ("1", "true")
