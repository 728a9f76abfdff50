"""Random training runs with a torch.optim twin: random small models, every optimizer of
the registry with random options, full-batch trajectories compared step by step.

A run is a random program (:mod:`tests.support.random_expr`) or a small network on
random data (linear, MLP, softmax classifier), some of its inputs as params, and an
optimizer drawn from ``chainrule.training.optimizers.OPTIMIZERS`` with random hyper-parameters
(torch's names). ``compare_training`` runs ``train()`` and the same steps with
``torch.optim`` (single-tensor code path), and reports the first step whose loss, params
or gradients differ (rtol 1e-6).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from chainrule.errors import ChainruleError
from chainrule.training.optimizers import OPTIMIZERS
from chainrule.training.train import train
from tests.support.random_expr import RTOL, Case, random_case

Rng = np.random.Generator
ATOL_SCALE = 1e-9

#: Ranges for hyper-parameters by torch's name; any other float is drawn in [minimum, minimum + 0.5].
FLOAT_RANGES = {
    "lr": (1e-3, 0.1),
    "momentum": (0.0, 0.95),
    "dampening": (0.0, 0.5),
    "weight_decay": (0.0, 0.1),
    "lr_decay": (0.0, 0.1),
    "initial_accumulator_value": (0.0, 0.5),
    "eps": (1e-10, 1e-6),
    "alpha": (0.8, 0.999),
}


@dataclass
class TrainingCase:
    """A model (chainrule text and its torch twin), the params to train, an optimizer."""

    expression: str
    values: dict[str, Any]
    params: list[str]
    optimizer: dict[str, Any]
    steps: int
    torch_output: Callable[[dict[str, torch.Tensor]], torch.Tensor]
    inputs: dict[str, torch.Tensor]  # every input's start value, params and data alike
    class_inputs: frozenset[str] = frozenset()
    output: str | None = None
    data: dict[str, Any] | None = None  # columns given as ``data`` (full batch)
    seed: int | None = None


def random_hyper(rng: Rng, name: str) -> dict[str, Any]:
    """``{"name": name, ...}`` with each hyper-parameter drawn (or left out, for the default)."""
    config: dict[str, Any] = {"name": name}
    for h in OPTIMIZERS[name].hyper:
        if rng.random() < 0.25:
            continue  # torch's default
        if h.kind == "bool":
            config[h.name] = bool(rng.random() < 0.5)
        elif h.kind == "betas":
            config[h.name] = [float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.9, 0.9999))]
        else:
            low = h.minimum if h.minimum is not None else 0.0
            lo, hi = FLOAT_RANGES.get(h.name, (low, low + 0.5))
            config[h.name] = float(np.exp(rng.uniform(np.log(lo), np.log(hi)))) if h.name in ("lr", "eps") \
                else float(rng.uniform(lo, hi))
    return config


MODELS = {
    "linear": "pred = x @ W + b\nloss = mse(pred, y)",
    "mlp": "h = {act}(x @ W1 + b1)\nloss = mse(h @ W2 + b2, y)",
    "classifier": "h = {act}(x @ W1 + b1)\nloss = cross_entropy(h @ W2 + b2, labels)",
}
ACTIVATIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "sin": torch.sin}


def _torch_model(kind: str, act: str) -> Callable[[dict[str, torch.Tensor]], torch.Tensor]:
    """MODELS[kind] written in torch."""
    f = ACTIVATIONS[act]

    def linear(t: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.mean((t["x"] @ t["W"] + t["b"] - t["y"]) ** 2)

    def mlp(t: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.mean((f(t["x"] @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"] - t["y"]) ** 2)

    def classifier(t: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = f(t["x"] @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
        return torch.nn.functional.cross_entropy(logits, t["labels"].to(torch.int64))

    return {"linear": linear, "mlp": mlp, "classifier": classifier}[kind]


def _network(rng: Rng, config: dict[str, Any], steps: int, seed: int | None) -> TrainingCase:
    """A small network on random data given as ``data`` columns (full batch)."""
    kind = str(rng.choice(list(MODELS)))
    act = str(rng.choice(list(ACTIVATIONS)))
    n, d_in, hidden = int(rng.integers(3, 9)), int(rng.integers(1, 4)), int(rng.integers(2, 6))
    d_out = int(rng.integers(2 if kind == "classifier" else 1, 4))
    shapes = {"x": (n, d_in), "W": (d_in, d_out), "b": (d_out,), "y": (n, d_out),
              "W1": (d_in, hidden), "b1": (hidden,), "W2": (hidden, d_out), "b2": (d_out,)}
    used = {"linear": "x W b y", "mlp": "x W1 b1 W2 b2 y", "classifier": "x W1 b1 W2 b2"}[kind].split()
    inputs = {k: torch.tensor(rng.normal(0, 0.7, shapes[k]), dtype=torch.float64) for k in used}
    class_inputs: frozenset[str] = frozenset()
    if kind == "classifier":
        inputs["labels"] = torch.tensor(rng.integers(0, d_out, n), dtype=torch.float64)
        class_inputs = frozenset({"labels"})
    data = {c: (inputs[c].to(torch.int64) if c in class_inputs else inputs[c]).tolist()
            for c in ("x", "y", "labels") if c in inputs}
    params = [p for p in inputs if p not in data]
    values = {p: inputs[p].tolist() for p in params}
    return TrainingCase(MODELS[kind].format(act=act), values, params, config, steps,
                        _torch_model(kind, act), inputs, class_inputs, data=data, seed=seed)


def random_training_case(rng: Rng, optimizer: str | None = None, seed: int | None = None) -> TrainingCase:
    """A random model, params and optimizer (``optimizer``: its name, default any)."""
    name = optimizer or str(rng.choice(sorted(OPTIMIZERS)))
    steps = int(rng.integers(30, 41))
    config = random_hyper(rng, name)
    if rng.random() < 0.4:
        return _network(rng, config, steps, seed)
    while True:
        case = random_case(rng, depth=int(rng.integers(1, 4)))
        reaching = _inputs_reaching_output(case)
        if reaching:
            break
    params = [p for p in reaching if rng.random() < 0.6] or [reaching[0]]
    return TrainingCase(case.expression, case.values, params, config, steps, case.torch_output,
                        case.inputs, case.class_inputs, case.output, seed=seed)


def _inputs_reaching_output(case: Case) -> list[str]:
    """Inputs with a gradient path to the output (torch skips params without a grad)."""
    leaves = {n: v.clone().requires_grad_(n not in case.class_inputs) for n, v in case.inputs.items()}
    out = case.torch_output(leaves)
    if not out.requires_grad:
        return []
    wrt = [n for n in leaves if n not in case.class_inputs]
    grads = torch.autograd.grad(out.sum(), [leaves[n] for n in wrt], allow_unused=True)
    return [n for n, g in zip(wrt, grads, strict=True) if g is not None]


def torch_trajectory(tc: TrainingCase) -> list[tuple[float, dict[str, np.ndarray], dict[str, np.ndarray]]]:
    """(loss, params before the update, gradients) for each step, then (nan, final params, {})."""
    leaves = {n: v.clone() for n, v in tc.inputs.items()}
    params = [leaves[p].requires_grad_() for p in tc.params]
    hp = {k: (tuple(v) if isinstance(v, list) else v) for k, v in tc.optimizer.items() if k != "name"}
    cls = getattr(torch.optim, OPTIMIZERS[tc.optimizer["name"]].torch.rsplit(".", 1)[1])
    opt = cls(params, foreach=False, **hp)
    out = []
    for _ in range(tc.steps):
        opt.zero_grad()
        loss = tc.torch_output(leaves).sum()
        loss.backward()
        out.append((loss.item(), {p: leaves[p].detach().numpy().copy() for p in tc.params},
                    {p: leaves[p].grad.numpy().copy() for p in tc.params}))  # type: ignore[union-attr]
        if not math.isfinite(loss.item()):
            break
        opt.step()
    out.append((math.nan, {p: leaves[p].detach().numpy().copy() for p in tc.params}, {}))
    return out


def _close(got: Any, want: np.ndarray) -> bool:
    got_a = np.asarray(got, dtype=np.float64)
    finite = np.abs(want[np.isfinite(want)])
    scale = max(1.0, float(finite.max(initial=0.0)))
    return got_a.shape == want.shape and bool(np.allclose(got_a, want, rtol=RTOL, atol=ATOL_SCALE * scale,
                                                          equal_nan=True))


def compare_training(tc: TrainingCase, stops: list[str | None] | None = None) -> str | None:
    """None if chainrule's trajectory matches torch.optim's; otherwise the first difference.
    ``stops`` (if given) receives why the run stopped early (None, "diverged", "budget")."""
    try:
        result = train(tc.expression, tc.values, tc.params, data=tc.data, per_example=False,
                       optimizer=tc.optimizer, steps=tc.steps, output=tc.output)
    except ChainruleError as exc:
        if exc.code != "bad_value":
            return f"chainrule raised {exc.code}: {exc.message}"
        try:
            torch_trajectory(tc)
        except ValueError:
            return None  # both refuse the options (e.g. nesterov without momentum)
        return f"chainrule refused what torch accepts: {exc.message}"
    try:
        want = torch_trajectory(tc)
    except ValueError as exc:
        return f"torch refused what chainrule accepts: {exc}"
    if stops is not None:
        stops.append(result["stopped"])
    # "budget": a loaded machine ran out of the request's compute budget; the steps run
    # are compared all the same
    for k, step in enumerate(result["trajectory"]):
        loss, params, grads = want[k]
        if not _close(_number(step["loss"]), np.asarray(loss)):
            return f"step {k}: loss {step['loss']} vs torch {loss}"
        for p in tc.params:
            if not _close(_numbers(step["params"][p]), params[p]):
                return f"step {k}: {p} = {step['params'][p]} vs torch {params[p].tolist()}"
            # at a non-finite loss (where both stop) gradients follow NaN conventions
            if math.isfinite(loss) and not _close(_numbers(step["grads"][p]), grads[p]):
                return f"step {k}: grad {p} = {step['grads'][p]} vs torch {grads[p].tolist()}"
    if result["stopped"] == "budget":
        return None
    if result["stopped"] is None:
        final = want[len(result["trajectory"])][1]
        for p in tc.params:
            if not _close(_numbers(result["final_params"][p]), final[p]):
                return f"final {p} = {result['final_params'][p]} vs torch {final[p].tolist()}"
    elif math.isfinite(want[len(result["trajectory"]) - 1][0]) and \
            abs(want[len(result["trajectory"]) - 1][0]) < 1e6:
        return f"chainrule diverged at step {len(result['trajectory']) - 1}, torch did not"
    return None


def _number(v: Any) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(v, v) if isinstance(v, str) \
        else float(v)


def _numbers(v: Any) -> Any:
    if isinstance(v, list):
        return [_numbers(x) for x in v]
    return _number(v)


def training_reproduction(tc: TrainingCase, problem: str) -> str:
    return "\n".join([
        f"chainrule's training differs from torch.optim: {problem}",
        f"expression = {tc.expression!r}",
        f"values = {json.dumps(tc.values)}",
        f"params = {tc.params!r}",
        f"data = {json.dumps(tc.data)}",
        f"optimizer = {tc.optimizer!r}",
        f"steps = {tc.steps}" + (f"  # seed {tc.seed}" if tc.seed is not None else ""),
        "from chainrule import train; train(expression, values, params, data=data, optimizer=optimizer, "
        "steps=steps" + (f", output={tc.output!r}" if tc.output else "") + ")",
    ])
