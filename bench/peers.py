"""The peers a user would pick instead of chainrule: micrograd, PyTorch and plain numpy.

micrograd 0.1.0 (PyPI) has +, *, **, relu and their reverses. The workloads also need
``tanh`` and ``abs``; they are added below in micrograd's own style (a method building an
output ``Value`` with a ``_backward`` closure that does ``+=`` into the children's grads)
and attached to ``micrograd.engine.Value`` here, inside the bench only.
"""

from __future__ import annotations

import math
import sys
from types import SimpleNamespace
from typing import Any

import numpy as np

# ---------------------------------------------------------------- micrograd
from micrograd.engine import Value


def _tanh(self: Value) -> Value:
    t = math.tanh(self.data)
    out = Value(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1 - t**2) * out.grad
    out._backward = _backward

    return out


def _abs(self: Value) -> Value:
    out = Value(abs(self.data), (self,), "abs")

    def _backward() -> None:  # PyTorch's convention: d|x|/dx = 0 at 0
        self.grad += (1.0 if self.data > 0 else -1.0 if self.data < 0 else 0.0) * out.grad
    out._backward = _backward

    return out


Value.tanh = _tanh
Value.__abs__ = _abs

MICROGRAD_F = SimpleNamespace(tanh=lambda v: v.tanh(), abs=abs)

# micrograd's backward builds its topological order recursively: ~1 frame per node on the
# deepest path (50,000 for the chain). CPython 3.11+ does not use the C stack for
# Python-to-Python calls, so raising the limit is enough.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 1_000_000))


def micrograd_run(workload: Any) -> tuple[Value, Any]:
    """micrograd build + forward + backward; returns (loss, tree of leaf Values)."""
    from bench.workloads import tree_map

    P = tree_map(Value, workload.data)
    loss = workload.build(P, MICROGRAD_F)
    loss.backward()
    return loss, P


# ---------------------------------------------------------------- PyTorch, 0-d tensors
def torch_scalar_run(workload: Any) -> tuple[Any, Any]:
    """PyTorch build + forward + backward on 0-d float64 leaves; returns (loss, leaves)."""
    import torch

    from bench.workloads import tree_map

    tensor, f64 = torch.tensor, torch.float64
    P = tree_map(lambda v: tensor(v, dtype=f64, requires_grad=True), workload.data)
    loss = workload.build(P, TORCH_F)
    loss.backward()
    return loss, P


def _torch_f() -> SimpleNamespace:
    import torch
    return SimpleNamespace(tanh=torch.tanh, abs=torch.abs)


TORCH_F = _torch_f()


# ---------------------------------------------------------------- PyTorch, vectorised MLP
def torch_mlp_leaves(data: dict[str, np.ndarray], dtype: Any) -> dict[str, Any]:
    """Leaves made once; every input but the labels requires grad, as chainrule returns them all."""
    import torch

    out = {k: torch.tensor(v, dtype=dtype, requires_grad=True) for k, v in data.items() if k != "labels"}
    out["labels"] = torch.tensor(data["labels"], dtype=torch.long)
    return out


def torch_mlp_run(L: dict[str, Any]) -> Any:
    """Forward + backward of the tensor MLP (grads reset first, as a training loop does)."""
    import torch.nn.functional as tF

    for k, t in L.items():
        if k != "labels":
            t.grad = None
    h = tF.relu(L["x"] @ L["W1"] + L["b1"])
    logits = h @ L["W2"] + L["b2"]
    loss = tF.cross_entropy(logits, L["labels"])
    loss.backward()
    return loss


# ---------------------------------------------------------------- numpy, hand-written backward
def numpy_mlp_run(d: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
    """Forward + hand-written backward of the tensor MLP; gradients of every input but labels."""
    x, W1, b1, W2, b2 = d["x"], d["W1"], d["b1"], d["W2"], d["b2"]
    labels = d["labels"].astype(np.intp)
    n = x.shape[0]
    z = x @ W1 + b1
    h = np.maximum(z, 0.0)
    logits = h @ W2 + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    logsumexp = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    logp = shifted - logsumexp
    rows = np.arange(n)
    loss = -logp[rows, labels].mean()
    dlogits = np.exp(logp)
    dlogits[rows, labels] -= 1.0
    dlogits /= n
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(axis=0)
    dh = dlogits @ W2.T
    dz = dh * (z > 0)
    dW1 = x.T @ dz
    db1 = dz.sum(axis=0)
    dx = dz @ W1.T
    return float(loss), {"x": dx, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
