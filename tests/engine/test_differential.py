"""Differential tests: random programs over the whole grammar against PyTorch autograd.

Each case (``tests/support/random_expr.py``) is one tree rendered as chainrule text and as
a float64 torch computation; the output and every input's gradient must agree (rtol 1e-6).
Inputs stay away from kinks; the kink conventions are tested on their own below.

Sized for about half a minute in CI. ``CHAINRULE_SOAK=20000`` runs that many random
programs instead (``CHAINRULE_SOAK=20000 .venv/bin/python -m pytest -q
tests/engine/test_differential.py``). A failure prints a shrunk reproduction.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from chainrule import analyze
from chainrule.engine.ops import OPERATORS, OPS
from tests.support.random_expr import (
    GENERATORS,
    Case,
    Expr,
    compare_with_torch,
    random_case,
    reproduction,
    shrink,
    walk,
)

SOAK = int(os.environ.get("CHAINRULE_SOAK", "0"))
PROGRAMS = SOAK or 1000  # random programs in the main test
PER_OP = 12  # programs rooted at each op


def _report(failures: list[tuple[Case, str]], total: int) -> str:
    shown = [reproduction(shrink(case), problem) for case, problem in failures[:3]]
    return f"{len(failures)} of {total} random programs differ from torch:\n\n" + "\n\n".join(shown)


def test_every_op_has_a_generator() -> None:
    """Guard: an op added to the table without a generator here fails."""
    missing = sorted(set(OPS) - set(GENERATORS))
    assert not missing, f"ops without a random-program generator (tests/support/random_expr.py): {missing}"
    assert {op.name for op in OPERATORS.values()} <= set(GENERATORS)


def test_long_chains_match_torch() -> None:
    """Many statements, each free to reuse the earlier ones, nested deeper."""
    failures = []
    count = 40 * (1 + SOAK // 2000)
    for k in range(count):
        seed = 3_000_000 + k
        case = random_case(np.random.default_rng(seed), statements=12, depth=5, seed=seed)
        problem = compare_with_torch(case)
        if problem:
            failures.append((case, problem))
    assert not failures, _report(failures, count)


def test_random_programs_match_torch() -> None:
    failures = []
    for seed in range(PROGRAMS):
        case = random_case(np.random.default_rng(seed), seed=seed)
        problem = compare_with_torch(case)
        if problem:
            failures.append((case, problem))
    assert not failures, _report(failures, PROGRAMS)


@pytest.mark.parametrize("op", sorted(OPS))
def test_random_programs_rooted_at_each_op_match_torch(op: str) -> None:
    failures = []
    cases = PER_OP * (1 + SOAK // 2000)
    for k in range(cases):
        seed = 1_000_000 + 1000 * sorted(OPS).index(op) + k
        case = random_case(np.random.default_rng(seed), root=op, seed=seed)
        assert op in case.ops
        problem = compare_with_torch(case)
        if problem:
            failures.append((case, problem))
    assert not failures, _report(failures, cases)


#: What the generator must produce over the first programs: every form of the grammar.
FEATURES = {
    "operators": [r" \+ |\w\+\w", r" - ", r"\*(?!\*)", r"/", r"\*\*", r"@"],
    "unary minus and plus": [r"(^|[=(,*/@] ?|\*\* ?)-[\w(]", r"(^|[=(,*/@] ?|\*\* ?)\+[\w(]"],
    "numbers": [r"(?<![\w.])\d+(?![\w.])", r"\d\.\d", r"(?<![\w.])\.\d", r"\d[eE]-?\d"],
    "transpose": [r"\.T\b", r"transpose\(", r"axes=\("],
    "calls": [rf"\b{name}\(" for name, op in OPS.items() if op.callable],
    "axis": [r"axis=\d", r"axis=-\d", r"axis=\(\d", r"axis=\(-?\d,\)", r"axis=None",
             r"keepdims=True", r"keepdims=False"],
    "statements": [r";", r"\n\n", r"#", r"\\\n", r"\(\n"],
    "indexing": [r"\w\[-?\d+\]", r"\w\[-\d", r"\[:,", r"\[\d+:\d*\]", r"::\d", r"\w\[[^]]*:-\d",
                 r"\)\[", r"\]\["],
    "positional literals": [r"reshape\([^()]*(\([^()]*\))*[^()]*, \(-?\d", r"transpose\([^=]*, \(\d",
                            r"leaky_relu\([^=]*, 0\.\d+\)", r"_pool2d\([^=]*, \d\)",
                            r"stride=\(\d, \d\)", r"eps=0\.\d", r"negative_slope="],
    "tuples of tensors": [r"concat\(\(", r"stack\(\(", r"concat\(\([^()]*,\)"],
}


def test_the_generator_covers_the_grammar() -> None:
    cases = [random_case(np.random.default_rng(seed), seed=seed) for seed in range(400)]
    texts = [c.expression for c in cases]
    missing = [pattern for patterns in FEATURES.values() for pattern in patterns
               if not any(re.search(pattern, t, re.MULTILINE) for t in texts)]
    assert not missing, f"forms the generator never wrote: {missing}"
    assert {op for c in cases for op in c.ops} >= set(OPS)
    assert any(c.output is not None for c in cases), "an output= naming an earlier statement"
    assert any(c.statements[-1].name is None for c in cases), "a lone expression"
    assert any(c.class_inputs for c in cases), "class-index targets"
    reassigned = [c for c in cases if len({s.name for s in c.statements if s.name})
                  < sum(1 for s in c.statements if s.name)]
    assert reassigned, "a name assigned twice"
    assert any(set(c.inputs) & {s.name for s in c.statements} for c in cases), "an input reassigned"
    shapes = {len(v.shape) for c in cases for v in c.inputs.values()}
    assert shapes >= {0, 1, 2, 3}
    nodes = [n for c in cases for s in c.statements for n in walk(s.expr) if n.kind == "op"]

    def both_ways(n: Expr) -> bool:  # each argument broadcast along an axis of the other
        if len(n.args) != 2 or n.name in ("matmul", "dot", "cross_entropy"):
            return False
        a, b = n.args[0].shape, n.args[1].shape
        k = min(len(a), len(b))
        pairs = list(zip(a[len(a) - k:], b[len(b) - k:], strict=True))
        return any(x == 1 < y for x, y in pairs) and any(y == 1 < x for x, y in pairs)
    assert any(both_ways(n) for n in nodes), "broadcasting both ways"
    assert any(n.name == "cross_entropy" and n.args[0].kind == "op"
               and n.args[0].name in ("transpose", "matmul", "dot") for n in nodes), \
        "cross_entropy of non-contiguous logits"
    assert any(n.name == "cross_entropy" and n.args[1].shape == n.args[0].shape for n in nodes), \
        "cross_entropy with probabilities"
    assert any(n.name == "pow" and n.args[1].kind != "const" and n.args[1].shape for n in nodes), \
        "a tensor exponent"
    assert any(n.name in ("matmul", "dot") and len(n.args[0].shape) == 1 for n in nodes)
    assert any(n.name in ("matmul", "dot") and len(n.args[1].shape) == 1 for n in nodes)
    for op in ("softmax", "log_softmax"):
        axes = {n.kwargs.get("axis", -1) for n in nodes if n.name == op}
        assert {0, 1, 2} <= axes or {0, 1} <= axes, (op, axes)
    reused = [c for c in cases if any(n.kind == "ref" for s in c.statements for n in walk(s.expr))]
    assert reused, "a statement's name used by a later statement"


# --------------------------------------------------------------------------- regressions


def test_cross_entropy_with_negative_target_weights_matches_torch() -> None:
    """Found by the generator: probabilities below 0 had their terms dropped from the loss
    (a mask meant for 0 * log 0) while the gradient kept them."""
    logits = [[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]]
    target = [[-0.3, 0.5, 0.2], [0.7, -0.1, 0.4]]
    result = analyze("loss = cross_entropy(z, t)", {"z": logits, "t": target})
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    t = torch.tensor(target, dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(z, t)
    loss.backward()
    assert result["value"] == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(result["gradients"]["z"], z.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(result["gradients"]["t"], t.grad.numpy(), rtol=1e-12)


# --------------------------------------------------------------------------- kinks

T = torch.float64
KINKS = [  # (expression, values, the same in torch over tensors t)
    ("abs(x)", {"x": 0.0}, lambda t: t["x"].abs()),
    ("sum(abs(x))", {"x": [0.0, -2.0, 3.0, 0.0]}, lambda t: t["x"].abs().sum()),
    ("relu(x)", {"x": 0.0}, lambda t: t["x"].relu()),
    ("sum(relu(x) * y)", {"x": [[0.0, 1.0], [-1.0, 0.0]], "y": [2.0, 3.0]},
     lambda t: (t["x"].relu() * t["y"]).sum()),
    ("maximum(a, b)", {"a": 1.5, "b": 1.5}, lambda t: torch.maximum(t["a"], t["b"])),
    ("sum(minimum(a, b))", {"a": [1.0, 2.0, 2.0], "b": 2.0}, lambda t: torch.minimum(t["a"], t["b"]).sum()),
    ("sum(maximum(a, b) * c)", {"a": [[1.0, 2.0]], "b": [[1.0], [2.0]], "c": [[1.0, 2.0], [3.0, 4.0]]},
     lambda t: (torch.maximum(t["a"], t["b"]) * t["c"]).sum()),
    ("max(x)", {"x": [3.0, 1.0, 3.0, 3.0]}, lambda t: t["x"].amax()),
    ("sum(min(x, axis=-1) * w)", {"x": [[0.0, 0.0, 2.0], [1.0, 5.0, 1.0]], "w": [1.0, 2.0]},
     lambda t: (t["x"].amin(dim=-1) * t["w"]).sum()),
    ("sum(max(x, axis=(0, 2), keepdims=True))", {"x": [[[1.0, 2.0], [2.0, 0.0]], [[2.0, 1.0], [0.0, 2.0]]]},
     lambda t: t["x"].amax(dim=(0, 2), keepdim=True).sum()),
    ("a ** b", {"a": 0.0, "b": 0.0}, lambda t: t["a"] ** t["b"]),
    ("sum(a ** b)", {"a": [0.0, 0.0, 2.0], "b": [0.0, 2.0, 3.0]}, lambda t: (t["a"] ** t["b"]).sum()),
    ("x ** 2 + abs(x) + relu(x)", {"x": 0.0}, lambda t: t["x"] ** 2 + t["x"].abs() + t["x"].relu()),
    # the neural-network functions: leaky_relu's slope at 0 is the negative slope; a pooling
    # window sends its gradient to its first maximum; softplus is x above 20
    ("sum(leaky_relu(x, 0.2))", {"x": [0.0, -1.0, 2.0]}, lambda t: F.leaky_relu(t["x"], 0.2).sum()),
    ("leaky_relu(x)", {"x": 0.0}, lambda t: F.leaky_relu(t["x"])),
    ("sum(max_pool2d(x, 2) * w)", {"x": [[[[1.0, 3.0, 0.0, 0.0], [3.0, 3.0, 0.0, 0.0],
                                           [2.0, 1.0, 5.0, 5.0], [1.0, 2.0, 5.0, 4.0]]]],
                                   "w": [[1.0, 2.0], [3.0, 4.0]]},
     lambda t: (F.max_pool2d(t["x"], 2) * t["w"]).sum()),
    ("sum(max_pool2d(x, 2, 1))", {"x": [[[2.0, 2.0, 2.0], [2.0, 2.0, 1.0], [0.0, 2.0, 2.0]]]},
     lambda t: F.max_pool2d(t["x"], 2, 1).sum()),
    ("sum(softplus(x))", {"x": [20.0, 20.5, -30.0, 0.0]}, lambda t: F.softplus(t["x"]).sum()),
    ("sum(where(m, a, b))", {"m": [0.0, 1.0, -1.0], "a": [1.0, 2.0, 3.0], "b": 5.0},
     lambda t: torch.where(t["m"] != 0, t["a"], t["b"]).sum()),
    ("sum(gelu(x))", {"x": [0.0, -8.0, 8.0]}, lambda t: F.gelu(t["x"]).sum()),
]


@pytest.mark.parametrize(("expression", "values", "reference"), KINKS, ids=[k[0] for k in KINKS])
def test_kink_conventions_are_torchs(expression: str, values: dict, reference) -> None:
    """At kinks, ties and 0**0 chainrule follows PyTorch: the same value and gradients."""
    result = analyze(expression, values)
    leaves = {k: torch.tensor(v, dtype=T, requires_grad=True) for k, v in values.items()}
    out = reference(leaves)
    out.sum().backward()
    np.testing.assert_allclose(result["value"], out.detach().numpy(), rtol=1e-12)
    for name, leaf in leaves.items():
        want = np.zeros(leaf.shape) if leaf.grad is None else leaf.grad.numpy()  # where's mask
        np.testing.assert_allclose(result["gradients"][name], want, rtol=1e-12, atol=0,
                                   err_msg=f"d/d{name} of {expression}")


def test_a_failing_case_shrinks_to_a_pasteable_reproduction() -> None:
    """Shrinking keeps what fails and drops the rest: here 'fails' means 'uses log_softmax'."""
    def fails(c: Case) -> bool:
        return "log_softmax" in c.ops

    for seed in range(3):
        case = random_case(np.random.default_rng(seed), statements=4, depth=3, root="log_softmax")
        small = shrink(case, fails)
        assert fails(small)
        assert len(small.statements) <= len(case.statements)
        ops = [n for s in small.statements for n in walk(s.expr) if n.kind == "op"]
        assert [n.name for n in ops] in (["log_softmax"], ["log_softmax", "pos"], ["pos", "log_softmax"]), \
            small.expression
        text = reproduction(small, "made up")
        assert "log_softmax(" in text and "values = {" in text
        # the reproduction is a real program: chainrule analyses it, torch agrees
        assert compare_with_torch(small) is None
