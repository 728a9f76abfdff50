"""The analysis a learner sees: the engine's, plus gradient health and, on request, a classic
backprop mistake computed for real (see :mod:`chainrule.teaching.diagnostics` and
:mod:`chainrule.teaching.mistakes`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chainrule.engine.analysis import analyze as analyze_graph
from chainrule.engine.autodiff import Program, Run
from chainrule.errors import bad_value
from chainrule.languages import checked_language
from chainrule.programs import PROGRAMS
from chainrule.teaching.diagnostics import diagnose
from chainrule.teaching.mistakes import GRAPH_MISTAKES, apply_mistake


def analyze(expression: str, values: Mapping[str, Any], output: str | None = None,
            detail: str = "full", check: bool = False, *, lang: str = "en",
            mistake: str | None = None, arrays: str = "list",
            max_numbers: int | None = None, full: Sequence[str] = ()) -> dict[str, Any]:
    """:func:`chainrule.engine.analysis.analyze` with ``diagnostics`` (of the true gradients) and,
    with a ``mistake``, the buggy gradients beside ``correct_gradients`` (see docs/api.md)."""
    checked_language(lang)
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

    return analyze_graph(expression, values, output, detail, check, arrays=arrays, extend=teach,
                         max_numbers=max_numbers, programs=PROGRAMS, full=full)
