
"""Built-in training examples for the UI (the worked example first). Each is a ready
``train`` request: expression, values, params, data or dataset, optimizer, steps."""

from __future__ import annotations

from typing import Any

TRAINING_EXAMPLES: list[dict[str, Any]] = [
    {
        "id": "worked",
        "title": "The worked example, trained on w and b",
        "description": "One data point; each SGD step moves w by lr·x and b by lr until the "
        "prediction reaches the target, then the |·| loss makes it oscillate.",
        "expression": "y = w*x + b; loss = abs(y_true - y)",
        "values": {"x": 2.0, "w": 3.0, "b": 1.0, "y_true": 4.0},
        "params": ["w", "b"],
        "optimizer": {"name": "sgd", "lr": 0.1},
        "steps": 10,
    },
    {
        "id": "linear-regression",
        "title": "Linear regression on the linear dataset",
        "description": "Fit y = w·x + b to 100 noisy points of y = 2x + 1 by mean squared error.",
        "expression": "y_hat = w*x + b; loss = mean((y_hat - y)**2)",
        "values": {"w": 0.0, "b": 0.0},
        "params": ["w", "b"],
        "dataset": {"name": "linear", "n": 100, "noise": 0.1, "seed": 0},
        "optimizer": {"name": "sgd", "lr": 0.1},
        "steps": 100,
    },
    {
        "id": "local-minimum-sgd",
        "title": "A local minimum: plain SGD stalls",
        "description": "From w = 2, SGD with lr 0.01 rolls into the local minimum near "
        "w ≈ 1.38 and stays there.",
        "expression": "loss = w**4 - 3*w**2 + w + 2*sin(3*w)",
        "values": {"w": 2.0},
        "params": ["w"],
        "optimizer": {"name": "sgd", "lr": 0.01},
        "steps": 200,
    },
    {
        "id": "local-minimum-momentum",
        "title": "A local minimum: momentum 0.9 rolls past it",
        "description": "The same start and lr with momentum 0.9: the velocity carries w over "
        "the bump into the global minimum near w ≈ −0.75.",
        "expression": "loss = w**4 - 3*w**2 + w + 2*sin(3*w)",
        "values": {"w": 2.0},
        "params": ["w"],
        "optimizer": {"name": "sgd", "lr": 0.01, "momentum": 0.9},
        "steps": 200,
    },
    {
        "id": "mlp-moons",
        "title": "A small MLP on two moons",
        "description": "2 → 16 (tanh) → 2 logits, cross-entropy, Adam, mini-batches of 32.",
        "expression": "h = tanh(X @ W1 + b1)\nlogits = h @ W2 + b2\nloss = cross_entropy(logits, y)",
        "values": {
            "W1": {"init": "normal", "shape": [2, 16], "scale": 1.0, "seed": 0},
            "b1": {"init": "zeros", "shape": [16]},
            "W2": {"init": "normal", "shape": [16, 2], "scale": 0.25, "seed": 1},
            "b2": {"init": "zeros", "shape": [2]},
        },
        "params": ["W1", "b1", "W2", "b2"],
        "dataset": {"name": "moons", "n": 200, "noise": 0.1, "seed": 0},
        "optimizer": {"name": "adam", "lr": 0.05},
        "batch_size": 32,
        "steps": 200,
    },
    {
        "id": "mlp-digits",
        "title": "The chapter's 2-layer network on handwritten digits",
        "description": "8×8 digits (64 pixels) → 32 (relu) → 10 logits, cross-entropy, RMSprop, "
        "mini-batches of 128, as the chapter trains its network on MNIST; accuracy on the 360 "
        "held-out digits is shown at the end.",
        "expression": "h = relu(X @ W1 + b1)\nlogits = h @ W2 + b2\nloss = cross_entropy(logits, y)",
        "values": {
            "W1": {"init": "normal", "shape": [64, 32], "scale": 0.18, "seed": 0},
            "b1": {"init": "zeros", "shape": [32]},
            "W2": {"init": "normal", "shape": [32, 10], "scale": 0.18, "seed": 1},
            "b2": {"init": "zeros", "shape": [10]},
        },
        "params": ["W1", "b1", "W2", "b2"],
        "dataset": "digits",
        "optimizer": {"name": "rmsprop", "lr": 0.003},
        "batch_size": 128,
        "steps": 100,
        "predict": "logits",
    },
    {
        "id": "large-lr-exploding",
        "title": "A learning rate too large for the curvature: exploding gradients",
        "description": "loss = (3w − 300)²: with lr 0.2 each step overshoots the minimum and lands "
        "2.6 times farther away; at step 7 the gradient passes a million, then the run diverges.",
        "expression": "loss = (3*w - 300)**2",
        "values": {"w": 0.0},
        "params": ["w"],
        "optimizer": {"name": "sgd", "lr": 0.2},
        "steps": 20,
        "shows": {"kind": "exploding", "nodes": ["w"]},
    },
    {
        "id": "large-lr-nan",
        "title": "Learning rate 10: NaN from log(softmax(...))",
        "description": "Unscaled features and lr 10 make the logits huge after one step: softmax "
        "rounds a probability to 0, log gives -Infinity, and the loss turns NaN.",
        "expression": "logits = x @ W + b\nloss = -mean(sum(t * log(softmax(logits, axis=1)), axis=1))",
        "values": {"W": {"init": "zeros", "shape": [2, 3]}, "b": {"init": "zeros", "shape": [3]}},
        "params": ["W", "b"],
        "data": {"x": [[120.0, 3.0], [45.0, 1.0], [80.0, 2.0], [200.0, 5.0]],
                 "t": [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]},
        "optimizer": {"name": "sgd", "lr": 10.0},
        "steps": 10,
        "shows": {"kind": "nonfinite_origin", "nodes": ["log(t1)"]},
    },
]

#: The fields of an example that are ``train`` keyword arguments.
TRAIN_FIELDS = (
    "expression",
    "values",
    "params",
    "data",
    "dataset",
    "optimizer",
    "steps",
    "seed",
    "batch_size",
    "output",
    "predict",
)


def train_kwargs(example: dict[str, Any]) -> dict[str, Any]:
    """The ``train(**kwargs)`` of an example."""
    return {k: v for k, v in example.items() if k in TRAIN_FIELDS}
