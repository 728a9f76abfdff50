"""The engine: parsing, graph building, evaluation and differentiation. Knows nothing of HTTP."""

from app.engine.analysis import analyze
from app.engine.autodiff import Program, Run, cached_program, compile_program
from app.engine.values import resolve_values

__all__ = ["Program", "Run", "analyze", "cached_program", "compile_program", "resolve_values"]
