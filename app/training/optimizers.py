
"""Optimizers with torch.optim's hyper-parameter names, defaults and update rules.

Each optimizer is ONE class, registered with ``@register`` into ``OPTIMIZERS`` (name -> class):
its hyper-parameters with torch's defaults and limits (``hyper``), any check that spans
several of them (``validate``), the update rule (``update``), the formula in symbols
(``formula``) and the arithmetic of one update (``explain``). Everything else reads the
registry: the request schema (app/schemas.py), ``GET /api/meta`` and the front end, the
PyTorch export. Adding an optimizer is adding one class here (plus its tests).

Every update is written exactly as torch's single-tensor code
path (``torch/optim/*.py``, ``_single_tensor_*``) orders it, so float64 trajectories match
``torch.optim`` to rounding. Updates are functional (they return new values and never
mutate an array in place), so a recorded trajectory can keep references instead of copies.

A parameter value is a Python float (a scalar) or a float64 ``np.ndarray``. Each step also
returns, per parameter, the intermediate quantities of the update (``terms``) so the UI can
print the arithmetic: ``w ← w − lr·g = 3 − 0.1×2 = 2.8``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from app.errors import ChainruleError, did_you_mean, suggestions

Value = Any  # float | np.ndarray
Terms = dict[str, Value]


@dataclass(frozen=True)
class HyperParam:
    """One hyper-parameter: torch's name and default, and the values it accepts."""

    name: str
    default: Any
    kind: str  # "float" | "bool" | "betas"
    description: str
    minimum: float | None = 0.0  # inclusive lower bound for floats (torch's ValueError checks)
    below: float | None = None  # exclusive upper bound (betas in [0, 1))

    @property
    def annotation(self) -> Any:
        """The type a request gives this hyper-parameter as (the schema is generated from it)."""
        return {"bool": bool, "betas": tuple[float, float]}.get(self.kind, float)

    def check(self, optimizer: str, value: Any) -> Any:
        """Return ``value`` normalised to this kind, or raise ``bad_value``."""
        where = f"optimizer {optimizer!r}: {self.name}"
        field = {"field": f"optimizer.{self.name}", "optimizer": optimizer}
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ChainruleError("bad_value", f"{where} must be true or false, got {value!r}",
                                     params={**field, "reason": "not_a_boolean"})
            return value
        if self.kind == "betas":
            if (
                not isinstance(value, list | tuple)
                or len(value) != 2
                or not all(_is_number(b) for b in value)
            ):
                raise ChainruleError("bad_value", f"{where} must be two numbers, got {value!r}",
                                     params={**field, "reason": "not_a_list"})
            betas = (float(value[0]), float(value[1]))
            for i, b in enumerate(betas):
                if not 0.0 <= b < 1.0:
                    raise ChainruleError("bad_value", f"{where}[{i}] must be in [0, 1), got {b!r}",
                                         params={**field, "reason": "out_of_range", "index": i,
                                                 "min": 0, "below": 1, "got": b})
            return betas
        if not _is_number(value):
            raise ChainruleError("bad_value", f"{where} must be a number, got {value!r}",
                                 params={**field, "reason": "not_a_number"})
        x = float(value)
        if not math.isfinite(x):
            raise ChainruleError("bad_value", f"{where} must be finite, got {value!r}",
                                 params={**field, "reason": "not_a_number"})
        if self.minimum is not None and x < self.minimum:
            raise ChainruleError("bad_value", f"{where} must be >= {self.minimum:g}, got {x:g}",
                                 params={**field, "reason": "out_of_range", "min": self.minimum, "got": x})
        if self.below is not None and x >= self.below:
            raise ChainruleError("bad_value", f"{where} must be < {self.below:g}, got {x:g}",
                                 params={**field, "reason": "out_of_range", "below": self.below, "got": x})
        return x


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


LR = "learning rate"
WD = "L2 penalty: g ← g + weight_decay·w"
EPS = "added to the denominator for numerical stability"
BETAS = "decay rates of the running averages of g and g²"


def _h(name: str, default: Any, kind: str, description: str, **kw: Any) -> HyperParam:
    return HyperParam(name, default, kind, description, **kw)


def _num(x: Any) -> str:
    """A number for an arithmetic line: 4 significant digits, negatives in parentheses."""
    s = f"{float(x):.4g}".replace("-", "−")
    return f"({s})" if s.startswith("−") else s


def _val(x: Any) -> str:
    """A number after ``=``: 4 significant digits, no parentheses."""
    return f"{float(x):.4g}".replace("-", "−")


def _grad_line(hp: Mapping[str, Any]) -> str:
    return "g ← ∇w + weight_decay·w" if hp["weight_decay"] else "g ← ∇w"


def _zero(w: Value) -> np.ndarray | float:
    return np.zeros_like(w) if isinstance(w, np.ndarray) else 0.0


class Optimizer:
    """One optimizer: torch's name and hyper-parameters, its checks, rule, formula, explanation.

    An instance holds the resolved hyper-parameters (``self.hp``) and the per-parameter state
    (``self.state``) of one training run.
    """

    name: ClassVar[str]  # the API's name, e.g. "sgd"
    title: ClassVar[str]  # what a menu shows
    torch: ClassVar[str]  # the torch.optim class it reproduces
    hyper: ClassVar[tuple[HyperParam, ...]]  # lr first
    defaults: ClassVar[dict[str, Any]]  # derived from ``hyper``

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.defaults = {h.name: h.default for h in cls.hyper}

    def __init__(self, hp: Mapping[str, Any]):
        self.hp = dict(hp)
        self.state: dict[str, dict[str, Any]] = {}
        self.t = 0  # number of updates applied so far

    @classmethod
    def validate(cls, hp: Mapping[str, Any]) -> None:
        """Checks that span several hyper-parameters (``hyper`` checks each one alone)."""

    @classmethod
    def formula(cls, hp: Mapping[str, Any]) -> list[str]:
        """The update in symbols, for these hyper-parameters (only the terms that apply)."""
        raise NotImplementedError

    @classmethod
    def explain(cls, n: str, hp: Mapping[str, Any], w: Any, g: Any, new: Any, t: Terms) -> list[str]:
        """The arithmetic of one scalar update of param ``n`` (``w`` -> ``new``, grad ``g``,
        the update's terms ``t``): one line per equation, every number shown."""
        raise NotImplementedError

    @classmethod
    def to_dict(cls) -> dict[str, Any]:
        """The registry entry as JSON (GET /api/meta, GET /api/datasets)."""
        return {
            "name": cls.name,
            "title": cls.title,
            "torch": cls.torch,
            "hyper": [
                {
                    "name": h.name,
                    "default": list(h.default) if h.kind == "betas" else h.default,
                    "kind": h.kind,
                    "description": h.description,
                }
                for h in cls.hyper
            ],
            "formula": cls.formula(cls.defaults),
        }

    def step(
        self, params: Mapping[str, Value], grads: Mapping[str, Value]
    ) -> tuple[dict[str, Value], dict[str, Terms]]:
        """Apply one update; return the new params and, per param, the update's terms."""
        self.t += 1
        new: dict[str, Value] = {}
        terms: dict[str, Terms] = {}
        for name, w in params.items():
            st = self.state.get(name)
            if st is None:
                st = self.state[name] = {}
            new[name], terms[name] = self.update(w, grads[name], st)
        return new, terms

    def update(self, w: Value, g: Value, st: dict[str, Any]) -> tuple[Value, Terms]:
        """One param's update from its grad and its state ``st`` (updated in place); returns
        the new value and the terms ``explain`` prints."""
        raise NotImplementedError


#: The registry: optimizer name -> class, in menu order.
OPTIMIZERS: dict[str, type[Optimizer]] = {}


def register(cls: type[Optimizer]) -> type[Optimizer]:
    """Class decorator: put an optimizer in ``OPTIMIZERS`` (and so in the API and the UI)."""
    OPTIMIZERS[cls.name] = cls
    return cls


@register
class SGD(Optimizer):
    name = "sgd"
    title = "SGD"
    torch = "torch.optim.SGD"
    hyper = (
        _h("lr", 1e-3, "float", LR),
        _h("momentum", 0.0, "float", "momentum factor μ"),
        _h("dampening", 0.0, "float", "dampening τ for momentum", minimum=None),
        _h("weight_decay", 0.0, "float", WD),
        _h("nesterov", False, "bool", "Nesterov momentum"),
    )

    @classmethod
    def validate(cls, hp: Mapping[str, Any]) -> None:
        if hp["nesterov"] and (hp["momentum"] <= 0 or hp["dampening"] != 0):
            raise ChainruleError(
                "bad_value", "optimizer 'sgd': nesterov requires momentum > 0 and dampening = 0"
            )

    def update(self, w: Value, g: Value, st: dict[str, Any]) -> tuple[Value, Terms]:
        hp = self.hp
        lr, mu, wd = hp["lr"], hp["momentum"], hp["weight_decay"]
        if wd != 0:
            g = g + wd * w
        t: Terms = {"lr": lr, "g": g}
        d = g
        if mu != 0:
            buf = st.get("momentum_buffer")
            t["v_prev"] = buf
            buf = g if buf is None else buf * mu + g * (1 - hp["dampening"])
            st["momentum_buffer"] = buf
            t["v"] = buf
            d = g + buf * mu if hp["nesterov"] else buf
        t["d"] = d
        return w - lr * d, t

    @classmethod
    def formula(cls, hp: Mapping[str, Any]) -> list[str]:
        lines = [_grad_line(hp)]
        if hp["momentum"]:
            lines.append("v ← momentum·v + (1 − dampening)·g   (first step: v ← g)")
            lines.append("w ← w − lr·(g + momentum·v)" if hp["nesterov"] else "w ← w − lr·v")
        else:
            lines.append("w ← w − lr·g")
        return lines

    @classmethod
    def explain(cls, n: str, hp: Mapping[str, Any], w: Any, g: Any, new: Any, t: Terms) -> list[str]:
        lines = []
        if hp["weight_decay"] != 0:
            lines.append(
                f"g ← ∇{n} + λ·{n} = {_val(g)} + {_num(hp['weight_decay'])}×{_num(w)} = {_val(t['g'])}"
            )
        gname = "g" if hp["weight_decay"] != 0 else "grad"
        if "v" in t:
            if t["v_prev"] is None:
                lines.append(f"v ← {gname} = {_val(t['v'])}")
            else:
                mv = f"{_val(hp['momentum'])}×{_num(t['v_prev'])}"
                if hp["dampening"] == 0:
                    lines.append(f"v ← μ·v + {gname} = {mv} + {_num(t['g'])} = {_val(t['v'])}")
                else:
                    lines.append(
                        f"v ← μ·v + (1−τ)·{gname} = {mv} + {_num(1 - hp['dampening'])}×{_num(t['g'])}"
                        f" = {_val(t['v'])}"
                    )
            if hp["nesterov"]:
                lines.append(
                    f"{n} ← {n} − lr·({gname} + μ·v) = {_val(w)} − {_num(t['lr'])}×"
                    f"({_num(t['g'])} + {_num(hp['momentum'])}×{_num(t['v'])}) = {_val(new)}"
                )
            else:
                lines.append(f"{n} ← {n} − lr·v = {_val(w)} − {_num(t['lr'])}×{_num(t['v'])} = {_val(new)}")
        else:
            lines.append(f"{n} ← {n} − lr·{gname} = {_val(w)} − {_num(t['lr'])}×{_num(t['g'])} = {_val(new)}")
        return lines


@register
class Adagrad(Optimizer):
    name = "adagrad"
    title = "Adagrad"
    torch = "torch.optim.Adagrad"
    hyper = (
        _h("lr", 1e-2, "float", LR),
        _h("lr_decay", 0.0, "float", "learning-rate decay per step"),
        _h("weight_decay", 0.0, "float", WD),
        _h("initial_accumulator_value", 0.0, "float", "starting value of G"),
        _h("eps", 1e-10, "float", EPS),
    )

    def update(self, w: Value, g: Value, st: dict[str, Any]) -> tuple[Value, Terms]:
        hp = self.hp
        wd = hp["weight_decay"]
        if "sum" not in st:
            st["sum"] = (
                np.full_like(w, hp["initial_accumulator_value"])
                if isinstance(w, np.ndarray)
                else float(hp["initial_accumulator_value"])
            )
        if wd != 0:
            g = g + wd * w
        clr = hp["lr"] / (1 + (self.t - 1) * hp["lr_decay"])
        s = st["sum"] + g * g
        st["sum"] = s
        std = np.sqrt(s) + hp["eps"]
        return w - clr * (g / std), {"lr": clr, "g": g, "G": s, "denom": std}

    @classmethod
    def formula(cls, hp: Mapping[str, Any]) -> list[str]:
        return [
            _grad_line(hp),
            "clr ← lr / (1 + (t − 1)·lr_decay)",
            "G ← G + g²   (G starts at initial_accumulator_value)",
            "w ← w − clr·g / (√G + eps)",
        ]

    @classmethod
    def explain(cls, n: str, hp: Mapping[str, Any], w: Any, g: Any, new: Any, t: Terms) -> list[str]:
        lr = "clr" if hp["lr_decay"] != 0 else "lr"
        return [
            f"G ← G + g² = {_val(t['G'])}",
            f"{n} ← {n} − {lr}·g/(√G + ε) = {_val(w)} − {_num(t['lr'])}×{_num(t['g'])}"
            f"/{_num(t['denom'])} = {_val(new)}",
        ]


@register
class RMSprop(Optimizer):
    name = "rmsprop"
    title = "RMSprop"
    torch = "torch.optim.RMSprop"
    hyper = (
        _h("lr", 1e-2, "float", LR),
        _h("alpha", 0.99, "float", "smoothing constant of the running average of g²"),
        _h("eps", 1e-8, "float", EPS),
        _h("weight_decay", 0.0, "float", WD),
        _h("momentum", 0.0, "float", "momentum factor μ"),
        _h("centered", False, "bool", "normalise by the variance of g, not by g²"),
    )

    def update(self, w: Value, g: Value, st: dict[str, Any]) -> tuple[Value, Terms]:
        hp = self.hp
        alpha, wd, mu, lr = hp["alpha"], hp["weight_decay"], hp["momentum"], hp["lr"]
        zero = _zero(w)
        if wd != 0:
            g = g + wd * w
        sq = st.get("square_avg", zero) * alpha + g * g * (1 - alpha)
        st["square_avg"] = sq
        t: Terms = {"lr": lr, "g": g, "s": sq}
        if hp["centered"]:
            ga = st.get("grad_avg", zero)
            ga = ga + (g - ga) * (1 - alpha)  # torch: grad_avg.lerp_(grad, 1 - alpha)
            st["grad_avg"] = ga
            t["gbar"] = ga
            avg = np.sqrt(sq - ga * ga)
        else:
            avg = np.sqrt(sq)
        avg = avg + hp["eps"]
        t["denom"] = avg
        if mu > 0:
            buf = st.get("momentum_buffer", zero) * mu + g / avg
            st["momentum_buffer"] = buf
            t["v"] = buf
            return w - lr * buf, t
        return w - lr * (g / avg), t

    @classmethod
    def formula(cls, hp: Mapping[str, Any]) -> list[str]:
        lines = [_grad_line(hp), "s ← alpha·s + (1 − alpha)·g²"]
        denom = "√s + eps"
        if hp["centered"]:
            lines.append("ḡ ← alpha·ḡ + (1 − alpha)·g")
            denom = "√(s − ḡ²) + eps"
        if hp["momentum"]:
            lines.append(f"v ← momentum·v + g / ({denom})")
            lines.append("w ← w − lr·v")
        else:
            lines.append(f"w ← w − lr·g / ({denom})")
        return lines

    @classmethod
    def explain(cls, n: str, hp: Mapping[str, Any], w: Any, g: Any, new: Any, t: Terms) -> list[str]:
        lines = [f"s ← α·s + (1−α)·g² = {_val(t['s'])}"]
        if hp["centered"]:
            lines.append(f"ḡ ← α·ḡ + (1−α)·g = {_val(t['gbar'])}")
        root = "√(s − ḡ²)" if hp["centered"] else "√s"
        if "v" in t:
            lines.append(f"v ← μ·v + g/({root} + ε) = {_val(t['v'])}")
            lines.append(f"{n} ← {n} − lr·v = {_val(w)} − {_num(t['lr'])}×{_num(t['v'])} = {_val(new)}")
        else:
            lines.append(
                f"{n} ← {n} − lr·g/({root} + ε) = {_val(w)} − {_num(t['lr'])}×{_num(t['g'])}"
                f"/{_num(t['denom'])} = {_val(new)}"
            )
        return lines


@register
class Adam(Optimizer):
    name = "adam"
    title = "Adam"
    torch = "torch.optim.Adam"
    hyper = (
        _h("lr", 1e-3, "float", LR),
        _h("betas", (0.9, 0.999), "betas", BETAS),
        _h("eps", 1e-8, "float", EPS),
        _h("weight_decay", 0.0, "float", WD),
        _h("amsgrad", False, "bool", "use the running maximum of v̂ (AMSGrad)"),
    )
    decoupled: ClassVar[bool] = False  # AdamW decays the weights instead of the gradient

    def update(self, w: Value, g: Value, st: dict[str, Any]) -> tuple[Value, Terms]:
        hp = self.hp
        lr, wd, (b1, b2), eps = hp["lr"], hp["weight_decay"], hp["betas"], hp["eps"]
        zero = _zero(w)
        w0 = w
        if wd != 0:
            if self.decoupled:
                w = w * (1 - lr * wd)
            else:
                g = g + wd * w
        m = st.get("exp_avg", zero)
        m = m + (g - m) * (1 - b1)  # torch: exp_avg.lerp_(grad, 1 - beta1)
        v = st.get("exp_avg_sq", zero) * b2 + g * g * (1 - b2)
        st["exp_avg"], st["exp_avg_sq"] = m, v
        bc1 = 1 - b1**self.t
        bc2_sqrt = (1 - b2**self.t) ** 0.5
        step_size = lr / bc1
        vmax = v
        if hp["amsgrad"]:
            vmax = np.maximum(st.get("max_exp_avg_sq", zero), v)
            st["max_exp_avg_sq"] = vmax
        denom = np.sqrt(vmax) / bc2_sqrt + eps
        t: Terms = {"lr": lr, "g": g, "m": m, "v": v, "step_size": step_size, "denom": denom}
        if vmax is not v:
            t["vmax"] = vmax
        if w is not w0:
            t["w_decayed"] = w
        return w - step_size * (m / denom), t

    @classmethod
    def formula(cls, hp: Mapping[str, Any]) -> list[str]:
        lines = ["w ← w·(1 − lr·weight_decay)", "g ← ∇w"] if cls.decoupled else [_grad_line(hp)]
        lines += [
            "m ← β₁·m + (1 − β₁)·g",
            "v ← β₂·v + (1 − β₂)·g²",
            "m̂ ← m / (1 − β₁ᵗ),  v̂ ← v / (1 − β₂ᵗ)",
        ]
        if hp["amsgrad"]:
            lines += ["v̂max ← max(v̂max, v̂)", "w ← w − lr·m̂ / (√v̂max + eps)"]
        else:
            lines.append("w ← w − lr·m̂ / (√v̂ + eps)")
        return lines

    @classmethod
    def explain(cls, n: str, hp: Mapping[str, Any], w: Any, g: Any, new: Any, t: Terms) -> list[str]:
        lines = []
        if "w_decayed" in t:
            lines.append(f"{n} ← {n}·(1 − lr·λ) = {_val(t['w_decayed'])}")
            w = t["w_decayed"]
        lines.append(f"m ← β₁·m + (1−β₁)·g = {_val(t['m'])}")
        lines.append(f"v ← β₂·v + (1−β₂)·g² = {_val(t['v'])}")
        v = "v̂max" if "vmax" in t else "v̂"
        lines.append(
            f"{n} ← {n} − lr·m̂/(√{v} + ε) = {_val(w)} − {_num(t['step_size'])}×{_num(t['m'])}"
            f"/{_num(t['denom'])} = {_val(new)}"
        )
        return lines


@register
class AdamW(Adam):
    name = "adamw"
    title = "AdamW"
    torch = "torch.optim.AdamW"
    hyper = (
        _h("lr", 1e-3, "float", LR),
        _h("betas", (0.9, 0.999), "betas", BETAS),
        _h("eps", 1e-8, "float", EPS),
        _h("weight_decay", 1e-2, "float", "decoupled weight decay: w ← w·(1 − lr·λ)"),
        _h("amsgrad", False, "bool", "use the running maximum of v̂ (AMSGrad)"),
    )
    decoupled = True


@register
class Adamax(Optimizer):
    name = "adamax"
    title = "Adamax"
    torch = "torch.optim.Adamax"
    hyper = (
        _h("lr", 2e-3, "float", LR),
        _h("betas", (0.9, 0.999), "betas", "decay rates of the running average of g and of the max of |g|"),
        _h("eps", 1e-8, "float", EPS),
        _h("weight_decay", 0.0, "float", WD),
    )

    def update(self, w: Value, g: Value, st: dict[str, Any]) -> tuple[Value, Terms]:
        hp = self.hp
        (b1, b2), eps = hp["betas"], hp["eps"]
        if hp["weight_decay"] != 0:
            g = g + hp["weight_decay"] * w
        m_prev, u_prev = st.get("exp_avg", _zero(w)), st.get("exp_inf", _zero(w))
        m = m_prev + (g - m_prev) * (1 - b1)  # torch: exp_avg.lerp_(grad, 1 - beta1)
        u = np.maximum(u_prev * b2, np.abs(g) + eps)
        st["exp_avg"], st["exp_inf"] = m, u
        bc = 1 - b1**self.t
        t: Terms = {"lr": hp["lr"], "g": g, "m_prev": m_prev, "m": m, "u_prev": u_prev, "u": u, "bc": bc}
        return w - hp["lr"] / bc * (m / u), t

    @classmethod
    def formula(cls, hp: Mapping[str, Any]) -> list[str]:
        return [
            _grad_line(hp),
            "m ← β₁·m + (1 − β₁)·g",
            "u ← max(β₂·u, |g| + eps)",
            "w ← w − lr / (1 − β₁ᵗ) · m / u",
        ]

    @classmethod
    def explain(cls, n: str, hp: Mapping[str, Any], w: Any, g: Any, new: Any, t: Terms) -> list[str]:
        (b1, b2), gd = hp["betas"], t["g"]  # gd: the grad after weight decay
        lines = []
        if hp["weight_decay"] != 0:
            lines.append(f"g ← ∇{n} + λ·{n} = {_val(g)} + {_num(hp['weight_decay'])}×{_num(w)} = {_val(gd)}")
        m = f"{_val(b1)}×{_num(t['m_prev'])} + {_val(1 - b1)}×{_num(gd)}"
        u = f"{_val(b2)}×{_num(t['u_prev'])}"
        lines += [
            f"m ← β₁·m + (1−β₁)·g = {m} = {_val(t['m'])}",
            f"u ← max(β₂·u, |g| + ε) = max({u}, {_val(abs(gd))} + {_val(hp['eps'])}) = {_val(t['u'])}",
            f"{n} ← {n} − lr/(1−β₁ᵗ)·m/u = {_val(w)} − {_num(t['lr'])}/{_num(t['bc'])}×{_num(t['m'])}"
            f"/{_num(t['u'])} = {_val(new)}",
        ]
        return lines


DEFAULT_OPTIMIZER = "sgd"


def make_optimizer(
    config: Mapping[str, Any] | None, ignored: list[str] | None = None
) -> tuple[type[Optimizer], Optimizer]:
    """Validate ``{"name": ..., hyper-parameters...}`` and build the optimizer.

    Returns the registry's class and an instance holding the resolved hyper-parameters.
    Unknown names and out-of-range hyper-parameters raise ``bad_value``; omitted ones take
    torch's defaults. A hyper-parameter the optimizer does not have raises ``bad_value``,
    unless ``ignored`` is a list: then its name is appended there and it is ignored (so a
    UI may send every field whatever the optimizer). ``maximize`` is accepted only as false.
    """
    config = dict(config or {})
    name = config.pop("name", DEFAULT_OPTIMIZER)
    if not isinstance(name, str) or name.lower() not in OPTIMIZERS:
        raise ChainruleError(
            "bad_value",
            f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}",
            params={"field": "optimizer.name", "reason": "not_allowed", "allowed": list(OPTIMIZERS)},
        )
    spec = OPTIMIZERS[name.lower()]
    if config.get("maximize", False) is not False:
        raise ChainruleError("bad_value", "maximize=true is not supported: training minimises")
    config.pop("maximize", None)
    config = {k: v for k, v in config.items() if v is not None}
    unknown = sorted(set(config) - set(spec.defaults))
    if unknown and ignored is not None:
        ignored.extend(unknown)
        config = {k: v for k, v in config.items() if k in spec.defaults}
    elif unknown:
        known = list(spec.defaults)
        close = suggestions(unknown[0], known, 1)
        raise ChainruleError(
            "bad_value",
            f"optimizer {spec.name!r} has no hyper-parameter {', '.join(map(repr, unknown))}; "
            f"it takes {', '.join(known)}{did_you_mean(close)}",
            params={"field": "optimizer", "reason": "unknown_key", "key": unknown[0], "known": known,
                    "suggestions": close},
        )
    hp = dict(spec.defaults)
    for h in spec.hyper:
        if h.name in config:
            hp[h.name] = h.check(spec.name, config[h.name])
    spec.validate(hp)
    return spec, spec(hp)


def explain_update(
    spec: type[Optimizer], hp: Mapping[str, Any], name: str, w: Any, g: Any, new: Any, t: Terms
) -> list[str]:
    """The arithmetic of one scalar update as lines, e.g. ``w ← w − lr·grad = 3 − 0.1×2 = 2.8``."""
    return spec.explain(name, hp, w, g, new, t)
