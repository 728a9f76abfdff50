# ruff: noqa: B023
"""A small stand-in for app.engine (compile_program / resolve_values), used by the training
tests only while the real engine has not landed. Remove once app.engine exports them."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.errors import ChainruleError


def _unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    g = np.asarray(g, dtype=float)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for i, s in enumerate(shape):
        if s == 1 and g.shape[i] != 1:
            g = g.sum(axis=i, keepdims=True)
    return g


class V:
    def __init__(self, value: Any, parents: tuple = (), vjps: tuple = ()):
        self.value = np.asarray(value, dtype=float)
        self.parents, self.vjps = parents, vjps


def _log_softmax(z: Any) -> Any:
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def _binop(op: str, a: V, b: V) -> V:
    x, y = a.value, b.value
    sa, sb = x.shape, y.shape
    if op == "+":
        return V(x + y, (a, b), (lambda g: _unbroadcast(g, sa), lambda g: _unbroadcast(g, sb)))
    if op == "-":
        return V(x - y, (a, b), (lambda g: _unbroadcast(g, sa), lambda g: _unbroadcast(-g, sb)))
    if op == "*":
        return V(
            x * y, (a, b), (lambda g: _unbroadcast(g * y, sa), lambda g: _unbroadcast(g * x, sb))
        )
    if op == "/":
        return V(
            x / y,
            (a, b),
            (lambda g: _unbroadcast(g / y, sa), lambda g: _unbroadcast(-g * x / y**2, sb)),
        )
    if op == "**":
        ans = x**y
        return V(
            ans,
            (a, b),
            (
                lambda g: _unbroadcast(g * y * x ** (y - 1), sa),
                lambda g: _unbroadcast(g * ans * np.log(np.abs(x) + 1e-300), sb),
            ),
        )
    if op == "@":
        return V(x @ y, (a, b), (lambda g: g @ y.T, lambda g: x.T @ g))
    raise ChainruleError("syntax_error", op)


_UNARY = {
    "sin": (np.sin, lambda x, ans: np.cos(x)),
    "cos": (np.cos, lambda x, ans: -np.sin(x)),
    "exp": (np.exp, lambda x, ans: ans),
    "log": (np.log, lambda x, ans: 1 / x),
    "tanh": (np.tanh, lambda x, ans: 1 - ans**2),
    "abs": (np.abs, lambda x, ans: np.sign(x)),
    "relu": (lambda x: np.maximum(x, 0), lambda x, ans: (x > 0) * 1.0),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), lambda x, ans: ans * (1 - ans)),
    "sqrt": (np.sqrt, lambda x, ans: 0.5 / ans),
    "square": (np.square, lambda x, ans: 2 * x),
}


def _call(name: str, args: list[V]) -> V:
    if name in _UNARY:
        f, d = _UNARY[name]
        (a,) = args
        ans = f(a.value)
        return V(ans, (a,), (lambda g: g * d(a.value, ans),))
    if name in ("sum", "mean"):
        (a,) = args
        n = a.value.size if name == "mean" else 1
        return V(a.value.sum() / n, (a,), (lambda g: np.broadcast_to(g / n, a.value.shape),))
    if name == "mse":
        return _call("mean", [_binop("**", _binop("-", *args), V(2.0))])
    if name == "cross_entropy":
        z, t = args
        lsm = _log_softmax(z.value)
        tv = t.value
        onehot = np.eye(z.value.shape[-1])[tv.astype(int)] if tv.ndim == z.value.ndim - 1 else tv
        n = z.value.shape[0]
        return V(-(onehot * lsm).sum() / n, (z,), (lambda g: g * (np.exp(lsm) - onehot) / n,))
    raise ChainruleError("unknown_function", name)


@dataclass
class Run:
    value: Any
    loss: float
    input_grads: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class Program:
    def __init__(self, expression: str, output: str | None):
        try:
            tree = ast.parse(expression.replace(";", "\n"))
        except SyntaxError as e:
            raise ChainruleError("syntax_error", str(e)) from None
        self.stmts = tree.body
        self.output = output
        self.input_names: list[str] = []
        assigned: set[str] = set()
        for st in self.stmts:
            for node in ast.walk(st.value if isinstance(st, ast.Assign) else st):
                if (
                    isinstance(node, ast.Name)
                    and node.id not in assigned
                    and node.id not in self.input_names
                    and not any(isinstance(p, ast.Call) and p.func is node for p in ast.walk(st))
                ):
                    self.input_names.append(node.id)
            if isinstance(st, ast.Assign):
                assigned.add(st.targets[0].id)  # type: ignore[attr-defined]
        self.node_count = sum(1 for st in self.stmts for _ in ast.walk(st))

    def _eval(self, node: ast.AST, env: dict[str, V]) -> V:
        if isinstance(node, ast.Constant):
            return V(float(node.value))
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.BinOp):
            ops = {
                ast.Add: "+",
                ast.Sub: "-",
                ast.Mult: "*",
                ast.Div: "/",
                ast.Pow: "**",
                ast.MatMult: "@",
            }
            return _binop(
                ops[type(node.op)], self._eval(node.left, env), self._eval(node.right, env)
            )
        if isinstance(node, ast.UnaryOp):
            a = self._eval(node.operand, env)
            if isinstance(node.op, ast.USub):
                return V(-a.value, (a,), (lambda g: -g,))
            return a
        if isinstance(node, ast.Call):
            return _call(node.func.id, [self._eval(x, env) for x in node.args])  # type: ignore
        raise ChainruleError("syntax_error", type(node).__name__)

    def run(self, values: dict[str, Any], backward: bool = True) -> Run:
        env = {k: V(values[k]) for k in self.input_names}
        leaves = dict(env)
        out = None
        with np.errstate(all="ignore"):
            for st in self.stmts:
                if isinstance(st, ast.Assign):
                    out = env[st.targets[0].id] = self._eval(st.value, env)  # type: ignore
                else:
                    out = self._eval(st.value, env)  # type: ignore[attr-defined]
            if self.output:
                out = env[self.output]
            assert out is not None
            value = out.value
            scalar = value.ndim == 0
            loss = float(value.sum())
            run = Run(float(value) if scalar else value, loss)
            if not scalar:
                run.warnings.append("output is not a scalar: differentiated as sum(output)")
            if backward:
                order: list[V] = []
                seen: set[int] = set()
                stack = [(out, False)]
                while stack:
                    v, done = stack.pop()
                    if done:
                        order.append(v)
                        continue
                    if id(v) in seen:
                        continue
                    seen.add(id(v))
                    stack.append((v, True))
                    stack.extend((p, False) for p in v.parents)
                grads = {id(out): np.ones_like(value)}
                for v in reversed(order):
                    g = grads.get(id(v))
                    if g is None:
                        continue
                    for p, f in zip(v.parents, v.vjps, strict=True):
                        grads[id(p)] = grads.get(id(p), 0) + f(g)
                for k, leaf in leaves.items():
                    g = np.asarray(grads.get(id(leaf), np.zeros_like(leaf.value)), dtype=float)
                    run.input_grads[k] = float(g) if g.ndim == 0 else g
        return run


def compile_program(expression: str, output: str | None = None) -> Program:
    return Program(expression, output)


def resolve_values(json_values: dict[str, Any], input_names: list[str]) -> dict[str, Any]:
    missing = [n for n in input_names if n not in json_values]
    if missing:
        raise ChainruleError("missing_value", "missing value(s) for " + ", ".join(missing))
    out: dict[str, Any] = {}
    for k in input_names:
        v = json_values[k]
        if isinstance(v, dict):
            rng = np.random.default_rng(v.get("seed", 0))
            shape = tuple(v.get("shape", ()))
            init = v.get("init")
            scale = v.get("scale", 1.0 if init in ("ones",) else 0.1)
            arr = {
                "normal": lambda: rng.standard_normal(shape) * scale,
                "uniform": lambda: rng.uniform(-scale, scale, shape),
                "zeros": lambda: np.zeros(shape),
                "ones": lambda: np.ones(shape),
            }[init]()
        else:
            try:
                arr = np.array(v, dtype=np.float64)
            except (ValueError, TypeError):
                raise ChainruleError(
                    "bad_value", f"value of {k} is not a number or a rectangular nested list"
                ) from None
        out[k] = float(arr) if arr.ndim == 0 else arr
    return out
