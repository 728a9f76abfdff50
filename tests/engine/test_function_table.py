"""docs/functions.md is the op table written out, and every function is shown somewhere."""

from __future__ import annotations

import re
from pathlib import Path

from chainrule.engine import compile_program
from chainrule.engine.function_table import render
from chainrule.engine.ops import OPS
from chainrule.engine.ops_nn import NN_OPS
from chainrule.examples import EXAMPLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "functions.md"


def test_the_function_table_is_the_op_table() -> None:
    assert DOC.read_text() == render(), (
        "docs/functions.md is out of date: .venv/bin/python -m chainrule.engine.function_table "
        "> docs/functions.md")


def test_every_op_has_one_row() -> None:
    rows = re.findall(r"^\| `(\w+)` \|", DOC.read_text(), re.MULTILINE)
    assert sorted(rows) == sorted(OPS)


def test_every_new_function_is_in_an_example() -> None:
    used = {node.op.name for ex in EXAMPLES
            for node in compile_program(ex["expression"]).graph.nodes if node.op is not None}
    assert set(NN_OPS) <= used, f"functions no example uses: {sorted(set(NN_OPS) - used)}"
    assert set(NN_OPS) <= set(OPS)
