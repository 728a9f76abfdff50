"""The analysis a learner sees: the engine's, plus gradient health and, on request, a classic
backprop mistake computed for real (see :mod:`chainrule.teaching.diagnostics` and
:mod:`chainrule.teaching.mistakes`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chainrule.engine.analysis import analyze as analyze_graph
from chainrule.engine.autodiff import Program, Run
from chainrule.errors import bad_value
from chainrule.languages import checked_language
from chainrule.programs import PROGRAMS
from chainrule.teaching.diagnostics import diagnose
from chainrule.teaching.mistakes import GRAPH_MISTAKES, apply_mistake


@dataclass(kw_only=True, slots=True)
class AnalysisSpec:
    """One analysis request: the fields of ``POST /api/graph`` by the same names and defaults,
    and how the caller wants the result encoded."""

    expression: str
    values: Mapping[str, Any]
    output: str | None = None
    detail: str = "full"  # "full", "summary" or "auto"
    check: bool = False  # add central finite-difference gradients
    lang: str = "en"  # the language of diagnostics and mistake explanations
    mistake: str | None = None  # a classic backprop mistake to compute (GRAPH_MISTAKES)
    full: Sequence[str] = ()  # node ids sent complete whatever ``detail`` says
    arrays: str = "list"  # tensors as nested lists, or "numpy" (orjson fragments, the HTTP path)
    max_numbers: int | None = None  # numbers the result may hold (the HTTP API's bound)


def analyze(expression: str, values: Mapping[str, Any], output: str | None = None,
            **options: Any) -> dict[str, Any]:
    """The Python API of ``POST /api/graph``: ``options`` are the other fields of
    :class:`AnalysisSpec` (``detail``, ``check``, ``lang``, ``mistake``, ``full``, ...)."""
    return run_analysis(AnalysisSpec(expression=expression, values=values, output=output, **options))


def run_analysis(request: AnalysisSpec) -> dict[str, Any]:
    """:func:`chainrule.engine.analysis.analyze` with ``diagnostics`` (of the true gradients) and,
    with a ``mistake``, the buggy gradients beside ``correct_gradients`` (see docs/api.md)."""
    lang, mistake = checked_language(request.lang), request.mistake
    if mistake is not None and mistake not in GRAPH_MISTAKES:
        raise bad_value("mistake", "not_allowed", f"must be one of {', '.join(GRAPH_MISTAKES)}, "
                                                  f"got {mistake!r}", allowed=list(GRAPH_MISTAKES))

    def teach(program: Program, run: Run, mode: str) -> dict[str, Any]:
        diagnostics, warnings = diagnose(program, run, lang)
        run.warnings.extend(warnings)
        extra: dict[str, Any] = {"diagnostics": diagnostics}
        if mistake is not None:
            extra.update(apply_mistake(program, run, mistake, mode, lang))
        return extra

    return analyze_graph(request.expression, request.values, request.output, request.detail,
                         request.check, arrays=request.arrays, extend=teach,
                         max_numbers=request.max_numbers, programs=PROGRAMS, full=request.full)
