"""The compiled programs a process keeps (one :class:`ProgramCache` per worker), and the
entry points that use it: the HTTP routes and the Python API analyse and train through here,
so the page's programs are compiled once. The engine itself keeps no state between calls.
"""

from __future__ import annotations

from chainrule.engine.autodiff import Program
from chainrule.engine.programs import ProgramCache

#: This process's compiled programs.
PROGRAMS = ProgramCache()


def cached_program(expression: str, output: str | None = None) -> Program:
    """The compiled program of ``expression`` (with this ``output``), from this process's cache."""
    return PROGRAMS.get(expression, output)
