"""Diagnostics on 200 random programs (core's generator) against the same rules applied to
torch's own numbers: no flag that torch's values and gradients do not justify, none missing."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import torch

from chainrule import analyze
from chainrule.teaching.diagnostics import EXPLODING_GRAD, ROUNDING_RATIO, SATURATED_LOCAL, VANISHING_RATIO
from tests.support.random_expr import Case, random_case, torch_reference, walk

CASES = 200


def expected_flags(case: Case) -> Counter[tuple[str, str]]:
    """(kind, input name or op) -> count, from torch: the node values computed while the
    program was drawn and the input gradients by autograd."""
    out: Counter[tuple[str, str]] = Counter()
    loss, grads = torch_reference(case)
    assert torch.isfinite(loss).all()  # the generator keeps every value bounded
    sizes = {name: float(np.max(np.abs(g), initial=0.0)) for name, g in grads.items()}
    largest = max(sizes.values(), default=0.0)
    for name, size in sizes.items():
        if ROUNDING_RATIO * largest < size < VANISHING_RATIO * largest:
            out["vanishing", name] += 1
        elif size > EXPLODING_GRAD:
            out["exploding", name] += 1
    for statement in case.statements:
        for e in walk(statement.expr):
            if e.kind != "op":
                continue
            if e.name in ("sigmoid", "tanh") and e.value.numel():
                y = e.value
                local = y * (1 - y) if e.name == "sigmoid" else 1 - y * y
                if 2 * int((local < SATURATED_LOCAL).sum()) > y.numel():
                    out["saturated", e.name] += 1
            if e.name == "relu" and bool((e.args[0].value <= 0).all()):
                out["dead_relu", "relu"] += 1
    return out


def chainrule_flags(result: dict[str, Any]) -> Counter[tuple[str, str]]:
    nodes = {n["id"]: n for n in result["nodes"]}
    out: Counter[tuple[str, str]] = Counter()
    for d in result["diagnostics"]:
        node = nodes[d["node"]]
        out[d["kind"], node["name"] if d["kind"] in ("vanishing", "exploding") else node["op"]] += 1
    return out


def test_random_programs_raise_exactly_the_flags_torch_justifies() -> None:
    healthy = 0
    for seed in range(CASES):
        case = random_case(np.random.default_rng(1000 + seed), seed=seed)
        result = analyze(case.expression, case.values, output=case.output)
        want = expected_flags(case)
        assert chainrule_flags(result) == want, (seed, case.expression, result["diagnostics"])
        healthy += not want
    # most random programs are healthy, and on those nothing at all is raised
    assert healthy >= CASES * 3 // 4, healthy
