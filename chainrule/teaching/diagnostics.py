"""Gradient health: where a gradient starts to die, saturate, explode or turn into NaN.

Each rule reads one finished :class:`~chainrule.engine.autodiff.Run` (values and gradients) and
flags the node where the trouble starts, with a message code and its parameters; the words
are data (``messages/diagnostics.json``), in English and Vietnamese.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, Final

import numpy as np

from chainrule.config import LIMITS, env_name
from chainrule.engine.autodiff import Program, Run
from chainrule.engine.graph import INPUT, Node
from chainrule.engine.notices import Notice
from chainrule.engine.ops import ARRAY, SCALAR, Op
from chainrule.engine.ops_nn import pool_window_tie
from chainrule.languages import LANGUAGES

KINDS: Final = ("nonfinite_origin", "vanishing", "exploding", "saturated", "dead_relu", "kink")
SEVERITY: Final = {"nonfinite_origin": "error", "exploding": "error", "vanishing": "warning",
                   "saturated": "warning", "dead_relu": "warning", "kink": "info"}

VANISHING_RATIO: Final = 1e-6  # an input's |grad| below this times the largest input |grad|
# ... but above this: below it a gradient is rounding noise around 0 (a sum that cancels, such
# as a shift of all logits under cross-entropy: torch gets 0 where numpy's order gets 1e-15)
ROUNDING_RATIO: Final = 1e-13
EXPLODING_GRAD: Final = 1e6  # an input's |grad| above this
SATURATED_LOCAL: Final = 0.01  # a sigmoid/tanh local gradient below this
SMALLEST_LOCALS_NAMED: Final = 3  # edges a vanishing message names
PATH_SEARCHES: Final = 10  # vanishing inputs whose path is searched (each search walks the graph)

#: Which ops are watched, and how, is the op table's to say: ``Op.saturates`` (a squashing
#: activation), ``Op.kink`` (where it is not differentiable), ``Op.restricted_domain``.
MESSAGES_FILE: Final = Path(__file__).parent / "messages" / "diagnostics.json"


@cache
def messages() -> dict[str, dict[str, str]]:
    """kind (or message code) -> language -> template with ``{named}`` parameters."""
    loaded: dict[str, dict[str, str]] = json.loads(MESSAGES_FILE.read_text(encoding="utf-8"))
    return loaded


def message(code: str, lang: str, params: dict[str, Any]) -> str:
    """A message in ``lang`` (English when there is no such language)."""
    templates = messages()[code]
    return templates.get(lang, templates["en"]).format(**params)


def diagnose(program: Program, run: Run, lang: str = "en") -> tuple[list[dict[str, Any]], list[str]]:
    """The health flags of a run (at most LIMITS.max_diagnostics), and warnings about any cut."""
    found: list[tuple[int, str, dict[str, Any]]] = []
    found.extend(_nonfinite_origin(program, run))
    found.extend(_input_gradients(program, run))
    found.extend(_watched_ops(program, run))
    warnings: list[str] = []
    if len(found) > LIMITS.max_diagnostics:
        warnings.append(Notice("diagnostics_cut", count=len(found), limit=LIMITS.max_diagnostics,
                               setting=env_name("max_diagnostics")))
        found = found[:LIMITS.max_diagnostics]
    return [_flag(i, kind, params, lang) for i, kind, params in found], warnings


def _flag(index: int, kind: str, params: dict[str, Any], lang: str) -> dict[str, Any]:
    """One diagnostic as the API gives it: the message says what happened, then what to try."""
    code = params.pop("code", kind)
    text = message(code, lang, params)
    suggestion = params.get("suggestion")
    if suggestion is not None:
        text += " " + message(f"suggest_{suggestion}", lang, params)
    return {"node": f"n{index}", "kind": kind, "severity": SEVERITY[kind], "message": text,
            "code": code, "params": params}


# ---------------------------------------------------------------- non-finite numbers


def _finite(v: Any) -> bool:
    if v is None:
        return True
    if type(v) is float:
        return v - v == 0.0
    return bool(np.isfinite(v).all())


def _first_bad(v: Any) -> str:
    """The first non-finite number of a value, as the API writes it."""
    if type(v) is float:
        x = v
    else:
        flat = np.asarray(v).reshape(-1)
        x = float(flat[~np.isfinite(flat)][0])
    return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")


def _nonfinite(items: list[Any]) -> list[int]:
    """The indices of the non-finite values (or gradients) of a run."""
    # inf - inf and NaN - NaN are NaN, which is != 0: one C-level test per float
    bad = [i for i, v in enumerate(items) if type(v) is float and v - v != 0.0]
    if any(v is not None and type(v) is not float for v in items):  # tensors: test them too
        bad = [i for i, v in enumerate(items) if not _finite(v)]
    return bad


def _nonfinite_origin(program: Program, run: Run) -> list[tuple[int, str, dict[str, Any]]]:
    """The first node (forward order) whose value is non-finite while its arguments' are finite;
    when every value is finite, the first node (backward order) that sends a non-finite
    gradient to an argument while its own gradient is finite."""
    nodes, values, grads = program.graph.nodes, run.values, run.grads
    labels = program.graph.labels()
    bad_values = set(_nonfinite(values))
    for i in sorted(bad_values):
        node = nodes[i]
        if not any(a in bad_values for a in node.args):
            return [(i, "nonfinite_origin", {
                "code": "nonfinite_input" if node.kind == INPUT else "nonfinite_origin",
                "label": labels[i], "op": node.op_name, "number": _first_bad(values[i]),
                "suggestion": _stable_alternative(program, node)})]
    bad_edges = set(_nonfinite(run.edge_grad))
    if not bad_edges:
        return []
    bad_grads = set(_nonfinite(grads))
    for i in run.backward_order:
        if i in bad_grads:
            continue
        node = nodes[i]
        start = program.edge_start[i]
        for k, a in enumerate(node.args):
            if start + k in bad_edges:
                return [(i, "nonfinite_origin", {
                    "code": "nonfinite_grad", "label": labels[i], "op": node.op_name,
                    "arg": labels[a], "number": _first_bad(run.edge_grad[start + k]),
                    "suggestion": _stable_alternative(program, node)})]
    return []


def _stable_alternative(program: Program, node: Node) -> str:
    """A numerically stable formulation for the usual culprits, else a general suggestion code."""
    nodes = program.graph.nodes
    if node.op_name == "log" and node.args and nodes[node.args[0]].op_name == "softmax":
        return "log_softmax"
    if node.op is not None and node.op.restricted_domain:
        return "domain"
    return "scale"


# ---------------------------------------------------------------- input gradients


def _magnitude(g: Any) -> float:
    """The largest |element| of a gradient (0 for none)."""
    if g is None:
        return 0.0
    if type(g) is float:
        return abs(g)
    a = np.asarray(g)
    return float(np.max(np.abs(a))) if a.size else 0.0


def _input_gradients(program: Program, run: Run) -> list[tuple[int, str, dict[str, Any]]]:
    """Inputs whose gradient vanishes next to the others', or explodes."""
    graph = program.graph
    sizes = {name: _magnitude(run.grads[i]) for name, i in graph.inputs.items()}
    finite = [s for s in sizes.values() if s - s == 0.0]
    largest = max(finite, default=0.0)
    out: list[tuple[int, str, dict[str, Any]]] = []
    searches = 0
    for name, i in graph.inputs.items():
        size = sizes[name]
        if size - size != 0.0:
            continue
        if ROUNDING_RATIO * largest < size < VANISHING_RATIO * largest:
            searches += 1
            edges = _smallest_locals_downstream(program, run, i) if searches <= PATH_SEARCHES else "…"
            out.append((i, "vanishing", {"label": name, "grad": _number(size),
                                         "largest": _number(largest), "edges": edges}))
        elif size > EXPLODING_GRAD:
            out.append((i, "exploding", {"label": name, "grad": _number(size),
                                         "limit": _number(EXPLODING_GRAD)}))
    return out


def _number(x: float) -> str:
    return f"{x:.2g}"


def _smallest_locals_downstream(program: Program, run: Run, start: int) -> str:
    """The edges with the smallest |local gradient| on the paths from ``start`` to the output."""
    nodes = program.graph.nodes
    labels = program.graph.labels()
    on_path = program.on_path
    reachable = [False] * len(nodes)
    reachable[start] = True
    scored: list[tuple[float, int, int]] = []  # (|local|, source, target)
    for node in nodes[start + 1:]:  # creation order is a topological order
        i = node.index
        if i not in on_path:
            continue
        first = program.edge_start[i]
        for k, a in enumerate(node.args):
            if not reachable[a]:
                continue
            reachable[i] = True
            local = run.edge_local[first + k]
            if local is not None:
                scored.append((_magnitude(local), a, i))
    smallest = heapq.nsmallest(SMALLEST_LOCALS_NAMED, scored)
    return ", ".join(f"{labels[a]} → {labels[i]} ({_number(size)})" for size, a, i in smallest)


# ---------------------------------------------------------------- activations and kinks


def _watched_ops(program: Program, run: Run) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """Saturated sigmoid/tanh, dead ReLUs, and kinks (ops evaluated at a non-differentiable point)."""
    nodes, values = program.graph.nodes, run.values
    labels = program.graph.labels()
    for node in nodes:
        op = node.op
        if op is None or not (op.saturates or op.kink):
            continue
        i, name = node.index, op.name
        args = [values[a] for a in node.args]
        if op.saturates:
            yield from _saturated(i, op, labels[i], values[i], args[0])
            continue
        if name == "relu" and _all(args[0], lambda x: x <= 0.0):
            yield i, "dead_relu", {"label": labels[i], "largest": _number(float(np.max(args[0])))}
        convention = _kink(op, args, node)
        if convention is not None:
            yield i, "kink", {"code": convention, "label": labels[i], "op": name}


def _all(x: Any, test: Any) -> bool:
    return bool(test(x)) if type(x) is float else bool(np.all(test(np.asarray(x))))


def _saturated(i: int, op: Op, label: str, value: Any, arg: Any
               ) -> Iterator[tuple[int, str, dict[str, Any]]]:
    name = op.name
    assert op.local is not None  # a squashing op is elementwise
    if type(value) is float:
        local = float(op.local[0](SCALAR, value, arg))
        if local < SATURATED_LOCAL and value - value == 0.0:
            yield i, "saturated", {"label": label, "op": name, "input": _number(float(arg)),
                                   "local": f"{local:.1e}", "share": "100%"}
        return
    y = np.asarray(value)
    if y.size == 0:
        return
    locals_ = np.broadcast_to(op.local[0](ARRAY, y, np.asarray(arg)), y.shape)
    low = np.count_nonzero(locals_ < SATURATED_LOCAL)
    if 2 * low > y.size:
        yield i, "saturated", {"label": label, "op": name,
                               "input": _number(float(np.median(np.abs(arg)))),
                               "local": f"{float(np.median(locals_)):.1e}",
                               "share": f"{100 * low // y.size}%"}


def _kink(op: Op, args: list[Any], node: Node) -> str | None:
    """The message code of the convention used at a non-differentiable point, or None."""
    if op.kink == "zero":
        return "kink" if _any_zero(args[0]) else None
    if op.kink == "slope":  # leaky_relu: torch's slope at 0 is the negative slope
        return "kink_slope" if _any_zero(args[0]) else None
    if op.kink == "window":  # max_pool2d: torch gives a tied window's gradient to the first
        return "kink_first" if pool_window_tie(args[0], **node.kwargs) else None
    if op.kink == "tie":
        a, b = args
        tied = (a == b) if type(a) is float and type(b) is float else bool(np.any(np.equal(a, b)))
        return "kink_tie" if tied else None
    x = np.asarray(args[0])  # max/min reductions: a tie for the extreme along the reduced axes
    if x.size < 2:
        return None
    axis = node.kwargs.get("axis")
    extreme = op.forward(ARRAY, x, axis=axis, keepdims=True)
    hits = np.count_nonzero(x == extreme, axis=axis)
    return "kink_split" if bool(np.any(np.asarray(hits) > 1)) else None


def _any_zero(x: Any) -> bool:
    return x == 0.0 if type(x) is float else bool(np.any(np.asarray(x) == 0.0))


def check_messages() -> list[str]:
    """Problems with the message file: a kind or language missing (a test runs this)."""
    problems: list[str] = []
    table = messages()
    for code, templates in table.items():
        problems.extend(f"{code}: no {lang!r} message" for lang in LANGUAGES if lang not in templates)
    problems.extend(f"{kind}: no message" for kind in KINDS if kind not in table)
    return problems


__all__ = ["KINDS", "check_messages", "diagnose", "message", "messages"]
