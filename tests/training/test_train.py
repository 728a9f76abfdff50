
"""train(): the contract's trajectory semantics, mini-batches, bad input, divergence,
the examples' promises, and full-batch trajectories against torch.optim."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chainrule.config import LIMITS
from chainrule.errors import ChainruleError
from chainrule.training.examples import TRAINING_EXAMPLES, train_kwargs
from chainrule.training.optimizers import OPTIMIZERS
from chainrule.training.train import train

LINEAR = "loss = mean((w*x + b - y)**2)"
DATA = {"x": [1, 2, 3, 4], "y": [2, 4, 6, 8]}


def test_contract_example_numbers() -> None:
    r = train(
        LINEAR,
        {"w": 0.3, "b": 0.0},
        ["w", "b"],
        data=DATA,
        optimizer={"name": "sgd", "lr": 0.05, "momentum": 0.9},
        steps=100,
    )
    first = r["trajectory"][0]
    assert first["step"] == 0
    assert first["loss"] == pytest.approx(21.675)
    assert first["params"] == {"w": 0.3, "b": 0.0}
    assert first["grads"] == pytest.approx({"w": -25.5, "b": -8.5})
    assert len(r["trajectory"]) == 100
    assert r["final_params"]["w"] == pytest.approx(2.0, abs=0.05)
    assert r["final_loss"] < 1e-2
    assert r["warnings"] == []
    assert r["stopped"] is None


def test_trajectory_holds_params_before_each_update_and_final_after_the_last() -> None:
    lr = 0.01
    r = train(
        LINEAR,
        {"w": 0.3, "b": 0.0},
        ["w", "b"],
        data=DATA,
        optimizer={"name": "sgd", "lr": lr},
        steps=5,
    )
    traj = r["trajectory"]
    for k in range(4):
        for p in ("w", "b"):
            want = traj[k]["params"][p] - lr * traj[k]["grads"][p]
            assert traj[k + 1]["params"][p] == pytest.approx(want, rel=1e-12)
    last = traj[-1]
    assert r["final_params"]["w"] == pytest.approx(last["params"]["w"] - lr * last["grads"]["w"])
    w, b = r["final_params"]["w"], r["final_params"]["b"]
    x, y = np.array(DATA["x"]), np.array(DATA["y"])
    assert r["final_loss"] == pytest.approx(np.mean((w * x + b - y) ** 2), rel=1e-12)


def test_update_explanation_of_the_worked_example() -> None:
    ex = TRAINING_EXAMPLES[0]
    r = train(**train_kwargs(ex))
    upd = r["trajectory"][0]["update"]
    assert upd["w"]["lines"] == ["w ← w − lr·grad = 3 − 0.1×2 = 2.8"]
    assert upd["b"]["lines"] == ["b ← b − lr·grad = 1 − 0.1×1 = 0.9"]
    assert upd["w"]["terms"]["lr"] == 0.1 and upd["w"]["grad"] == 2.0
    assert r["trajectory"][1]["params"]["w"] == pytest.approx(2.8)
    losses = [s["loss"] for s in r["trajectory"]]
    assert losses[:7] == pytest.approx([3.0, 2.5, 2.0, 1.5, 1.0, 0.5, 0.0], abs=1e-12)


def test_momentum_explanation_with_dampening() -> None:
    r = train(
        "loss = w**2",
        {"w": 1.0},
        ["w"],
        steps=2,
        optimizer={"name": "sgd", "lr": 0.1, "momentum": 0.9, "dampening": 0.5},
    )
    # v1 = 2; w1 = 0.8; g2 = 1.6; v2 = 0.9×2 + 0.5×1.6 = 2.6; w2 = 0.8 − 0.26 = 0.54
    assert r["trajectory"][0]["update"]["w"]["lines"] == ["v ← grad = 2", "w ← w − lr·v = 1 − 0.1×2 = 0.8"]
    assert r["trajectory"][1]["update"]["w"]["lines"] == [
        "v ← μ·v + (1−τ)·grad = 0.9×2 + 0.5×1.6 = 2.6",
        "w ← w − lr·v = 0.8 − 0.1×2.6 = 0.54",
    ]


def test_tensor_params_explain_their_first_element() -> None:
    r = train(
        "loss = sum((W @ x - y)**2)",
        {"W": [[1.0, 2.0]], "x": [[1.0], [1.0]], "y": [[0.0]]},
        ["W"],
        optimizer={"name": "sgd", "lr": 0.1, "momentum": 0.5},
        steps=2,
    )
    upd = r["trajectory"][1]["update"]["W"]
    assert upd["index"] == [0, 0]
    assert upd["lines"][0].startswith("v ← μ·v + grad = 0.5×")
    assert upd["lines"][1].startswith("W[0,0] ← W[0,0] − lr·v")
    assert isinstance(r["final_params"]["W"], list)


# ------------------------------------------------------------------ mini-batches


def _batch_run(seed: int, batch_size: int = 3, steps: int = 12):
    data = {"x": list(range(10)), "y": [2 * i + 1 for i in range(10)]}
    return train(
        LINEAR,
        {"w": 0.0, "b": 0.0},
        ["w", "b"],
        data=data,
        batch_size=batch_size,
        optimizer={"name": "sgd", "lr": 0.001},
        steps=steps,
        seed=seed,
    )


def test_mini_batches_are_reproducible_with_the_seed() -> None:
    a, b, c = _batch_run(1), _batch_run(1), _batch_run(2)
    assert a == b
    assert [s["batch"] for s in a["trajectory"]] != [s["batch"] for s in c["trajectory"]]


def test_every_example_once_per_epoch() -> None:
    r = _batch_run(5, batch_size=3, steps=12)  # 10 rows: batches of 3, 3, 3, 1 per epoch
    traj = r["trajectory"]
    for epoch in range(3):
        rows = [i for s in traj if s["epoch"] == epoch for i in s["batch"]]
        assert sorted(rows) == list(range(10))
    assert [len(s["batch"]) for s in traj[:4]] == [3, 3, 3, 1]
    assert [s["epoch"] for s in traj] == [0] * 4 + [1] * 4 + [2] * 4


def test_batch_loss_and_per_example_rows() -> None:
    r = _batch_run(3, batch_size=4, steps=3)
    x = np.arange(10.0)
    y = 2 * x + 1
    for s in r["trajectory"]:
        idx = np.array(s["batch"])
        w, b = s["params"]["w"], s["params"]["b"]
        per = (w * x[idx] + b - y[idx]) ** 2
        assert s["loss"] == pytest.approx(per.mean(), rel=1e-12)
        assert s["example_losses"] == pytest.approx(per.tolist(), rel=1e-12)
        # the batch gradient of a mean loss is the mean of the per-example gradients
        assert np.mean(s["example_grads"]["w"]) == pytest.approx(s["grads"]["w"], rel=1e-12)


def test_full_batch_is_deterministic_and_has_no_batch_field_when_large() -> None:
    data = {"x": list(range(40)), "y": list(range(40))}

    def run(seed: int) -> dict:
        return train(LINEAR, {"w": 0.0, "b": 0.0}, ["w", "b"], data=data, steps=3,
                     optimizer={"name": "sgd", "lr": 1e-4}, seed=seed)

    r = run(9)
    assert "batch" not in r["trajectory"][0] and "example_losses" not in r["trajectory"][0]
    assert r == run(1)  # the full batch does not depend on the seed


def test_dataset_instead_of_data() -> None:
    r = train(
        "loss = mean((w*x + b - y)**2)",
        {"w": 0.0, "b": 0.0},
        ["w", "b"],
        dataset={"name": "linear", "n": 50, "seed": 1},
        steps=200,
        optimizer={"name": "sgd", "lr": 0.2},
    )
    assert r["final_params"]["w"] == pytest.approx(2.0, abs=0.1)
    assert r["final_params"]["b"] == pytest.approx(1.0, abs=0.1)
    assert r["data_rows"] == 50
    assert r["warnings"] == []


# ------------------------------------------------------------------ bad input


def _code(**kw) -> str:
    args = {
        "expression": LINEAR,
        "values": {"w": 0.3, "b": 0.0},
        "params": ["w", "b"],
        "data": DATA,
    }
    args.update(kw)
    with pytest.raises(ChainruleError) as exc:
        train(**args)
    return exc.value.code


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"optimizer": {"name": "nadam"}}, "bad_value"),
        ({"optimizer": {"name": "sgd", "lr": -1}}, "bad_value"),
        ({"params": ["w", "q"]}, "bad_value"),
        ({"params": []}, "bad_value"),
        ({"params": ["w", "w"]}, "bad_value"),
        ({"params": ["x"]}, "bad_value"),  # data cannot be a param
        ({"data": {"x": [1, 2, 3], "y": [1, 2]}}, "bad_value"),  # different lengths
        ({"data": {"x": [[1, 2], [3]], "y": [1, 2]}}, "bad_value"),  # ragged
        ({"data": {"x": 3, "y": [1]}}, "bad_value"),
        ({"data": {"x": [], "y": []}}, "bad_value"),
        ({"batch_size": 0}, "bad_value"),
        ({"batch_size": 5}, "bad_value"),  # > N = 4
        ({"batch_size": 2.5}, "bad_value"),
        ({"steps": -1}, "bad_value"),
        ({"steps": 1.5}, "bad_value"),
        ({"steps": LIMITS.max_train_steps + 1}, "limit_exceeded"),
        ({"values": {"w": 0.3}}, "missing_value"),
        ({"values": {"w": 0.3, "b": 0.0, "x": 1.0}}, "bad_value"),  # x in values and data
        ({"data": None, "dataset": "moons"}, "missing_value"),  # moons has no x
        ({"data": DATA, "dataset": "linear"}, "bad_value"),
        ({"dataset": "mnist", "data": None}, "bad_value"),
        ({"expression": "loss = w *"}, "syntax_error"),
        ({"seed": -3}, "bad_value"),
        (
            {"per_example": True, "data": None, "values": {"w": 0, "b": 0, "x": 1, "y": 2}},
            "bad_value",
        ),
    ],
)
def test_bad_input_is_a_chainrule_error(kw: dict, code: str) -> None:
    assert _code(**kw) == code


def test_work_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import chainrule.training.train as mod

    monkeypatch.setattr(mod, "LIMITS", type(LIMITS)(max_train_work=100))
    with pytest.raises(ChainruleError) as exc:
        train(LINEAR, {"w": 0.3, "b": 0.0}, ["w", "b"], data=DATA, steps=50)
    assert exc.value.code == "limit_exceeded"
    assert "CHAINRULE_MAX_TRAIN_WORK" in exc.value.message


def test_unknown_hyper_parameter_is_ignored_with_a_warning() -> None:
    r = train(
        LINEAR,
        {"w": 0.3, "b": 0.0},
        ["w", "b"],
        data=DATA,
        steps=2,
        optimizer={"name": "adam", "momentum": 0.9},
    )
    assert any("'adam' has no momentum" in w for w in r["warnings"])


# ------------------------------------------------------------------ divergence


def test_divergence_stops_early_with_a_warning() -> None:
    r = train(
        LINEAR,
        {"w": 0.3, "b": 0.0},
        ["w", "b"],
        data=DATA,
        optimizer={"name": "sgd", "lr": 1.0},
        steps=1000,
    )
    assert r["stopped"] == "diverged"
    assert len(r["trajectory"]) < 1000
    assert any("diverged" in w for w in r["warnings"])
    last = r["trajectory"][-1]
    assert r["final_params"] == last["params"]  # the update that would diverge is not applied


def test_non_finite_loss_is_encoded_and_stops() -> None:
    r = train("loss = log(w)", {"w": 1.0}, ["w"], optimizer={"name": "sgd", "lr": 2.0}, steps=10)
    assert r["stopped"] == "diverged"
    assert r["trajectory"][-1]["loss"] in ("NaN", "-Infinity")
    assert r["final_loss"] in ("NaN", "-Infinity")


# ------------------------------------------------------------------ the examples


def test_local_minimum_sgd_stalls_and_momentum_escapes() -> None:
    by_id = {ex["id"]: ex for ex in TRAINING_EXAMPLES}
    sgd = train(**train_kwargs(by_id["local-minimum-sgd"]))
    mom = train(**train_kwargs(by_id["local-minimum-momentum"]))
    f = lambda w: w**4 - 3 * w**2 + w + 2 * math.sin(3 * w)
    assert sgd["final_params"]["w"] == pytest.approx(1.3805, abs=1e-3)  # the local minimum
    assert mom["final_params"]["w"] == pytest.approx(-0.7529, abs=1e-2)  # the global one
    assert mom["final_loss"] < sgd["final_loss"] - 1.0
    assert mom["final_loss"] == pytest.approx(f(mom["final_params"]["w"]), rel=1e-12)
    # and momentum really crossed the bump between the two minima (near w = 0.4)
    assert min(s["params"]["w"] for s in mom["trajectory"]) < 0


def test_every_example_runs_and_lowers_the_loss() -> None:
    for ex in TRAINING_EXAMPLES:
        if ex.get("shows"):  # the health examples diverge on purpose (tests/teaching)
            continue
        r = train(**train_kwargs(ex))
        assert r["warnings"] == [], ex["id"]
        assert r["final_loss"] < r["trajectory"][0]["loss"], ex["id"]


def test_mlp_learns_two_moons() -> None:
    ex = next(e for e in TRAINING_EXAMPLES if e["id"] == "mlp-moons")
    r = train(**train_kwargs(ex))
    assert r["final_loss"] < 0.1
    from chainrule.training.datasets import make_dataset

    d = make_dataset(ex["dataset"])
    p = {k: np.array(v) for k, v in r["final_params"].items()}
    logits = np.tanh(d["X"] @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    assert (logits.argmax(axis=1) == d["y"]).mean() > 0.95


# ------------------------------------------------------------------ against torch.optim


def _torch_linear(opt_cls, hp, steps, x, y, w0, b0):
    torch = pytest.importorskip("torch")
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(b0, dtype=torch.float64, requires_grad=True)
    xt, yt = torch.tensor(x), torch.tensor(y)
    opt = opt_cls([w, b], **hp)
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((w * xt + b - yt) ** 2).mean()
        loss.backward()
        traj.append((loss.item(), w.item(), b.item(), w.grad.item(), b.grad.item()))
        opt.step()
    return traj, (w.item(), b.item())


TORCH_CASES = [
    ("sgd", {"lr": 0.05}),
    ("sgd", {"lr": 0.02, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("sgd", {"lr": 0.02, "momentum": 0.5, "dampening": 0.2}),
    ("adagrad", {"lr": 0.3, "lr_decay": 0.01}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("adam", {"lr": 0.1, "amsgrad": True}),
    ("adamw", {"lr": 0.1, "weight_decay": 0.1}),
]


@pytest.mark.parametrize(
    ("name", "hp"), TORCH_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(TORCH_CASES)]
)
def test_full_batch_trajectory_matches_torch_optim(name: str, hp: dict) -> None:
    torch = pytest.importorskip("torch", reason="torch is a bench extra; not installed")
    cls = getattr(torch.optim, OPTIMIZERS[name].torch.rsplit(".", 1)[1])  # the registry names it
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 30)
    y = 3 * x - 0.5 + 0.1 * rng.standard_normal(30)
    want, final = _torch_linear(cls, hp, 60, x, y, 0.3, -0.2)
    r = train(
        LINEAR,
        {"w": 0.3, "b": -0.2},
        ["w", "b"],
        data={"x": x.tolist(), "y": y.tolist()},
        optimizer={"name": name, **hp},
        steps=60,
    )
    got = [
        (s["loss"], s["params"]["w"], s["params"]["b"], s["grads"]["w"], s["grads"]["b"])
        for s in r["trajectory"]
    ]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose([r["final_params"]["w"], r["final_params"]["b"]], final, rtol=1e-6)


def test_mlp_full_batch_matches_torch_adam() -> None:
    torch = pytest.importorskip("torch", reason="torch is a bench extra; not installed")
    from chainrule.training.datasets import make_dataset

    d = make_dataset({"name": "moons", "n": 60, "seed": 3})
    rng = np.random.default_rng(0)
    init = {
        "W1": rng.normal(0, 1, (2, 8)),
        "b1": np.zeros(8),
        "W2": rng.normal(0, 0.5, (8, 2)),
        "b2": np.zeros(2),
    }
    expr = "h = tanh(X @ W1 + b1); logits = h @ W2 + b2; loss = cross_entropy(logits, y)"
    r = train(
        expr,
        {k: v.tolist() for k, v in init.items()},
        list(init),
        data={"X": d["X"].tolist(), "y": d["y"].tolist()},
        optimizer={"name": "adam", "lr": 0.05},
        steps=40,
    )
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in init.items()}
    X, y = torch.tensor(d["X"]), torch.tensor(d["y"]).long()
    opt = torch.optim.Adam(list(tp.values()), lr=0.05)
    for s in r["trajectory"]:
        opt.zero_grad()
        h = torch.tanh(X @ tp["W1"] + tp["b1"])
        loss = torch.nn.functional.cross_entropy(h @ tp["W2"] + tp["b2"], y)
        loss.backward()
        assert s["loss"] == pytest.approx(loss.item(), rel=1e-6)
        for k in tp:
            np.testing.assert_allclose(s["params"][k], tp[k].detach().numpy(), rtol=1e-6, atol=1e-9)
            np.testing.assert_allclose(s["grads"][k], tp[k].grad.numpy(), rtol=1e-6, atol=1e-9)
        opt.step()
    for k in tp:
        np.testing.assert_allclose(r["final_params"][k], tp[k].detach().numpy(), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "rmsprop", "adagrad"])
def test_scalar_params_after_an_adaptive_update_still_take_abs(optimizer: str) -> None:
    # These optimizers hand back numpy scalars; the engine's scalar path (abs's sign, and
    # maximum/minimum compiled) failed on them with a TypeError (found by the PyTorch export).
    r = train("loss = abs(w) + relu(-1.5 / abs(w)) + maximum(w, 0.1) + minimum(w, 0.3)", {"w": 0.2}, ["w"],
              optimizer={"name": optimizer, "lr": 1e-3}, steps=3)
    assert r["steps_run"] == 3 and r["trajectory"][1]["grads"]["w"] == pytest.approx(3.0)
    assert all(type(step["params"]["w"]) is float for step in r["trajectory"])
