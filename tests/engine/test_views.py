"""Views and copies: writes that must land, caches that must not go stale.

numpy's ``reshape``/``ravel`` return a view of a C-contiguous array but a *copy* of any
other (a transpose, a Fortran-ordered input, some matmul results), so a write through them
is silently lost; an identity-keyed cache goes stale when the caller changes an array in
place. Each test below failed before its fix, with PyTorch (float64) as the reference.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from chainrule import analyze, train

X = [[0.0, 0.2], [0.4, 0.6], [0.8, 1.0]]


def test_cross_entropy_of_a_transpose_matches_torch() -> None:
    """Issue 10's case: the "subtract 1 at the target class" was written into a copy."""
    result = analyze("loss = cross_entropy(x.T, labels)", {"x": X, "labels": [2, 0]})
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(x.T, torch.tensor([2, 0]))
    loss.backward()
    assert result["value"] == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(result["gradients"]["x"], x.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(result["gradients"]["x"],
                               [[0.106, -0.394], [0.1581, 0.1581], [-0.2641, 0.2359]], atol=1e-4)


@pytest.mark.parametrize("expression", [
    "loss = cross_entropy(x.T, t)",
    "loss = cross_entropy(transpose(x3, axes=(2, 0, 1)), t3)",
    "loss = cross_entropy((x @ w).T, t)",
    "loss = cross_entropy(transpose(x) * 2, t)",
])
@pytest.mark.parametrize("target", ["indices", "probabilities"])
def test_cross_entropy_of_non_contiguous_logits_matches_torch(expression: str, target: str) -> None:
    rng = np.random.default_rng(7)
    x, w, x3 = rng.normal(size=(3, 4)), rng.normal(size=(4, 4)), rng.normal(size=(5, 3, 4))
    f = torch.nn.functional
    logits_of = {
        "x.T": lambda t: t["x"].T,
        "axes=": lambda t: t["x3"].permute(2, 0, 1),
        "(x @ w)": lambda t: (t["x"] @ t["w"]).T,
        "transpose(x) * 2": lambda t: t["x"].T * 2,
    }
    make = next(fn for key, fn in logits_of.items() if key in expression)
    inputs = {"x": x, "w": w, "x3": x3}
    shape = make({k: torch.tensor(v) for k, v in inputs.items()}).shape
    if target == "indices":
        labels = rng.integers(0, shape[-1], size=shape[:-1]).astype(float)
    else:
        labels = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    name = "t3" if "x3" in expression else "t"
    used = {k: v for k, v in inputs.items() if re.search(rf"\b{k}\b", expression)}
    result = analyze(expression, {**used, name: labels.tolist()})

    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in used.items()}
    logp = f.log_softmax(make(leaves), dim=-1)
    if target == "indices":
        picked = logp.gather(-1, torch.tensor(labels, dtype=torch.int64).unsqueeze(-1))
        loss = -picked.mean()
    else:
        loss = -(torch.tensor(labels) * logp).sum() / labels[..., 0].size
    loss.backward()
    assert result["value"] == pytest.approx(loss.item(), rel=1e-10)
    for k, leaf in leaves.items():
        np.testing.assert_allclose(result["gradients"][k], leaf.grad.numpy(), rtol=1e-9, atol=1e-13)


def test_an_array_changed_in_place_between_analyses_is_read_again() -> None:
    """The loss was cached by the identity of its arguments: the same array object, changed
    in place by a Python API caller, gave the old loss back."""
    x = np.array(X)
    t = np.array([1.0, 0.0, 1.0])
    before = analyze("loss = cross_entropy(x, t)", {"x": x, "t": t})["value"]
    x[0, 0] = 5.0
    after = analyze("loss = cross_entropy(x, t)", {"x": x, "t": t})["value"]
    expected = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor([1, 0, 1])).item()
    assert after == pytest.approx(expected, rel=1e-12)
    assert after != pytest.approx(before)


def test_gradient_check_of_a_fortran_ordered_input() -> None:
    """The check nudged each element through reshape(-1), a copy for a Fortran-ordered
    array: every numeric derivative came out 0."""
    x = np.asfortranarray([[0.3, 0.2], [0.4, 0.6], [0.8, 1.0]])
    check = analyze("loss = sum(x * x * x)", {"x": x}, check=True)["check"]["x"]
    np.testing.assert_allclose(check["numeric"], (3 * x**2).reshape(-1), rtol=1e-6)
    assert check["rel_error"] < 1e-7


def test_training_on_non_contiguous_logits_follows_torch() -> None:
    """The trainer steps with the engine's gradient: a lost write would bend the trajectory."""
    w0 = np.random.default_rng(3).normal(size=(4, 3))
    x = np.random.default_rng(4).normal(size=(4, 5))
    labels = [0, 2, 1, 1, 0]
    result = train("loss = cross_entropy((w.T @ x).T, t)", {"w": w0.tolist(), "x": x.tolist(),
                   "t": labels}, ["w"], optimizer={"name": "sgd", "lr": 0.5}, steps=5)
    w = torch.tensor(w0, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.5)
    for step in result["trajectory"]:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy((w.T @ torch.tensor(x)).T, torch.tensor(labels))
        loss.backward()
        assert step["loss"] == pytest.approx(loss.item(), rel=1e-12)
        np.testing.assert_allclose(step["grads"]["w"], w.grad.numpy(), rtol=1e-10, atol=1e-14)
        opt.step()
    np.testing.assert_allclose(result["final_params"]["w"], w.detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("value", [np.float64(-0.5), np.array(-0.5), np.float32(-0.5)])
def test_numpy_scalars_take_the_scalar_path(value: object) -> None:
    """A numpy scalar (an optimizer's sqrt makes one) met the scalar path's Python
    arithmetic: abs's sign of an np.float64 raised TypeError."""
    from chainrule.engine import compile_program
    run = compile_program("loss = abs(w) + relu(w) * w").run({"w": value})  # type: ignore[dict-item]
    assert run.loss == 0.5
    assert run.input_grads["w"] == -1.0
    assert type(run.input_grads["w"]) is float
