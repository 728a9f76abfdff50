
"""Optimizer update rules: hand-derived steps, independent textbook references, and
(when torch is importable) torch.optim itself on the same gradient sequences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chainrule.errors import ChainruleError
from chainrule.training.optimizers import OPTIMIZERS, make_optimizer


def steps(config: dict, w0, grads: list) -> list:
    """Apply the optimizer to a fixed gradient sequence; return w after each update."""
    _, opt = make_optimizer(config)
    w, out = w0, []
    for g in grads:
        new, _ = opt.step({"w": w}, {"w": g})
        w = new["w"]
        out.append(w)
    return out


# ------------------------------------------------------------------ hand-derived steps


def test_sgd_plain_is_w_minus_lr_grad() -> None:
    assert steps({"name": "sgd", "lr": 0.1}, 3.0, [2.0, 2.0]) == pytest.approx([2.8, 2.6])


def test_sgd_momentum_first_step_uses_grad_then_accumulates() -> None:
    # v1 = g1 = 2; w1 = 3 - 0.1*2 = 2.8; v2 = 0.9*2 + 1 = 2.8; w2 = 2.8 - 0.28 = 2.52
    w = steps({"name": "sgd", "lr": 0.1, "momentum": 0.9}, 3.0, [2.0, 1.0])
    assert w == pytest.approx([2.8, 2.52])


def test_sgd_dampening_applies_from_the_second_step() -> None:
    # v1 = 2 (no dampening on the first step); v2 = 0.9*2 + 0.5*1 = 2.3
    w = steps({"name": "sgd", "lr": 0.1, "momentum": 0.9, "dampening": 0.5}, 3.0, [2.0, 1.0])
    assert w == pytest.approx([2.8, 2.8 - 0.23])


def test_sgd_nesterov_steps_along_grad_plus_mu_velocity() -> None:
    # v1 = 2; d1 = 2 + 0.9*2 = 3.8; w1 = 3 - 0.38 = 2.62
    # v2 = 0.9*2 + 1 = 2.8; d2 = 1 + 0.9*2.8 = 3.52; w2 = 2.62 - 0.352
    w = steps({"name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True}, 3.0, [2.0, 1.0])
    assert w == pytest.approx([2.62, 2.62 - 0.352])


def test_sgd_weight_decay_adds_lambda_w_to_the_grad() -> None:
    # g = 2 + 0.1*3 = 2.3; w = 3 - 0.1*2.3
    assert steps({"name": "sgd", "lr": 0.1, "weight_decay": 0.1}, 3.0, [2.0]) == pytest.approx([2.77])


def test_adagrad_divides_by_root_of_summed_squares_with_lr_decay() -> None:
    cfg = {"name": "adagrad", "lr": 0.5, "lr_decay": 0.25, "initial_accumulator_value": 1.0}
    # G1 = 1 + 4 = 5; w1 = 1 - 0.5*2/(√5 + 1e-10)
    # clr2 = 0.5/(1 + 0.25); G2 = 5 + 1 = 6; w2 = w1 - 0.4*1/√6
    w1 = 1 - 0.5 * 2 / (math.sqrt(5) + 1e-10)
    w2 = w1 - 0.4 * 1 / (math.sqrt(6) + 1e-10)
    assert steps(cfg, 1.0, [2.0, 1.0]) == pytest.approx([w1, w2], rel=1e-14)


def test_rmsprop_plain_centered_and_momentum() -> None:
    a, lr, eps = 0.9, 0.01, 1e-8
    # plain: s1 = 0.1*4 = 0.4; w1 = 1 - 0.01*2/(√0.4 + eps)
    assert steps({"name": "rmsprop", "lr": lr, "alpha": a}, 1.0, [2.0]) == pytest.approx(
        [1 - lr * 2 / (math.sqrt(0.4) + eps)], rel=1e-14
    )
    # centered: ḡ1 = 0.1*2 = 0.2; denom = √(0.4 - 0.04) + eps
    got = steps({"name": "rmsprop", "lr": lr, "alpha": a, "centered": True}, 1.0, [2.0])
    assert got == pytest.approx([1 - lr * 2 / (math.sqrt(0.36) + eps)], rel=1e-14)
    # momentum: b1 = g/denom; b2 = μ·b1 + g2/denom2
    d1 = math.sqrt(0.4) + eps
    s2 = 0.9 * 0.4 + 0.1 * 1.0
    d2 = math.sqrt(s2) + eps
    b1, b2 = 2 / d1, 0.5 * (2 / d1) + 1 / d2
    got = steps({"name": "rmsprop", "lr": lr, "alpha": a, "momentum": 0.5}, 1.0, [2.0, 1.0])
    assert got == pytest.approx([1 - lr * b1, 1 - lr * b1 - lr * b2], rel=1e-14)


def test_adam_first_step_is_lr_times_sign() -> None:
    # m̂1 = g, v̂1 = g² -> w1 = w0 - lr·g/(|g| + eps)
    got = steps({"name": "adam", "lr": 0.1}, 1.0, [-3.0])
    assert got == pytest.approx([1 + 0.1 * 3 / (3 + 1e-8)], rel=1e-12)


def test_adam_second_step_bias_corrected() -> None:
    b1, b2, lr, eps = 0.9, 0.999, 0.1, 1e-8
    m = (1 - b1) * 2.0
    v = (1 - b2) * 4.0
    w1 = 1 - lr * (m / (1 - b1)) / (math.sqrt(v / (1 - b2)) + eps)
    m = b1 * m + (1 - b1) * 1.0
    v = b2 * v + (1 - b2) * 1.0
    w2 = w1 - lr * (m / (1 - b1**2)) / (math.sqrt(v / (1 - b2**2)) + eps)
    assert steps({"name": "adam", "lr": lr}, 1.0, [2.0, 1.0]) == pytest.approx([w1, w2], rel=1e-9)


def test_adam_amsgrad_keeps_the_max_second_moment() -> None:
    b2, lr = 0.5, 0.1
    cfg = {"name": "adam", "lr": lr, "betas": [0.0, b2], "amsgrad": True}
    # β1 = 0: m = g. v1 = 0.5*100 = 50; v2 = 25 + 0.5*0.01 = 25.005; vmax = 50
    w1 = 1 - lr * 10 / (math.sqrt(50 / 0.5) + 1e-8)
    w2 = w1 - lr * 0.1 / (math.sqrt(50 / 0.75) + 1e-8)
    assert steps(cfg, 1.0, [10.0, 0.1]) == pytest.approx([w1, w2], rel=1e-12)


def test_adamw_decays_the_weight_before_the_adam_step() -> None:
    lr, wd = 0.1, 0.5
    w1 = 2.0 * (1 - lr * wd) - lr * 1.0 / (1.0 + 1e-8)
    got = steps({"name": "adamw", "lr": lr, "weight_decay": wd}, 2.0, [1.0])
    assert got == pytest.approx([w1], rel=1e-12)


def test_adam_weight_decay_is_l2_in_the_grad() -> None:
    # g = 1 + 0.5*2 = 2 -> first step still lr·sign
    got = steps({"name": "adam", "lr": 0.1, "weight_decay": 0.5}, 2.0, [1.0])
    assert got == pytest.approx([2.0 - 0.1 * 2 / (2 + 1e-8)], rel=1e-12)


# ------------------------------------------------------------------ textbook references
# Written independently of optimizers.py, in the papers' / textbooks' notation.


def ref_sgd(w, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    out, v = [], None
    for t, g in enumerate(grads):
        g = g + weight_decay * w
        if momentum:
            v = g if t == 0 else momentum * v + (1 - dampening) * g
            g = g + momentum * v if nesterov else v
        w = w - lr * g
        out.append(w)
    return out


def ref_adagrad(w, grads, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    out, acc = [], np.full_like(w, initial_accumulator_value)
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * w
        acc = acc + g**2
        w = w - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(acc) + eps)
        out.append(w)
    return out


def ref_rmsprop(w, grads, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    out = []
    sq, mean_g, buf = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        g = g + weight_decay * w
        sq = alpha * sq + (1 - alpha) * g**2
        var = sq
        if centered:
            mean_g = alpha * mean_g + (1 - alpha) * g
            var = sq - mean_g**2
        step = g / (np.sqrt(var) + eps)
        if momentum:
            buf = momentum * buf + step
            step = buf
        w = w - lr * step
        out.append(w)
    return out


def ref_adam(w, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled=False):
    b1, b2 = betas
    out = []
    m, v, vmax = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        if decoupled:
            w = w - lr * weight_decay * w
        else:
            g = g + weight_decay * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t)
        vmax = np.maximum(vmax, v) if amsgrad else v
        v_hat = vmax / (1 - b2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(w)
    return out


CASES = [
    ("sgd", {"lr": 0.05}),
    ("sgd", {"lr": 0.05, "momentum": 0.9}),
    ("sgd", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("adagrad", {}),
    (
        "adagrad",
        {
            "lr": 0.1,
            "lr_decay": 0.01,
            "weight_decay": 0.05,
            "initial_accumulator_value": 0.1,
            "eps": 1e-6,
        },
    ),
    ("rmsprop", {}),
    (
        "rmsprop",
        {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.01},
    ),
    ("rmsprop", {"lr": 0.02, "momentum": 0.9}),
    ("adam", {}),
    ("adam", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1, "amsgrad": True}),
    ("adamw", {}),
    ("adamw", {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True, "eps": 1e-6}),
    ("adamax", {}),
    ("adamax", {"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.1}),
]

def ref_adamax(w, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    """Kingma & Ba (2015), Algorithm 2, with torch's eps inside the max."""
    b1, b2 = betas
    m = np.zeros_like(w)
    u = np.zeros_like(w)
    out = []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * w
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        w = w - (lr / (1 - b1**t)) * m / u
        out.append(w)
    return out


REFS = {
    "adamax": ref_adamax,
    "sgd": ref_sgd,
    "adagrad": ref_adagrad,
    "rmsprop": ref_rmsprop,
    "adam": ref_adam,
    "adamw": lambda w, g, **hp: ref_adam(w, g, decoupled=True, **hp),
}


def _grad_sequence(shape: tuple[int, ...], n: int = 12) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.standard_normal(shape) * (1 + k % 3) for k in range(n)]


@pytest.mark.parametrize(("name", "hp"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_matches_independent_reference_on_arrays(name: str, hp: dict) -> None:
    w0 = np.linspace(-1.0, 2.0, 6).reshape(2, 3)
    grads = _grad_sequence(w0.shape)
    defaults = OPTIMIZERS[name].defaults
    ref_hp = {**{k: v for k, v in defaults.items() if k != "lr"}, **hp}
    got = steps({"name": name, **hp}, w0, grads)
    want = REFS[name](
        w0, grads, lr=hp.get("lr", defaults["lr"]), **{k: v for k, v in ref_hp.items() if k != "lr"}
    )
    for g, r in zip(got, want, strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("name", "hp"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_scalars_follow_the_same_rule_as_arrays(name: str, hp: dict) -> None:
    grads = [float(g[0]) for g in _grad_sequence((1,))]
    scalar = steps({"name": name, **hp}, 0.7, grads)
    array = steps({"name": name, **hp}, np.array([0.7]), [np.array([g]) for g in grads])
    assert all(isinstance(w, float) for w in scalar)
    np.testing.assert_allclose(scalar, [a[0] for a in array], rtol=1e-15)


@pytest.mark.parametrize(("name", "hp"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_matches_torch_optim_on_the_same_gradients(name: str, hp: dict) -> None:
    torch = pytest.importorskip("torch", reason="torch is a bench extra; not installed")
    cls = getattr(torch.optim, OPTIMIZERS[name].torch.rsplit(".", 1)[1])  # the registry names it
    w0 = np.linspace(-1.0, 2.0, 6).reshape(2, 3)
    grads = _grad_sequence(w0.shape)
    p = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    opt = cls([p], **hp)
    want = []
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        want.append(p.detach().numpy().copy())
    got = steps({"name": name, **hp}, w0, grads)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_defaults_are_torchs() -> None:
    torch = pytest.importorskip("torch", reason="torch is a bench extra; not installed")
    import inspect

    for name, spec in OPTIMIZERS.items():
        sig = inspect.signature(getattr(torch.optim, spec.torch.rsplit(".", 1)[1]).__init__).parameters
        for h in spec.hyper:
            assert sig[h.name].default == h.default, (name, h.name)


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"name": "lbfgs"}, "unknown optimizer"),
        ({"name": "sgd", "lr": -0.1}, "lr must be >= 0"),
        ({"name": "sgd", "momentum": -1}, "momentum"),
        ({"name": "sgd", "nesterov": True}, "nesterov requires momentum"),
        ({"name": "sgd", "momentum": 0.9, "nesterov": True, "dampening": 0.1}, "nesterov"),
        ({"name": "sgd", "betas": [0.9, 0.99]}, "no hyper-parameter 'betas'"),
        ({"name": "adam", "betas": [1.0, 0.99]}, "betas[0] must be in [0, 1)"),
        ({"name": "adam", "betas": [0.9]}, "two numbers"),
        ({"name": "adam", "eps": -1e-8}, "eps"),
        ({"name": "adam", "amsgrad": "yes"}, "true or false"),
        ({"name": "rmsprop", "alpha": -0.5}, "alpha"),
        ({"name": "adagrad", "lr_decay": -1}, "lr_decay"),
        ({"name": "adagrad", "lr": float("nan")}, "finite"),
        ({"name": "sgd", "lr": "fast"}, "number"),
        ({"name": "sgd", "maximize": True}, "maximize"),
    ],
)
def test_bad_configs_are_bad_value(config: dict, fragment: str) -> None:
    with pytest.raises(ChainruleError) as exc:
        make_optimizer(config)
    assert exc.value.code == "bad_value"
    assert fragment in exc.value.message


def test_explain_prints_the_update_arithmetic() -> None:
    spec, opt = make_optimizer({"name": "sgd", "lr": 0.1})
    new, terms = opt.step({"w": 3.0}, {"w": 2.0})
    from chainrule.training.optimizers import explain_update

    lines = explain_update(spec, opt.hp, "w", 3.0, 2.0, new["w"], terms["w"])
    assert lines == ["w ← w − lr·grad = 3 − 0.1×2 = 2.8"]


def test_adamax_explains_each_number_of_its_first_step() -> None:
    spec, opt = make_optimizer({"name": "adamax", "lr": 0.01})
    new, terms = opt.step({"w": 3.0}, {"w": 2.0})
    # m = 0.1*2 = 0.2; u = max(0, 2 + 1e-8); w = 3 - 0.01/0.1 * 0.2/2 = 2.99
    assert new["w"] == pytest.approx(2.99)
    assert spec.explain("w", opt.hp, 3.0, 2.0, new["w"], terms["w"]) == [
        "m ← β₁·m + (1−β₁)·g = 0.9×0 + (1 − 0.9)×2 = 0.2",
        "u ← max(β₂·u, |g| + ε) = max(0.999×0, 2 + 1e−08) = 2",
        "w ← w − lr/(1−β₁ᵗ)·m/u = 3 − 0.01/(1 − 0.9¹)×0.2/2 = 3 − 0.01 = 2.99",
    ]


def test_every_optimizer_lists_a_formula_and_its_hyper_parameters() -> None:
    for spec in OPTIMIZERS.values():
        d = spec.to_dict()
        assert d["formula"] and all(isinstance(line, str) for line in d["formula"])
        assert d["hyper"][0]["name"] == "lr"
