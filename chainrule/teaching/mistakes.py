"""The classic backprop bugs, computed for real so a student can see what they do.

- ``overwrite``: each consumer SETS its argument's gradient (``x.grad = ...``) instead of adding
  to it (``x.grad += ...``): a node used twice keeps only the last path's share.
- ``early_visit``: a depth-first walk from the output that pushes the consumer's CURRENT
  gradient into an argument and at once walks on from it, instead of waiting, in a reverse
  topological order, until every consumer has added its share: a shared node sends partial
  gradients on more than once.

Both rerun the backward pass of a finished run with the bug; the true run is the reference.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, Final

import numpy as np

from chainrule.config import LIMITS, env_name
from chainrule.engine.autodiff import Program, Run
from chainrule.engine.budget import check_budget
from chainrule.engine.encode import encode
from chainrule.engine.ops import ARRAY, unbroadcast
from chainrule.errors import limit_error

GRAPH_MISTAKES: Final = ("overwrite", "early_visit")
TRAIN_MISTAKES: Final = ("no_zero_grad",)
MISTAKES_FILE: Final = Path(__file__).parent / "messages" / "mistakes.json"


@cache
def explanations() -> dict[str, dict[str, Any]]:
    """mistake -> the buggy and the right line of code, and per language a title and a paragraph."""
    loaded: dict[str, dict[str, Any]] = json.loads(MISTAKES_FILE.read_text(encoding="utf-8"))
    return loaded


def explanation(mistake: str, lang: str) -> dict[str, str]:
    """What the response's ``mistake_explanation`` holds, in ``lang``."""
    entry = explanations()[mistake]
    words = entry.get(lang, entry["en"])
    return {"name": mistake, "title": words["title"], "explanation": words["explanation"],
            "buggy_line": entry["buggy_line"], "right_line": entry["right_line"]}


def apply_mistake(program: Program, run: Run, mistake: str, mode: str, lang: str) -> dict[str, Any]:
    """Replace the run's gradients by the buggy ones; return the truth beside them."""
    truth = list(run.grads)
    if mistake == "overwrite":
        grads, edge_grad = _overwrite(program, run)
    else:
        grads, edge_grad = _early_visit(program, run)
    run.grads, run.edge_grad = grads, edge_grad
    correct = run.input_grads
    run.input_grads = {name: grads[program.graph.inputs[name]] for name in correct}
    wrong = [i for i in range(len(grads)) if not _same(grads[i], truth[i])]
    plain = "list" if mode == "numpy" else mode
    return {
        "correct_gradients": {name: encode(g, plain) for name, g in correct.items()},
        "wrong_nodes": [f"n{i}" for i in wrong],
        "correct_node_grads": {f"n{i}": encode(truth[i], plain) for i in wrong},
        "mistake_explanation": explanation(mistake, lang),
    }


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return bool(np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))


def _contribution(program: Program, run: Run, i: int, k: int, g: Any) -> Any:
    """What node ``i`` sends its ``k``-th argument when its gradient is ``g``: g times the local
    derivative (elementwise ops), or the op's vector-Jacobian product."""
    node = program.graph.nodes[i]
    op = node.op
    assert op is not None
    ans = run.values[i]
    args = [run.values[a] for a in node.args]
    with np.errstate(all="ignore"):
        if op.local is None:
            out = op.vjp[k](np.asarray(g), ans, *args, **node.kwargs)  # type: ignore[index]
        else:
            local = op.local[k](ARRAY, np.float64(ans), *(np.float64(a) if type(a) is float else a
                                                          for a in args))
            out = unbroadcast(np.multiply(g, local), np.shape(args[k]))
    return float(out) if type(args[k]) is float else np.asarray(out, dtype=np.float64)


def _start(program: Program, run: Run) -> tuple[list[Any], list[Any]]:
    """Gradients with the output's seed and nothing yet on the output's path; the edges as
    they were (edges off the path carry no gradient either way)."""
    grads = list(run.grads)
    edge_grad = list(run.edge_grad)
    nodes = program.graph.nodes
    for i in program.ancestors:
        if grads[i] is not None:
            grads[i] = 0.0 if type(run.values[i]) is float else np.zeros(np.shape(run.values[i]))
        first = program.edge_start[i]
        for k in range(len(nodes[i].args)):
            if edge_grad[first + k] is not None:
                edge_grad[first + k] = None
    out = program.graph.output
    grads[out] = 1.0 if type(run.values[out]) is float else np.ones(np.shape(run.values[out]))
    return grads, edge_grad


def _overwrite(program: Program, run: Run) -> tuple[list[Any], list[Any]]:
    """Reverse topological order, but ``arg.grad = contribution`` (the last consumer wins)."""
    grads, edge_grad = _start(program, run)
    nodes, needs = program.graph.nodes, program.needs_grad
    for i in program.ancestors:
        if not needs[i]:
            continue
        first = program.edge_start[i]
        for k, src in enumerate(nodes[i].args):
            if needs[src]:
                grads[src] = edge_grad[first + k] = _contribution(program, run, i, k, grads[i])
    return grads, edge_grad


def _early_visit(program: Program, run: Run) -> tuple[list[Any], list[Any]]:
    """``arg.grad += node.grad * local; visit(arg)`` depth first from the output, as a loop
    (a deep graph would overflow a recursive walk). A node reached by n paths is walked n
    times, so the number of edge visits is capped."""
    grads, edge_grad = _start(program, run)
    nodes, needs = program.graph.nodes, program.needs_grad
    limit = LIMITS.max_mistake_visits
    visits = 0
    stack = [[program.graph.output, 0]]  # [node, next argument]
    while stack:
        frame = stack[-1]
        i, k = frame
        args = nodes[i].args
        if k >= len(args):
            stack.pop()
            continue
        frame[1] = k + 1
        src = args[k]
        if not needs[src]:
            continue
        visits += 1
        if visits > limit:
            raise limit_error("the early_visit walk's edge visits", limit, env_name("max_mistake_visits"))
        if visits & 1023 == 0:
            check_budget()
        contribution = _contribution(program, run, i, k, grads[i])
        e = program.edge_start[i] + k
        edge_grad[e] = contribution if edge_grad[e] is None else edge_grad[e] + contribution
        grads[src] = grads[src] + contribution
        stack.append([src, 0])
    return grads, edge_grad

