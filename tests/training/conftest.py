"""Training tests: use the real engine when it is there, else the stand-in."""

from __future__ import annotations

import app.engine

if not hasattr(app.engine, "compile_program"):  # the engine has not landed yet
    import standin_engine

    app.engine.compile_program = standin_engine.compile_program  # type: ignore[attr-defined]
    app.engine.resolve_values = standin_engine.resolve_values  # type: ignore[attr-defined]
