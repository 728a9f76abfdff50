"""The built-in examples of ``GET /api/examples``; the worked example comes first."""

from __future__ import annotations

from typing import Any

EXAMPLES: list[dict[str, Any]] = [
    {
        "id": "worked",
        "title": "Worked example: y = w·x + b, absolute error",
        "expression": "y = w*x + b\nloss = abs(y_true - y)",
        "values": {"x": 2, "y_true": 4, "w": 3, "b": 1},
        "description": "y = 7, loss = 3; d loss/d w = 2 and d loss/d b = 1.",
    },
    {
        "id": "shared",
        "title": "A shared input: x*x + x",
        "expression": "y = x*x + x",
        "values": {"x": 3},
        "description": "x is used on three paths: d y/d x = 2x + 1 = 7 sums them.",
    },
    {
        "id": "dense",
        "title": "Dense layer: relu(x @ W + b)",
        "expression": "h = relu(x @ W + b)\nloss = sum(h)",
        "values": {
            "x": [[1.0, -2.0, 0.5]],
            "W": {"init": "normal", "shape": [3, 4], "scale": 0.5, "seed": 1},
            "b": [0.1, -0.1, 0.2, 0.0],
        },
        "description": "A tensor layer: the local Jacobian of @ is W^T, of relu a 0/1 mask.",
    },
    {
        "id": "mlp",
        "title": "2-layer MLP with softmax cross-entropy",
        "expression": "h = relu(x @ W1 + b1)\nlogits = h @ W2 + b2\n"
                      "loss = cross_entropy(logits, labels)",
        "values": {
            "x": {"init": "normal", "shape": [4, 3], "seed": 0},
            "W1": {"init": "normal", "shape": [3, 5], "scale": 0.5, "seed": 1},
            "b1": {"init": "zeros", "shape": [5]},
            "W2": {"init": "normal", "shape": [5, 2], "scale": 0.5, "seed": 2},
            "b2": {"init": "zeros", "shape": [2]},
            "labels": [0, 1, 1, 0],
        },
        "description": "Gradient of the mean cross-entropy: (softmax - one_hot) / N at the logits.",
    },
    {
        "id": "logistic",
        "title": "Logistic regression",
        "expression": "p = sigmoid(x @ w + b)\n"
                      "loss = -mean(y * log(p) + (1 - y) * log(1 - p))",
        "values": {
            "x": [[0.5, 1.0], [-1.0, 0.3], [2.0, -0.5]],
            "y": [1, 0, 1],
            "w": [0.1, -0.2],
            "b": 0.0,
        },
        "description": "Binary cross-entropy of a sigmoid: its gradient at the logit is p - y.",
    },
    {
        "id": "local-minimum",
        "title": "A local minimum (momentum's picture)",
        "expression": "loss = w**4 - 3*w**2 + w + 2*sin(3*w)",
        "values": {"w": 2.0},
        "description": "From w = 2, plain SGD stops in a local minimum; momentum rolls past it.",
    },
]
