"""The analysis of an expression: graph, values, local gradients and gradients as JSON-ready data.

This is the response of ``POST /api/graph`` and of the Python API's ``analyze``.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chainrule.config import LIMITS, env_name
from chainrule.engine.autodiff import Program, Run, compile_program, input_warnings
from chainrule.engine.check import gradient_check
from chainrule.engine.encode import SUMMARY_MIN_ELEMENTS, ArrayFragments, Summarizing, encode
from chainrule.engine.formulas import fill, words_for
from chainrule.engine.full_values import full_node_indices, send_in_full
from chainrule.engine.graph import Graph, Node
from chainrule.engine.notices import Notice, warning_details
from chainrule.engine.programs import ProgramCache
from chainrule.engine.response_size import response_numbers
from chainrule.engine.values import resolve_values
from chainrule.errors import ChainruleError

Encoder = Callable[[Any, str], Any]
Extension = Callable[[Program, Run, str], dict[str, Any]]
"""Called between the run and its rendering with the rendering mode; it may change the run
(a teaching mistake's gradients) and returns fields added to the result (diagnostics)."""


def analyze(expression: str, values: Mapping[str, Any], output: str | None = None,
            detail: str = "full", check: bool = False, *, arrays: str = "list",
            extend: Extension | None = None, max_numbers: int | None = None,
            programs: ProgramCache | None = None, full: Sequence[str] = ()) -> dict[str, Any]:
    """Parse, evaluate and differentiate ``expression``; see API.md for the result's fields.

    ``arrays="numpy"`` (the HTTP path) gives tensors as orjson Fragments, each distinct array
    serialized once; ``orjson.dumps`` the result. ``detail``: ``"full"``, ``"summary"``
    (tensors of 16+ elements summarized) or ``"auto"`` (tensors of more than
    ``max_full_tensor_elements`` summarized). ``max_numbers`` bounds the numbers the result
    may hold (``limit_exceeded`` beyond it), counted before encoding. ``programs``: where
    compiled programs are kept between calls (default: compile every time). ``full``: ids of
    nodes whose value and gradient are sent complete whatever ``detail`` says.
    """
    # CPython's cyclic collector is paused while an analysis allocates: it creates a few
    # containers per node and no reference cycles, so the collector finds nothing, but its
    # full passes walk the whole growing heap (on big graphs a large share of the time:
    # bench/README.md, "Speed tricks").
    # Reference counting still frees everything; the collector resumes (if it was on) at the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        program = (compile_program(expression, output) if programs is None
                   else programs.get(expression, output))
        resolved = resolve_values(values, program.input_names)
        run = program.run(resolved)
        if run.non_finite_inputs:
            run.warnings[:0] = input_warnings(run.non_finite_inputs)
        if len(values) > len(resolved):
            extra = sorted(set(values) - set(resolved))
            run.warnings.append(Notice("unused_values", names=extra[:10]))
        mode = "summary" if detail == "summary" else arrays
        summarize_over = summary_threshold(detail)
        in_full = full_node_indices(full, len(program.graph.nodes)) if full else []
        if max_numbers is not None:
            check_response_size(run, summarize_over, max_numbers, in_full)
        added = extend(program, run, mode) if extend is not None else None
        result = render(program, run, mode,
                        LIMITS.max_full_tensor_elements if detail == "auto" else None)
        if added:
            result.update(added)
        if in_full and summarize_over is not None:
            send_in_full(result, run, in_full, arrays)
        if check:
            result["check"] = gradient_check(program, resolved, run.input_grads)
        return result
    finally:
        if collecting:
            gc.enable()


def render(program: Program, run: Run, mode: str,
           summarize_over: int | None = None) -> dict[str, Any]:
    """The JSON-ready dict of a finished run (``mode``: list | numpy | summary); tensors of
    more than ``summarize_over`` elements are summarized whatever the mode."""
    graph = program.graph
    ids = [f"n{i}" for i in range(len(graph.nodes))]
    encode_: Encoder = ArrayFragments() if mode == "numpy" else encode
    if summarize_over is not None:
        encode_ = Summarizing(encode_, summarize_over)
    return {
        "output": ids[graph.output],
        "output_name": graph.output_name,
        "value": encode_(run.value, mode),
        "nodes": _nodes(graph, run, ids, mode, encode_),
        "edges": _edges(graph, run, ids, mode, encode_),
        "forward_order": ids,
        "backward_order": list(map(ids.__getitem__, run.backward_order)),
        "gradients": {name: _json(g, mode, encode_)
                      for name, g in run.input_grads.items()},
        "warnings": run.warnings,
        "warning_details": warning_details(run.warnings),
    }


def summary_threshold(detail: str) -> int | None:
    """Tensors of more than this many elements are summarized in ``detail`` (None: none)."""
    if detail == "summary":
        return SUMMARY_MIN_ELEMENTS - 1
    if detail == "auto":
        return LIMITS.max_full_tensor_elements
    return None


def check_response_size(run: Run, summarize_over: int | None, max_numbers: int,
                        full: Sequence[int] = ()) -> None:
    numbers = response_numbers(run, summarize_over, full)
    if numbers > max_numbers:
        env = env_name("max_response_numbers")
        raise ChainruleError(
            "limit_exceeded",
            f"the response would hold {numbers} numbers; the limit is {max_numbers} (set {env}); "
            'ask for "detail": "summary" or "auto" to summarize large tensors',
            params={"limit": env, "value": max_numbers, "got": numbers,
                    "what": "numbers in the response"})


def _json(v: Any, mode: str, encode: Encoder) -> Any:
    """A finite float as it is; anything else (arrays, inf, NaN, None) through the encoder."""
    return v if type(v) is float and v - v == 0.0 else encode(v, mode)


def _nodes(graph: Graph, run: Run, ids: list[str], mode: str,
           encode: Encoder) -> list[dict[str, Any]]:
    nodes: list[Node] = graph.nodes  # typed, and indexed rather than zipped: compiled code
    labels, formulas = graph.labels(), graph.formulas()  # then reads the fields directly
    values, grads = run.values, run.grads
    out: list[dict[str, Any]] = []
    append = out.append
    for i in range(len(nodes)):
        node = nodes[i]
        value, grad = values[i], grads[i]
        scalar = type(value) is float
        item: dict[str, Any] = {
            "id": ids[i], "op": node.op_name, "label": labels[i],
            "shape": [] if scalar else list(value.shape),  # type: ignore[union-attr]
            "value": _json(value, mode, encode),
            "grad": _json(grad, mode, encode),
            "statement": node.statement,
        }
        if node.name is not None:
            item["name"] = node.name
        formula = formulas[i]
        if formula is not None:
            item["formula"] = formula
        append(item)
    return out


def _edges(graph: Graph, run: Run, ids: list[str], mode: str,
           encode: Encoder) -> list[dict[str, Any]]:
    nodes: list[Node] = graph.nodes
    labels, operands = graph.labels(), graph.operands()
    out: list[dict[str, Any]] = []
    append = out.append
    edge_local, edge_grad = run.edge_local, run.edge_grad
    e = 0
    for i in range(len(nodes)):
        node = nodes[i]
        op = node.op
        if op is None:
            continue
        args = node.args
        pieces = op.local_formula_pieces
        # what the local-derivative formulas are filled with: labels, operands, output label
        words = words_for(args, labels, operands, labels[i])
        target = ids[i]
        for arg in range(len(args)):
            local, grad = edge_local[e], edge_grad[e]
            append({
                "id": f"e{e}", "source": ids[args[arg]], "target": target, "arg": arg,
                "local": _json(local, mode, encode),
                "local_formula": fill(pieces[arg], words),
                "grad": _json(grad, mode, encode),
            })
            e += 1
    return out
