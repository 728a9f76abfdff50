"""The engine: parsing, graph building, evaluation and differentiation. Knows nothing of HTTP."""

from chainrule.engine.native import engine_kind

#: "compiled" (mypyc, see setup.py) or "python"; checked before any compiled module loads.
ENGINE_KIND = engine_kind()

from chainrule.engine import ops_nn  # noqa: E402, F401  (registers the nn functions in the op table)
from chainrule.engine.analysis import analyze  # noqa: E402
from chainrule.engine.autodiff import Program, Run, compile_program  # noqa: E402
from chainrule.engine.values import resolve_values  # noqa: E402

__all__ = ["ENGINE_KIND", "Program", "Run", "analyze", "compile_program",
           "resolve_values"]
