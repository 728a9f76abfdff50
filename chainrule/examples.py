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
        "optimizer": {"name": "sgd", "lr": 0.1},  # its own learning rate (torch's is 0.001)
    },
    {
        "id": "shared",
        "title": "A shared input: x*x + x",
        "expression": "y = x*x + x",
        "values": {"x": 3},
        "description": "x is used on three paths: d y/d x = 2x + 1 = 7 sums them.",
        "optimizer": {"name": "sgd", "lr": 0.1},  # its own learning rate (torch's is 0.001)
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
        "optimizer": {"name": "sgd", "lr": 0.1},  # its own learning rate (torch's is 0.001)
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
        "optimizer": {"name": "sgd", "lr": 0.5},  # its own learning rate (torch's is 0.001)
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
        "optimizer": {"name": "sgd", "lr": 0.5},  # its own learning rate (torch's is 0.001)
    },
    {
        "id": "local-minimum",
        "title": "A local minimum (momentum's picture)",
        "expression": "loss = w**4 - 3*w**2 + w + 2*sin(3*w)",
        "values": {"w": 2.0},
        "description": "From w = 2, plain SGD stops in a local minimum; momentum rolls past it.",
        "optimizer": {"name": "sgd", "lr": 0.01},  # its own learning rate (torch's is 0.001)
    },
    # Gradient health (issue 14): each shows one diagnostics kind on the nodes in "shows".
    {
        "id": "sigmoid-chain",
        "title": "Vanishing gradient: a 10-layer sigmoid chain",
        "expression": "\n".join(["h1 = sigmoid(x)"] + [f"h{k} = sigmoid(h{k - 1})" for k in range(2, 11)]
                                 + ["loss = (h10 - y)**2"]),
        "values": {"x": 0.0, "y": 1.0},
        "description": "Each sigmoid passes at most 1/4 of the gradient: after 10 layers d loss/d x "
                       "is a millionth of d loss/d y.",
        "shows": {"kind": "vanishing", "nodes": ["x"]},
    },
    {
        "id": "saturated-tanh",
        "title": "Saturation: tanh of a large input",
        "expression": "h = tanh(w*x + b)\nloss = (h - y)**2",
        "values": {"w": 2.0, "x": 2.0, "b": 0.2, "y": 0.0},
        "description": "tanh(4.2) = 0.9995: its local gradient 1 − h² is below 0.001, so w, x and "
                       "b learn a thousand times slower than y.",
        "shows": {"kind": "saturated", "nodes": ["h"]},
    },
    {
        "id": "exploding-chain",
        "title": "Exploding gradient: eight layers with weight 10",
        "expression": "\n".join(["h1 = w*x"] + [f"h{k} = w*h{k - 1}" for k in range(2, 9)]),
        "values": {"w": 10.0, "x": 1.0},
        "description": "Each layer multiplies the gradient by 10: d h8/d x = 10^8.",
        "shows": {"kind": "exploding", "nodes": ["w", "x"]},
    },
    {
        "id": "log-softmax-nan",
        "title": "NaN: log(softmax(z)) with a large logit",
        "expression": "loss = -sum(y * log(softmax(z)))",
        "values": {"z": [1000.0, 0.0, -5.0], "y": [0, 1, 0]},
        "description": "softmax rounds e^-1000 to 0, log(0) = -Infinity, and 0 · -Infinity is NaN.",
        "shows": {"kind": "nonfinite_origin", "nodes": ["t1"]},
    },
    {
        "id": "log-softmax-stable",
        "title": "The stable form: log_softmax(z)",
        "expression": "loss = -sum(y * log_softmax(z))",
        "values": {"z": [1000.0, 0.0, -5.0], "y": [0, 1, 0]},
        "description": "log_softmax subtracts the largest logit first: the loss is 1000, finite.",
        "shows": {"kind": None, "nodes": []},
    },
    {
        "id": "dead-relu",
        "title": "Dead ReLU: a strongly negative bias",
        "expression": "h = relu(x @ W + b)\nloss = sum(h)",
        "values": {
            "x": [[1.0, -2.0, 0.5]],
            "W": {"init": "normal", "shape": [3, 4], "scale": 0.5, "seed": 1},
            "b": [-5.0, -5.0, -5.0, -5.0],
        },
        "description": "Every pre-activation is below 0: the ReLU passes no gradient to W or b.",
        "shows": {"kind": "dead_relu", "nodes": ["h"]},
    },
    {
        "id": "abs-kink",
        "title": "A kink: abs(x) at 0",
        "expression": "y = abs(x)",
        "values": {"x": 0.0},
        "description": "|x| has no derivative at 0; chainrule, like PyTorch, uses 0.",
        "shows": {"kind": "kink", "nodes": ["y"]},
    },
    {
        "id": "mistakes",
        "title": "Common mistakes: b = x + x; c = b + b",
        "expression": "b = x + x\nc = b + b",
        "values": {"x": 1.0},
        "description": "d c/d x = 4. Overwriting (=) instead of adding (+=) gives 1; visiting a "
                       "node before all its consumers are done gives 6.",
    },
]
