"""Exported PyTorch scripts run with real torch and pass their own asserts.

The scripts are our own generated text (never a user's), executed in this process with
``exec`` so hundreds of them stay fast; each gets a fresh namespace.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

from chainrule.engine.ops import OPS
from chainrule.examples import EXAMPLES
from chainrule.export.pytorch import to_pytorch
from chainrule.training.examples import TRAINING_EXAMPLES

torch = pytest.importorskip("torch", reason="torch is a test dependency (the bench extra)")
from tests.support.random_expr import (  # noqa: E402  (imports torch)
    INFIX,
    random_case,
    reproduction,
    walk,
)

#: Hand-picked forms of each op (every op is also exported in random programs rooted at it).
OP_CASES: list[tuple[str, dict[str, Any]]] = [
    ("y = a + b - c * d / e", {"a": 1.5, "b": -2, "c": 3, "d": 0.5, "e": 4}),
    ("y = x ** 3 + 2 ** x + x ** y0", {"x": 1.7, "y0": 0.5}),
    ("y = -x + -(2) + 2 ** 3 ** 0.5", {"x": 2}),
    ("y = relu(x) + sigmoid(x) + tanh(x) + exp(x) + square(x)", {"x": [-1.0, 0.0, 2.0]}),
    ("y = log(x) + sqrt(x) + abs(x - 2) + sin(x) + cos(x)", {"x": [0.5, 2.0, 3.0]}),
    ("y = maximum(x, z) + minimum(x, 1)", {"x": [1.0, 2.0, -1.0], "z": [1.0, 0.0, 3.0]}),
    ("y = sum(x @ W) + sum(dot(v, W)) + v @ v", {"x": [[1.0, 2.0], [3.0, 4.0]],
                                                   "W": [[0.5, -1.0], [2.0, 0.25]], "v": [1.0, -2.0]}),
    ("y = sum(x.T * transpose(x)) + sum(transpose(t, axes=(2, 0, 1)))",
     {"x": [[1.0, 2.0, 0.5], [3.0, 4.0, -1.0]], "t": {"init": "normal", "shape": [2, 3, 4]}}),
    ("s = sum(x, axis=0) + mean(x, axis=1) + max(x, axis=-1, keepdims=True)\ny = sum(s) + min(x)",
     {"x": [[1.0, 3.0, 3.0], [2.0, -1.0, 0.0], [5.0, 5.0, 1.0]]}),
    ("y = logsumexp(x) + sum(logsumexp(x, axis=0)) + logsumexp(c)", {"x": [[1.0, 2.0], [0.0, -1.0]], "c": 2.0}),
    ("y = sum(softmax(x) * w) + sum(log_softmax(x, axis=0) * w) + sum(softmax(x, axis=(0, 1)) * w)",
     {"x": [[1.0, 2.0], [0.5, -1.0]], "w": [[1.0, 2.0], [3.0, 4.0]]}),
    ("y = sum(softmax(x, axis=None) * x) + sum(log_softmax(v, axis=None) * v)",
     {"x": [[1.0, 2.0], [0.5, -1.0]], "v": [1.0, 2.0, 0.5]}),
    ("y = sum(sum(x, axis=None, keepdims=True)) + sum(mean(x, axis=(0, 1), keepdims=True)) + logsumexp(c)",
     {"x": [[1.0, 2.0], [0.5, -1.0]], "c": 2.0}),
    ("y = mse(p, t) + mse(p, 1)", {"p": [[1.0, 2.0], [0.0, 1.0]], "t": [1.5, 0.0]}),
    ("y = cross_entropy(z, k) + cross_entropy(z, q) + cross_entropy(z3, k3) + cross_entropy(v, c)",
     {"z": [[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], "k": [2, 0], "q": [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]],
      "z3": {"init": "normal", "shape": [2, 2, 3], "seed": 3}, "k3": [[0, 1], [2, 2]],
      "v": [0.5, 1.5, -1.0], "c": 1}),
    ("y = w*x; y = y*y + x\nloss = y", {"w": 2.0, "x": 3.0}),
    ("torch = x * 2\nF = torch + 1", {"x": 2.0}),
    ("h = x * 2", {"x": [1.0, 2.0]}),
    ("x", {"x": 2.0}),
    # the neural-network functions (chainrule.engine.ops_nn)
    ("y = sum(reshape(x, (3, 2)) * w) + sum(flatten(t, start_axis=1)) + x[0, -1] + sum(x[:, ::2]) + sum(x[1])",
     {"x": [[1.0, 2.0, 0.5], [3.0, 4.0, -1.0]], "w": [[1.0, 2.0], [0.5, 1.0], [-1.0, 3.0]],
      "t": {"init": "normal", "shape": [2, 3, 2], "seed": 1}}),
    ("y = sum(concat((a, b), axis=1) ** 2) + sum(stack((a, a * 2), 1)) + sum(concat((a,)))",
     {"a": [[1.0, 2.0], [0.5, -1.0]], "b": [[3.0], [4.0]]}),
    ("y = sum(where(m, a, 0.5) + gelu(a) + softplus(a) + leaky_relu(a, 0.2))",
     {"m": [[1.0, 0.0], [0.0, 2.0]], "a": [[1.0, -2.0], [0.5, -1.0]]}),
    ("y = var(x) + sum(std(x, axis=0)) + sum(var(x, axis=1, keepdims=True)) + std(x, keepdims=True)[0, 0]",
     {"x": [[1.0, 2.0, 0.5], [3.0, 4.0, -1.0]]}),
    ("y = sum(layer_norm(x) * w) + sum(layer_norm(x, axis=0, eps=0.1) * w) + sum(batch_norm(x) * w)",
     {"x": [[1.0, 2.0, 0.5], [3.0, 4.0, -1.0]], "w": [[1.0, 2.0, -1.0], [0.5, 1.0, 3.0]]}),
    ("y = sum(batch_norm(x, eps=0.01) * w)", {"x": {"init": "normal", "shape": [2, 3, 2, 2], "seed": 2},
                                              "w": {"init": "normal", "shape": [2, 3, 2, 2], "seed": 3}}),
    ("y = sum(embedding(E, i) * w)", {"E": [[1.0, 2.0], [0.5, -1.0], [3.0, 4.0]], "i": [[2, 0], [2, 2]],
                                      "w": {"init": "normal", "shape": [2, 2, 2], "seed": 4}}),
    ("h = conv2d(x, K, stride=2, padding=1)\ny = sum(max_pool2d(h, 2) ** 2) + sum(avg_pool2d(h, 2, 1))",
     {"x": {"init": "normal", "shape": [2, 1, 7, 7], "seed": 5}, "K": {"init": "normal", "shape": [3, 1, 3, 3], "seed": 6}}),
]


def run_script(script: str) -> None:
    exec(compile(script, "<chainrule export>", "exec"), {"__name__": "chainrule_export"})


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["id"] for e in EXAMPLES])
def test_every_builtin_example_passes_its_own_asserts(example: dict[str, Any]) -> None:
    run_script(to_pytorch(example["expression"], example["values"]))


@pytest.mark.parametrize(("expression", "values"), OP_CASES, ids=[e for e, _ in OP_CASES])
def test_every_op_passes_its_own_asserts(expression: str, values: dict[str, Any]) -> None:
    run_script(to_pytorch(expression, values))


@pytest.mark.parametrize("example", TRAINING_EXAMPLES, ids=[e["id"] for e in TRAINING_EXAMPLES])
def test_every_training_example_runs_torch_optim_along_the_trajectory(example: dict[str, Any]) -> None:
    setup = {k: example[k] for k in ("params", "data", "dataset", "optimizer", "steps", "seed", "batch_size")
             if k in example}
    script = to_pytorch(example["expression"], example["values"], example.get("output"), training=setup)
    assert f"torch.optim.{type(None).__name__}" not in script
    run_script(script)


@pytest.mark.parametrize("optimizer", [{"name": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True},
                                       {"name": "adagrad", "lr": 0.5}, {"name": "rmsprop", "lr": 0.01},
                                       {"name": "adam", "lr": 0.1}, {"name": "adamw", "lr": 0.1}])
def test_mini_batches_follow_the_same_rows(optimizer: dict[str, Any]) -> None:
    script = to_pytorch("loss = mean((w*x + b - y)**2)", {"w": 0.3, "b": 0.0},
                        training={"params": ["w", "b"], "data": {"x": [1, 2, 3, 4], "y": [2, 4, 6, 8]},
                                  "optimizer": optimizer, "steps": 12, "batch_size": 3, "seed": 4})
    assert "'batch': [" in script
    run_script(script)


def test_a_wrong_number_fails_the_script() -> None:
    script = to_pytorch("y = w*x + b\nloss = abs(y_true - y)", {"x": 2, "y_true": 4, "w": 3, "b": 1})
    assert "check('d loss/d w', inputs['w'].grad, 2.0)" in script
    with pytest.raises(AssertionError, match="d loss/d w"):
        run_script(script.replace("check('d loss/d w', inputs['w'].grad, 2.0)",
                                  "check('d loss/d w', inputs['w'].grad, 2.001)"))


def test_the_script_reads_like_the_expression() -> None:
    script = to_pytorch("y = w*x + b\nloss = abs(y_true - y)", {"x": 2, "y_true": 4, "w": 3, "b": 1})
    assert "    y = w * x + b\n    loss = torch.abs(y_true - y)\n" in script
    assert "'w': torch.tensor(3.0, requires_grad=True)" in script
    assert "values['loss'].backward()" in script


def test_the_expression_in_the_docstring_cannot_end_it() -> None:
    script = to_pytorch('y = x # """ + print(1)\n', {"x": 1.0})
    run_script(script)
    assert 'print(1)\n\nRunning' in script and '\\"\\"\\"' in script


#: CHAINRULE_SOAK=2000 exports that many random programs (and more per op) instead.
SOAK = int(os.environ.get("CHAINRULE_SOAK", "0"))
RANDOM_PROGRAMS = SOAK or 400  # random programs of the differential generator (~3 s)
RANDOM_TRAININGS = 40


def test_random_programs_pass_their_own_asserts() -> None:
    failures = []
    for seed in range(RANDOM_PROGRAMS):
        # every other program: the last statement's arguments are operator expressions
        case = random_case(np.random.default_rng(seed), seed=seed, infix_args=seed % 2 == 1)
        try:
            run_script(to_pytorch(case.expression, case.values, case.output))
        except Exception as exc:  # collected, so one run reports every failing program
            failures.append(f"{reproduction(case)}\n{type(exc).__name__}: {str(exc)[:500]}")
    assert not failures, f"{len(failures)} of {RANDOM_PROGRAMS} exported scripts fail:\n\n" + "\n\n".join(failures[:3])


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_random_programs_train_along_the_same_trajectory(optimizer: str) -> None:
    failures, trained = [], 0
    for seed in range(10_000, 10_000 + RANDOM_TRAININGS):
        case = random_case(np.random.default_rng(seed), seed=seed)
        params = [n for n in case.inputs if n not in case.class_inputs]
        if not params:
            continue
        trained += 1
        setup = {"params": params, "optimizer": {"name": optimizer, "lr": 1e-3}, "steps": 3}
        try:
            run_script(to_pytorch(case.expression, case.values, case.output, training=setup))
        except Exception as exc:
            failures.append(f"{reproduction(case)}\n{type(exc).__name__}: {str(exc)[:500]}")
    assert trained > RANDOM_TRAININGS // 2
    assert not failures, f"{len(failures)} of {trained} exported trainings fail:\n\n" + "\n\n".join(failures[:3])


# --------------------------------------------------------------------------- precedence

def test_infix_arguments_inside_a_call_keep_their_precedence() -> None:
    """The template writes mse as torch.mean(torch.square({0} - {1})): the printer, not the
    template, decides the parentheses, so c - a stays one operand."""
    script = to_pytorch("y = mse(a - b, c - a)", {"a": [1.0, 2.0], "b": 0.5, "c": [3.0, -1.0]})
    assert "torch.mean(torch.square(a - b - (c - a)))" in script
    run_script(script)


@pytest.mark.parametrize(("expression", "written"), [
    ("y = (a + b) * c", "(a + b) * c"),
    ("y = a - (b - c)", "a - (b - c)"),
    ("y = (a ** b) ** c", "(a ** b) ** c"),
    ("y = a ** b ** c", "a ** b ** c"),
    ("y = (-a) ** 2", "(-a) ** 2"),
    ("y = -a ** 2", "-a ** 2"),
    ("y = a / (b * c)", "a / (b * c)"),
    ("y = sum(transpose(m + m))", "torch.sum((m + m).permute((1, 0)))"),
    ("y = cross_entropy(m * 2, k)", "F.cross_entropy(m * 2, k)"),
    ("y = 2 ** -1 + x", "torch.tensor(2.0) ** (-1) + x"),
])
def test_operators_are_parenthesised_by_precedence(expression: str, written: str) -> None:
    values = {"a": 1.5, "b": 0.5, "c": 2.0, "x": 1.0, "m": [[1.0, 2.0], [0.5, 3.0]], "k": [1, 0]}
    script = to_pytorch(expression, {n: v for n, v in values.items() if n in expression})
    assert f"    y = {written}\n" in script
    run_script(script)


ROUND_TRIPS_PER_OP = 8 * (1 + SOAK // 500)


def _infix_positions(case: Any, op: str) -> set[int]:
    """The argument positions of ``op`` nodes that hold an operator expression."""
    return {k for st in case.statements for n in walk(st.expr) if n.kind == "op" and n.name == op
            for k, a in enumerate(n.args) if a.kind == "op" and a.name in INFIX}


#: Arguments that are integer inputs, never an expression: embedding's row indices.
NEVER_INFIX: dict[str, set[int]] = {"embedding": {1}}


@pytest.mark.parametrize("op", sorted(OPS))
def test_round_trip_of_each_op_with_infix_arguments(op: str) -> None:
    """Random programs rooted at ``op`` whose arguments are operator expressions: exported,
    run with torch, the same numbers as chainrule (the script asserts them)."""
    failures, infix = [], set()
    for k in range(ROUND_TRIPS_PER_OP):
        seed = 7_000_000 + 1000 * sorted(OPS).index(op) + k
        case = random_case(np.random.default_rng(seed), root=op, seed=seed, infix_args=True)
        infix |= _infix_positions(case, op)
        try:
            run_script(to_pytorch(case.expression, case.values, case.output))
        except Exception as exc:
            failures.append(f"{reproduction(case)}\n{type(exc).__name__}: {str(exc)[:500]}")
    assert not failures, f"{len(failures)} of {ROUND_TRIPS_PER_OP} fail:\n\n" + "\n\n".join(failures[:2])
    # (concat and stack take any number of tensors: positions past the table's two count too)
    assert set(range(OPS[op].arity)) - NEVER_INFIX.get(op, set()) <= infix, \
        f"{op}: arguments never infix: {infix}"


# --------------------------------------------------------------------------- unusual but valid text


@pytest.mark.parametrize(("expression", "values"), [
    ("y = ｘ * x", {"ｘ": 2.0, "x": 3.0}),  # noqa: RUF001  Python reads both as x (NFKC)
    ("y = ﬁ + fi", {"ﬁ": 2.0, "fi": 3.0}),
    ("y = \u212a * K", {"\u212a": 2.0, "K": 3.0}),  # the Kelvin sign
    ("ｔｏｒｃｈ = x * 2\ny = tanh(ｔｏｒｃｈ)", {"x": 0.5}),  # noqa: RUF001  would shadow the module
    ("Ｆ = x * 2\ny = cross_entropy(z * Ｆ, k)", {"x": 0.5, "z": [[1.0, 2.0]], "k": [1]}),  # noqa: RUF001
    ("y = inf * 2 + 1e400", {"inf": 1.0}),  # the literal overflows to inf; the input is not it
    ("y = nan * 2 + inf * 0 + 1e400", {"nan": 1.0, "inf": 2.0}),
    ("y = x * 007 + 010", {"x": 2.0}),  # leading zeros: not Python
    ("y = x * 123456789012345678901234567890", {"x": 2.0}),  # not an int64
    ("y = x ** 2  # a \x00 byte, a \x1b escape and \ud800", {"x": 2.0}),
    ("y = 2", {}),  # a constant output is a float tensor
])
def test_unusual_but_valid_names_and_numbers_export_runnable_scripts(expression: str,
                                                                     values: dict[str, Any]) -> None:
    run_script(to_pytorch(expression, values))


def test_the_docstring_keeps_an_unprintable_character_as_its_escape() -> None:
    script = to_pytorch("y = x  # a \x00 byte", {"x": 2.0})
    assert "\x00" not in script and "a \\x00 byte" in script
    namespace: dict[str, Any] = {"__name__": "chainrule_export"}
    exec(compile(script, "<chainrule export>", "exec"), namespace)
    assert "y = x  # a \x00 byte" in namespace["__doc__"]


# chainrule's rmsprop takes the square root of the negative variance as torch does (NaN), and
# numpy says so: the training code does not silence it (chainrule/training/optimizers.py)
@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
def test_rmsprop_with_a_large_alpha_and_centering_follows_torch() -> None:
    """alpha=5 drives the centred variance negative: both sides go NaN, and the next step's
    gradient of abs at NaN is torch's, 0."""
    script = to_pytorch("y = w*x + b\nloss = abs(y_true - y)", {"x": 2, "y_true": 4, "w": 3, "b": 1},
                        training={"params": ["w", "b"], "steps": 5,
                                  "optimizer": {"name": "rmsprop", "lr": 0.01, "alpha": 5, "centered": True}})
    run_script(script)


# --------------------------------------------------------------------------- class labels


def test_class_labels_are_integer_tensors_without_gradients() -> None:
    script = to_pytorch("loss = cross_entropy(z, k) + cross_entropy(z3, k3)",
                        {"z": [[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], "k": [2, 0],
                         "z3": {"init": "normal", "shape": [2, 2, 3], "seed": 3}, "k3": [[0.0, 1.0], [2.0, 2.0]]})
    assert "    'k': torch.tensor([2, 0]),\n" in script
    assert "    'k3': torch.tensor([[0, 1], [2, 2]]),\n" in script
    assert "F.cross_entropy(z, k)" in script and "k3.reshape(-1)" in script
    assert ".long()" not in script and "/d k'" not in script and "/d k3'" not in script
    namespace: dict[str, Any] = {"__name__": "chainrule_export"}
    exec(compile(script, "<chainrule export>", "exec"), namespace)
    assert namespace["inputs"]["k"].dtype == torch.long and not namespace["inputs"]["k"].requires_grad


def test_an_input_used_as_labels_and_as_a_number_stays_a_float() -> None:
    script = to_pytorch("loss = cross_entropy(z, k) + sum(k)", {"z": [[1.0, 2.0], [0.5, 0.0]], "k": [1, 0]})
    assert "'k': torch.tensor([1.0, 0.0], requires_grad=True)" in script
    assert "F.cross_entropy(z, k.long())" in script
    run_script(script)


def test_labels_of_a_training_set_are_integer_tensors() -> None:
    script = to_pytorch("loss = cross_entropy(x @ W, label)", {"W": [[0.1, -0.2], [0.3, 0.0]]},
                        training={"params": ["W"], "data": {"x": [[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]],
                                                           "label": [1, 0, 1]},
                                  "optimizer": {"name": "sgd", "lr": 0.1}, "steps": 4, "batch_size": 2})
    assert "    'label': torch.tensor([1, 0, 1]),\n" in script
    run_script(script)
