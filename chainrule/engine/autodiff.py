"""Evaluation and differentiation: the forward pass, then the chain rule in reverse.

Backward is one loop over the reversed topological order. For each edge A -> B it records
the local derivative d(B)/d(A) (elementwise ops) and the edge's contribution
``grad(B) * local`` (or the op's VJP), and *sums* contributions into A's gradient, so a node
used twice gets the sum over its paths (micrograd's ``+=``).

Scalars travel as Python floats through :data:`SCALAR` math; anything the fast path cannot
do (a tensor, a division by zero, a log of a negative number) goes through numpy, whose
inf/NaN results are reported as warnings rather than errors.
"""

from __future__ import annotations

import math
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from chainrule.config import LIMITS, env_name
from chainrule.engine.budget import check_budget
from chainrule.engine.graph import INPUT, Graph, build_graph
from chainrule.engine.notices import Notice
from chainrule.engine.ops import ARRAY, SCALAR, Op, OpError, check_elements, unbroadcast
from chainrule.engine.values import Value
from chainrule.errors import ChainruleError

_FALLBACK: Final = (ArithmeticError, ValueError)  # math's ways of saying "numpy would give inf/NaN"


@dataclass
class Run:
    """The result of one forward (and backward) pass over a :class:`Program`."""

    values: list[Value]
    grads: list[Value | None]  # d(loss)/d(node); None for nodes that need no gradient
    edge_local: list[Value | None]  # d(target)/d(source), None where not elementwise
    edge_grad: list[Value | None]  # the edge's contribution to grad(source)
    backward_order: list[int]
    output: int
    warnings: list[str] = field(default_factory=list)
    input_grads: dict[str, Value] = field(default_factory=dict)
    non_finite_inputs: list[str] = field(default_factory=list)  # names given as (or holding) inf/NaN

    @property
    def value(self) -> Value:
        return self.values[self.output]

    @property
    def loss(self) -> float:
        """The differentiated scalar: the output, or sum(output) for a tensor output."""
        v = self.values[self.output]
        return float(v) if isinstance(v, float) else float(np.sum(v))


class Program:
    """A compiled expression: build once, run forward/backward with many value sets."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        nodes = graph.nodes
        self.needs_grad = self._depends_on(frozenset(graph.inputs))
        self._needs_grad_by_wrt: dict[frozenset[str], list[bool]] = {}
        self.ancestors = self._ancestors_of_output()
        self.on_path = set(self.ancestors)
        self.visit_order = self.ancestors
        if len(self.ancestors) < len(nodes):  # nodes off the output's path come last
            self.visit_order = self.ancestors + [j for j in range(len(nodes) - 1, -1, -1)
                                                 if j not in self.on_path]
        self.edge_start = []
        self.has_tensor_ops = False  # an op that always runs in numpy (matmul, sum, ...)
        count = 0
        for node in nodes:
            self.edge_start.append(count)
            if node.args:
                count += len(node.args)
                if node.op.local is None:  # type: ignore[union-attr]
                    self.has_tensor_ops = True
        self.edge_count = count

    @property
    def input_names(self) -> list[str]:
        return self.graph.input_names

    @property
    def node_count(self) -> int:
        return len(self.graph.nodes)

    def _depends_on(self, inputs: frozenset[str]) -> list[bool]:
        """For each node: does its value depend on one of ``inputs``? (Constants never do.)"""
        needs = [False] * len(self.graph.nodes)
        for node in self.graph.nodes:
            if node.op is not None:
                for a in node.args:
                    if needs[a]:
                        needs[node.index] = True
                        break
            elif node.kind == INPUT:
                needs[node.index] = node.name in inputs
        return needs

    def _needs_grad_for(self, wrt: frozenset[str] | None) -> list[bool]:
        if wrt is None:
            return self.needs_grad
        cached = self._needs_grad_by_wrt.get(wrt)
        if cached is None:
            cached = self._needs_grad_by_wrt[wrt] = self._depends_on(wrt)
        return cached

    def _ancestors_of_output(self) -> list[int]:
        """Nodes on some path to the output, in reverse topological order (iteratively)."""
        nodes = self.graph.nodes
        marked = [False] * len(nodes)
        marked[self.graph.output] = True
        order = []
        for i in range(self.graph.output, -1, -1):
            if marked[i]:
                order.append(i)
                for a in nodes[i].args:
                    marked[a] = True
        return order

    # ------------------------------------------------------------------ forward
    def _forward(self, values: dict[str, Value]) -> list[Value]:
        """Every node's value; raises ChainruleError (with position) when an op rejects its input.
        Runs inside :func:`_watching_numpy` whenever numpy can run (see :meth:`run`)."""
        nodes = self.graph.nodes
        vals: list[Any] = [None] * len(nodes)
        total = 0
        index = 0
        try:
            for node in nodes:
                index = node.index
                if index & 1023 == 1023:  # now and then: a tiny graph never needs to
                    check_budget()
                op = node.op
                if op is None:
                    vals[index] = values[node.name] if node.kind == INPUT else node.const  # type: ignore[index]
                    continue
                args = tuple(map(vals.__getitem__, node.args))
                if op.local is not None:
                    for a in args:  # inline: a helper's call costs more than the scalar op
                        if type(a) is not float:
                            total += _check_size(_broadcast_size(args))
                            break
                    else:
                        try:
                            vals[index] = op.forward(SCALAR, *args)
                        except _FALLBACK:  # 1/0, log(-1), overflow: numpy's inf and NaN
                            with np.errstate(all="ignore"):  # a float: always checked
                                vals[index] = float(op.forward(ARRAY, *_as_numpy_scalars(args)))
                        continue
                out = op.forward(ARRAY, *args, **node.kwargs)
                if np.ndim(out) == 0:
                    vals[index] = float(out)
                    continue
                if op.local is None:
                    total += _check_size(out.size)
                vals[index] = out
                if total > LIMITS.max_total_elements:
                    raise ChainruleError(
                        "limit_exceeded",
                        f"the values of all nodes exceed {LIMITS.max_total_elements} elements "
                        f"(set {env_name('max_total_elements')})",
                    )
        except OpError as exc:
            raise self._error_at(index, exc.code, exc.message, vals, exc.reason, exc.params) from None
        except ValueError as broken:  # broadcasting (a name of its own: mypyc types `exc` once)
            raise self._error_at(index, "shape_mismatch", _numpy_message(broken), vals, "broadcast") from None
        except MemoryError:
            raise self._error_at(index, "limit_exceeded", "not enough memory for this value") from None
        return vals

    def _error_at(self, index: int, code: str, message: str, vals: list[Any] | None = None,
                  reason: str | None = None, said: dict[str, Any] | None = None) -> ChainruleError:
        """The error of node ``index`` at its place in the source; a shape error's params name
        the operation and its arguments' shapes (``vals``: the forward values so far), and
        ``reason`` with what the op ``said`` about it (OpError.params)."""
        node = self.graph.nodes[index]
        line, col = self.graph.position(index)
        params: dict[str, Any] | None = None
        if code == "shape_mismatch" and vals is not None:
            params = {"op": node.op_name, "shapes": [list(np.shape(vals[a])) for a in node.args]}
            if reason is not None:
                params.update(said or {}, reason=reason)
        return ChainruleError(code, f"{node.op_name}: {message} (line {line}, column {col})", line, col,
                              params=params)

    # ------------------------------------------------------------------ backward
    def run(self, values: dict[str, Value], backward: bool = True,
            wrt: frozenset[str] | None = None, record_edges: bool = True) -> Run:
        """Forward pass, then (unless ``backward=False``) the backward pass.

        ``wrt`` limits differentiation to those inputs (training: the params, not the data);
        ``record_edges=False`` skips the per-edge local derivatives the UI shows.
        """
        graph = self.graph
        events = FloatingPointEvents()
        bad_inputs = []
        numpy_runs = self.has_tensor_ops
        for v in values.values():
            if type(v) is not float and not (isinstance(v, np.ndarray) and v.ndim):
                values = _with_python_floats(values)  # e.g. np.float64 from an optimizer
                break
        for name, v in values.items():
            if type(v) is float:
                if v - v != 0.0:
                    bad_inputs.append(name)
            else:
                numpy_runs = True
                if not _finite(v):
                    bad_inputs.append(name)
        # With floats only and no whole-tensor op, numpy runs only in the scalar fallbacks,
        # which silence it themselves.
        if numpy_runs:
            with _watching_numpy(events):
                run = self._passes(values, backward, wrt, record_edges, bad_inputs)
        else:
            run = self._passes(values, backward, wrt, record_edges, bad_inputs)
        vals = run.values
        # Inputs are the caller's own numbers, reported once (Run.non_finite_inputs).
        suspect = events.seen or bool(bad_inputs)
        run.warnings = _non_finite_warnings(graph, vals, "value", suspect, skip_inputs=True)
        out_value = vals[graph.output]
        if not isinstance(out_value, float):
            label = graph.labels()[graph.output]
            run.warnings.append(Notice("output_not_scalar", label=label, shape=list(np.shape(out_value))))
        if backward:
            run.warnings.extend(_non_finite_warnings(graph, run.grads, "gradient", suspect))
        return run

    def _passes(self, values: dict[str, Value], backward: bool, wrt: frozenset[str] | None,
                record_edges: bool, bad_inputs: list[str]) -> Run:
        vals = self._forward(values)
        n_edges = self.edge_count
        run = Run(vals, [None] * len(vals), [None] * n_edges, [None] * n_edges,
                  self.ancestors, self.graph.output, non_finite_inputs=bad_inputs)
        if backward:
            self._backward(run, self._needs_grad_for(wrt), record_edges)
            run.input_grads = {name: run.grads[i]  # type: ignore[misc]
                               for name, i in self.graph.inputs.items() if wrt is None or name in wrt}
        return run

    def _backward(self, run: Run, needs_grad: list[bool], record_edges: bool) -> None:
        nodes, vals, grads = self.graph.nodes, run.values, run.grads
        edge_local, edge_grad = run.edge_local, run.edge_grad
        edge_start = self.edge_start
        out = self.graph.output
        grads[out] = 1.0 if isinstance(vals[out], float) else np.ones(np.shape(vals[out]))
        on_path = self.on_path
        # Nodes off the output's path are visited last: their edges still get their local
        # derivatives, but gradient 0, and nothing flows from them into the path.
        for i in self.visit_order:
            if not needs_grad[i]:
                continue
            if i & 1023 == 1023:
                check_budget()
            node = nodes[i]
            op = node.op
            g = grads[i]
            if g is None:
                g = grads[i] = 0.0 if isinstance(vals[i], float) else np.zeros(np.shape(vals[i]))
            if op is None:
                continue
            ans = vals[i]
            sources = node.args
            args = tuple(map(vals.__getitem__, sources))
            e = edge_start[i]
            locals_ = op.local
            for k, src in enumerate(sources):
                if not needs_grad[src]:
                    continue
                if locals_ is None:
                    contrib = op.vjp[k](np.asarray(g), ans, *args, **node.kwargs)  # type: ignore[index]
                    if not isinstance(args[k], np.ndarray):
                        contrib = float(contrib)
                elif type(g) is float:  # a scalar op on scalars: the fast path
                    try:
                        local = locals_[k](SCALAR, ans, *args)
                        contrib = g * local
                    except _FALLBACK:
                        with np.errstate(all="ignore"):  # floats: always checked
                            local, contrib = _elementwise_vjp(op, k, g, ans, args, record_edges)
                    edge_local[e + k] = local
                else:
                    edge_local[e + k], contrib = _elementwise_vjp(op, k, g, ans, args, record_edges)
                if i not in on_path:
                    contrib = 0.0 if type(args[k]) is float else np.zeros(np.shape(args[k]))
                    if src in on_path:
                        edge_grad[e + k] = contrib
                        continue
                edge_grad[e + k] = contrib
                prev = grads[src]
                grads[src] = contrib if prev is None else prev + contrib


def _elementwise_vjp(op: Op, k: int, g: Any, ans: Any, args: tuple[Any, ...],
                     record: bool = True) -> tuple[Any, Any]:
    """(local derivative of arg k, the edge's contribution g * local summed to arg k's shape),
    through numpy: for tensors, and for scalars the math fast path could not handle."""
    args = _as_numpy_scalars(args)
    local = op.local[k](ARRAY, np.float64(ans) if type(ans) is float else ans, *args)  # type: ignore[index]
    arg = args[k]
    shape = np.shape(arg)
    # A constant slope of 1 (add, sub) passes the gradient on as it is: no copy to multiply.
    contrib = unbroadcast(g if (type(local) is float and local == 1.0) else np.multiply(g, local),
                          shape)
    if not shape:
        contrib = float(contrib)
        return (float(local) if np.ndim(local) == 0 else None), contrib
    if not record or np.shape(ans) != shape:
        return None, contrib
    return np.broadcast_to(local, shape), contrib


def _with_python_floats(values: dict[str, Value]) -> dict[str, Value]:
    """Scalars as Python floats, which the scalar fast path needs: a numpy scalar there
    would meet ``math`` and Python arithmetic meant for floats (np.float64's comparisons
    give numpy booleans, which do not subtract)."""
    return {name: v if isinstance(v, np.ndarray) and v.ndim else float(v)
            for name, v in values.items()}


def _as_numpy_scalars(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Python floats as numpy scalars, so 1/0 gives inf (and a warning) instead of raising."""
    if not any(type(a) is float for a in args):
        return args
    return tuple(np.float64(a) if type(a) is float else a for a in args)


def _broadcast_size(args: tuple[Any, ...]) -> int:
    first = args[0]
    shape = getattr(first, "shape", None)
    if shape is not None and all(type(a) is float or getattr(a, "shape", None) == shape for a in args):
        return int(first.size)  # the common case: same shapes, or a tensor and scalars
    try:
        shape = np.broadcast_shapes(*(np.shape(a) for a in args))
    except ValueError as exc:
        raise OpError("shape_mismatch", _numpy_message(exc), "broadcast") from None
    return math.prod(shape)


def _check_size(size: int) -> int:
    check_elements((size,))
    return size


def _numpy_message(exc: Exception) -> str:
    text = str(exc)
    return text.split("\n")[0][:300] or type(exc).__name__


MAX_WARNINGS: Final = 10


class FloatingPointEvents:
    """numpy's floating-point error callback: remembers that some operation overflowed,
    divided by zero or made a NaN (IEEE 754 raises one of those whenever finite operands give
    inf or NaN). With no event and finite inputs, no array can hold inf or NaN, so the
    element-by-element finiteness scan of every array is skipped."""

    __slots__ = ("seen",)

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, kind: str, flag: int) -> None:
        self.seen = True


def _watching_numpy(events: FloatingPointEvents) -> AbstractContextManager[Any]:
    """numpy's inf/NaN warnings become calls to ``events`` (they become our warnings)."""
    return np.errstate(all="call", call=events)


def _non_finite_warnings(graph: Graph, values: list[Any], what: str, suspect: bool,
                         skip_inputs: bool = False) -> list[str]:
    """A warning per node (up to MAX_WARNINGS) whose value is inf or NaN.

    Python floats are always tested (their arithmetic overflows to inf silently); arrays only
    when ``suspect`` (a floating-point event or a non-finite input) or a float is non-finite
    (an inf float times an array raises no event)."""
    # inf - inf and NaN - NaN are NaN, which is != 0: one C-level test per scalar
    bad = [i for i, v in enumerate(values) if type(v) is float and v - v != 0.0]
    if suspect or bad:
        bad = [i for i, v in enumerate(values) if v is not None and not _finite(v)]
    if skip_inputs:
        bad = [i for i in bad if graph.nodes[i].kind != INPUT]
    if not bad:
        return []
    labels = graph.labels()
    out: list[str] = [Notice(f"{what}_not_finite", label=labels[i], op=graph.nodes[i].op_name, node=f"n{i}")
                      for i in bad[:MAX_WARNINGS]]
    if len(bad) > MAX_WARNINGS:
        out.append(Notice(f"more_{what}s_not_finite", count=len(bad) - MAX_WARNINGS))
    return out


def input_warnings(names: list[str]) -> list[str]:
    """A warning for each input given as (or holding) NaN or an infinity."""
    return [Notice("input_not_finite", name=name) for name in names]


def _finite(v: Any) -> bool:
    if type(v) is float:
        return v - v == 0.0  # False for inf and NaN, and faster than math.isfinite
    # One BLAS dot product instead of a boolean temporary: a finite sum of squares proves every
    # element finite (one that overflows falls through to the exact test).
    with np.errstate(all="ignore"):
        if v.flags.c_contiguous:
            flat = v.reshape(-1)
            total = float(flat @ flat)
        else:
            total = float(np.sum(v))
    return total - total == 0.0 or bool(np.isfinite(v).all())


def compile_program(expression: str, output: str | None = None) -> Program:
    """Parse and build ``expression`` into a reusable :class:`Program`."""
    return Program(build_graph(expression, output))
