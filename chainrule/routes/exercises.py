"""POST /api/exercise and /api/grade: questions on any expression, graded (chainrule/teaching)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from chainrule.config import LIMITS
from chainrule.engine.budget import compute_budget
from chainrule.lti.grading import grade_in_launch
from chainrule.lti.sessions import launch_of
from chainrule.responses import FastJSONResponse, StrictJSONRoute
from chainrule.routes.graph import ERRORS
from chainrule.schemas import ExerciseRequest, ExerciseResponse, GradeRequest, GradeResponse, plain_values
from chainrule.teaching.exercises import exercise, grade

router = APIRouter(prefix="/api", tags=["exercises"], route_class=StrictJSONRoute)


@router.post("/exercise", response_model=ExerciseResponse, responses=ERRORS)
def make_exercise(request: ExerciseRequest) -> FastJSONResponse:
    """Turn an expression and its values into questions; the graph comes with the answers blanked."""
    with compute_budget(LIMITS.request_budget_seconds):
        result = exercise(request.expression, plain_values(request.values), request.output,
                          request.ask, request.count, request.seed, request.lang, request.nodes)
    return FastJSONResponse(result)


@router.post("/grade", response_model=GradeResponse, responses=ERRORS)
def grade_answers(request: GradeRequest, http: Request) -> FastJSONResponse:
    """Grade answers to an exercise: right or wrong, the expected number, a hint when wrong.
    In a course launch (LTI), the launch's exercise is graded and its score passed back."""
    sent: dict[str, Any] = request.exercise.model_dump(exclude_none=False)
    sent["values"] = plain_values(request.exercise.values)
    launch = launch_of(http)
    if launch is not None:  # takes its compute turn for the grading only, not the passback
        return FastJSONResponse(grade_in_launch(launch, sent, request.answers, request.rtol))
    with compute_budget(LIMITS.request_budget_seconds):
        return FastJSONResponse(grade(sent, request.answers, request.rtol))
