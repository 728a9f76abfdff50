"""The built-in examples of ``GET /api/examples``; the worked example comes first."""

from __future__ import annotations

from typing import Any


def _glyph(*rows: str) -> list[list[float]]:
    """An 8×8 image drawn in text ('#' ink, '+' half ink, '.' paper), as the digits
    dataset lays an image out: one channel, values in [0, 1]. The paper has a faint grain
    (as a scan has), so that no two pooling windows tie exactly: at a tie max pooling has
    no derivative, and a finite-difference check of the example would fail there."""
    ink = {"#": 0.95, "+": 0.5, ".": 0.0}
    return [[ink[c] + 0.002 * ((7 * i + 3 * j) % 11) for j, c in enumerate(row)]
            for i, row in enumerate(rows)]


#: Four handwritten-looking digits (0, 1, 7, 4) as a batch of shape (4, 1, 8, 8).
DIGIT_IMAGES: list[list[list[list[float]]]] = [
    [_glyph("..####..", ".#+..+#.", ".#....#.", "#+....+#", "#+....+#", ".#....#.", ".#+..+#.",
            "..####..")],
    [_glyph("...##...", "..###...", ".+.##...", "...##...", "...##...", "...##...", "...##...",
            ".######.")],
    [_glyph("########", "......#+", ".....+#.", ".....#..", "....#+..", "...+#...", "...#....",
            "..+#....")],
    [_glyph("....+#..", "...+##..", "..+#+#..", ".+#..#..", "########", ".....#..", ".....#..",
            ".....#..")],
]
DIGIT_LABELS: list[int] = [0, 1, 7, 4]
#: A batch of four rows and the weights of its loss, shared by batch_norm and its steps by hand
#: so the two examples show the same numbers.
BATCH_NORM_VALUES: dict[str, Any] = {
    "x": [[1.0, 2.0], [3.0, -1.0], [0.0, 0.5], [4.0, 1.5]],
    "c": [[1.0, 0.0], [0.0, 1.0], [-1.0, 2.0], [0.5, 0.5]],
}
#: A causal mask for 4 positions: position t attends to positions 0..t.
CAUSAL_MASK_4: list[list[int]] = [[1 if j <= i else 0 for j in range(4)] for i in range(4)]

EXAMPLES: list[dict[str, Any]] = [
    {
        "id": "worked",
        "title": "Worked example: y = w·x + b, absolute error",
        "i18n": {"vi": {
            "title": "Ví dụ mẫu: y = w·x + b, loss giá trị tuyệt đối",
            "description": "y = 7, loss = 3; d loss/d w = 2 và d loss/d b = 1.",
        }},
        "expression": "y = w*x + b\nloss = abs(y_true - y)",
        "values": {"x": 2, "y_true": 4, "w": 3, "b": 1},
        "description": "y = 7, loss = 3; d loss/d w = 2 and d loss/d b = 1.",
        "optimizer": {"name": "sgd", "lr": 0.1},  # its own learning rate (torch's is 0.001)
    },
    {
        "id": "shared",
        "title": "A shared input: x*x + x",
        "i18n": {"vi": {
            "title": "Một đầu vào dùng chung: x*x + x",
            "description": "x nằm trên ba đường đi: d y/d x = 2x + 1 = 7 là tổng của chúng.",
        }},
        "expression": "y = x*x + x",
        "values": {"x": 3},
        "description": "x is used on three paths: d y/d x = 2x + 1 = 7 sums them.",
        "optimizer": {"name": "sgd", "lr": 0.1},  # its own learning rate (torch's is 0.001)
    },
    {
        "id": "dense",
        "title": "Dense layer: relu(x @ W + b)",
        "i18n": {"vi": {
            "title": "Lớp Dense: relu(x @ W + b)",
            "description": "Một lớp tensor: ma trận Jacobi cục bộ của @ là W^T, của relu là một mặt nạ 0/1.",
        }},
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
        "i18n": {"vi": {
            "title": "MLP hai lớp với softmax cross-entropy",
            "description": "Gradient của cross-entropy trung bình tại logits: (softmax - one_hot) / N.",
        }},
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
        "i18n": {"vi": {
            "title": "Hồi quy logistic",
            "description": "Cross-entropy nhị phân của một sigmoid: gradient tại logit là p - y.",
        }},
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
        "i18n": {"vi": {
            "title": "Một cực tiểu cục bộ (hình minh họa momentum)",
            "description": "Từ w = 2, SGD thường dừng ở một cực tiểu cục bộ; momentum lăn qua được.",
        }},
        "expression": "loss = w**4 - 3*w**2 + w + 2*sin(3*w)",
        "values": {"w": 2.0},
        "description": "From w = 2, plain SGD stops in a local minimum; momentum rolls past it.",
        "optimizer": {"name": "sgd", "lr": 0.01},  # its own learning rate (torch's is 0.001)
    },
    # Gradient health (issue 14): each shows one diagnostics kind on the nodes in "shows".
    {
        "id": "sigmoid-chain",
        "title": "Vanishing gradient: a 10-layer sigmoid chain",
        "i18n": {"vi": {
            "title": "Gradient triệt tiêu: chuỗi 10 lớp sigmoid",
            "description": "Mỗi sigmoid cho qua nhiều nhất 1/4 gradient: sau 10 lớp, d loss/d x chỉ bằng một"
                           " phần triệu d loss/d y.",
        }},
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
        "i18n": {"vi": {
            "title": "Bão hòa: tanh của một đầu vào lớn",
            "description": "tanh(4.2) = 0.9995: gradient cục bộ 1 − h² nhỏ hơn 0.001, nên w, x và b học chậm"
                           " hơn y cả nghìn lần.",
        }},
        "expression": "h = tanh(w*x + b)\nloss = (h - y)**2",
        "values": {"w": 2.0, "x": 2.0, "b": 0.2, "y": 0.0},
        "description": "tanh(4.2) = 0.9995: its local gradient 1 − h² is below 0.001, so w, x and "
                       "b learn a thousand times slower than y.",
        "shows": {"kind": "saturated", "nodes": ["h"]},
    },
    {
        "id": "exploding-chain",
        "title": "Exploding gradient: eight layers with weight 10",
        "i18n": {"vi": {
            "title": "Gradient bùng nổ: tám lớp với trọng số 10",
            "description": "Mỗi lớp nhân gradient lên 10 lần: d h8/d x = 10^8.",
        }},
        "expression": "\n".join(["h1 = w*x"] + [f"h{k} = w*h{k - 1}" for k in range(2, 9)]),
        "values": {"w": 10.0, "x": 1.0},
        "description": "Each layer multiplies the gradient by 10: d h8/d x = 10^8.",
        "shows": {"kind": "exploding", "nodes": ["w", "x"]},
    },
    {
        "id": "log-softmax-nan",
        "title": "NaN: log(softmax(z)) with a large logit",
        "i18n": {"vi": {
            "title": "NaN: log(softmax(z)) với một logit lớn",
            "description": "softmax làm tròn e^-1000 về 0, log(0) = -Infinity, và 0 · -Infinity là NaN.",
        }},
        "expression": "loss = -sum(y * log(softmax(z)))",
        "values": {"z": [1000.0, 0.0, -5.0], "y": [0, 1, 0]},
        "description": "softmax rounds e^-1000 to 0, log(0) = -Infinity, and 0 · -Infinity is NaN.",
        "shows": {"kind": "nonfinite_origin", "nodes": ["t1"]},
    },
    {
        "id": "log-softmax-stable",
        "title": "The stable form: log_softmax(z)",
        "i18n": {"vi": {
            "title": "Dạng ổn định: log_softmax(z)",
            "description": "log_softmax trừ đi logit lớn nhất trước: loss bằng 1000, hữu hạn.",
        }},
        "expression": "loss = -sum(y * log_softmax(z))",
        "values": {"z": [1000.0, 0.0, -5.0], "y": [0, 1, 0]},
        "description": "log_softmax subtracts the largest logit first: the loss is 1000, finite.",
        "shows": {"kind": None, "nodes": []},
    },
    {
        "id": "dead-relu",
        "title": "Dead ReLU: a strongly negative bias",
        "i18n": {"vi": {
            "title": "ReLU chết: bias âm rất lớn",
            "description": "Mọi giá trị trước kích hoạt đều dưới 0: ReLU không truyền gradient nào về W hay "
                           "b.",
        }},
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
        "i18n": {"vi": {
            "title": "Một điểm gãy: abs(x) tại 0",
            "description": "|x| không có đạo hàm tại 0; chainrule, giống PyTorch, dùng 0.",
        }},
        "expression": "y = abs(x)",
        "values": {"x": 0.0},
        "description": "|x| has no derivative at 0; chainrule, like PyTorch, uses 0.",
        "shows": {"kind": "kink", "nodes": ["y"]},
    },
    {
        "id": "mistakes",
        "title": "Common mistakes: b = x + x; c = b + b",
        "i18n": {"vi": {
            "title": "Lỗi thường gặp: b = x + x; c = b + b",
            "description": "d c/d x = 4. Ghi đè (=) thay vì cộng dồn (+=) cho 1; xử lý một node trước khi "
                           "mọi node dùng nó xong cho 6.",
        }},
        "expression": "b = x + x\nc = b + b",
        "values": {"x": 1.0},
        "description": "d c/d x = 4. Overwriting (=) instead of adding (+=) gives 1; visiting a "
                       "node before all its consumers are done gives 6.",
    },
    # The rest of the course's models: every function of chainrule.engine.ops_nn is in one.
    {
        "id": "cnn-digits",
        "title": "A small CNN on four 8×8 digits",
        "i18n": {"vi": {
            "title": "Một CNN nhỏ trên bốn chữ số 8×8",
            "description": (
                "Ảnh (N, C, H, W) = (4, 1, 8, 8). Gradient của mỗi trọng số trong kernel là tổng, trên mọi vị"
                " trí đầu ra, của gradient tại đầu ra đó nhân với điểm ảnh mà trọng số gặp; max pooling chỉ "
                "gửi gradient của mỗi cửa sổ về phần tử lớn nhất của nó."
            ),
        }},
        "expression": "h1 = leaky_relu(conv2d(images, K1, padding=1), 0.1)\n"
                      "p1 = max_pool2d(h1, 2)\n"
                      "h2 = relu(conv2d(p1, K2, padding=1))\n"
                      "p2 = avg_pool2d(h2, 2)\n"
                      "logits = flatten(p2, start_axis=1) @ W + b\n"
                      "loss = cross_entropy(logits, y)",
        "values": {
            "images": DIGIT_IMAGES,
            "K1": {"init": "normal", "shape": [4, 1, 3, 3], "scale": 0.5, "seed": 10},
            "K2": {"init": "normal", "shape": [8, 4, 3, 3], "scale": 0.3, "seed": 11},
            "W": {"init": "normal", "shape": [32, 10], "scale": 0.3, "seed": 12},
            "b": {"init": "zeros", "shape": [10]},
            "y": DIGIT_LABELS,
        },
        "description": "Images (N, C, H, W) = (4, 1, 8, 8). Each kernel weight's gradient sums, "
                       "over every output position, that output's gradient times the pixel the "
                       "weight met; max pooling sends each window's gradient to its maximum only.",
        "optimizer": {"name": "sgd", "lr": 0.1},
    },
    {
        "id": "attention-head",
        "title": "One attention head",
        "i18n": {"vi": {
            "title": "Một attention head",
            "description": (
                "Query, key và value là các lát cắt của cùng một tích: gradient của mỗi lát cắt đi về đúng "
                "các cột của nó trong qkv, các chỗ khác bằng 0. Điểm số được chia cho sqrt(4) = 2."
            ),
        }},
        "expression": "qkv = X @ Wqkv\n"
                      "Q = qkv[:, 0:4]\nK = qkv[:, 4:8]\nV = qkv[:, 8:12]\n"
                      "A = softmax(Q @ K.T / 2, axis=-1)\n"
                      "out = A @ V\n"
                      "loss = mse(out, target)",
        "values": {
            "X": {"init": "normal", "shape": [5, 4], "seed": 0},
            "Wqkv": {"init": "normal", "shape": [4, 12], "scale": 0.5, "seed": 1},
            "target": {"init": "normal", "shape": [5, 4], "seed": 2},
        },
        "description": "Queries, keys and values are slices of one product: each slice's "
                       "gradient goes back into its own columns of qkv, zeros elsewhere. The "
                       "scores are scaled by sqrt(4) = 2.",
        "optimizer": {"name": "sgd", "lr": 0.1},
    },
    {
        "id": "transformer-block",
        "title": "A transformer block: layer norm, causal attention, GELU MLP",
        "i18n": {"vi": {
            "title": "Một khối transformer: layer norm, attention có mặt nạ nhân quả, MLP với GELU",
            "description": (
                "Bốn vị trí, độ rộng 4. Mặt nạ nhân quả không gửi gradient nào về điểm số của các vị trí "
                "tương lai (ở đó độ dốc của where bằng 0); mỗi nhánh dư (x + ...) chuyển gradient đi nguyên "
                "vẹn, đồng thời qua nhánh."
            ),
        }},
        "expression": "h = layer_norm(x)\n"
                      "q = h @ Wq\nk = h @ Wk\nv = h @ Wv\n"
                      "scores = where(mask, q @ k.T / 2, -1e9)\n"
                      "x1 = x + softmax(scores) @ v @ Wo\n"
                      "m = layer_norm(x1)\n"
                      "x2 = x1 + gelu(m @ W1) @ W2\n"
                      "loss = cross_entropy(x2 @ Wout, next_token)",
        "values": {
            "x": {"init": "normal", "shape": [4, 4], "seed": 3},
            "mask": CAUSAL_MASK_4,
            "Wq": {"init": "normal", "shape": [4, 4], "scale": 0.5, "seed": 1},
            "Wk": {"init": "normal", "shape": [4, 4], "scale": 0.5, "seed": 2},
            "Wv": {"init": "normal", "shape": [4, 4], "scale": 0.5, "seed": 3},
            "Wo": {"init": "normal", "shape": [4, 4], "scale": 0.5, "seed": 4},
            "W1": {"init": "normal", "shape": [4, 8], "scale": 0.5, "seed": 5},
            "W2": {"init": "normal", "shape": [8, 4], "scale": 0.5, "seed": 6},
            "Wout": {"init": "normal", "shape": [4, 6], "scale": 0.5, "seed": 7},
            "next_token": [3, 1, 4, 1],
        },
        "description": "Four positions, width 4. The causal mask sends no gradient to the "
                       "scores of future positions (where's slope is 0 there); each residual "
                       "(x + ...) passes the gradient on unchanged as well as through the branch.",
        "optimizer": {"name": "adam", "lr": 0.01},
    },
    {
        "id": "batch-norm-backward",
        "title": "Batch norm's backward (the classic exercise)",
        "i18n": {"vi": {
            "title": "Lượt truyền ngược của batch norm (bài tập kinh điển)",
            "description": (
                "d loss/d x = (c − mean(c) − ĥ·mean(c·ĥ))/σ theo từng cột. Nếu c toàn số 1 thì gradient bằng "
                "0: một cột đã chuẩn hóa luôn có tổng bằng 0."
            ),
        }},
        "expression": "h = batch_norm(x)\nloss = sum(h * c)",
        "values": BATCH_NORM_VALUES,
        "description": "d loss/d x = (c − mean(c) − ĥ·mean(c·ĥ))/σ per column. With c all ones "
                       "the gradient would be 0: a normalised column always sums to 0.",
    },
    {
        "id": "batch-norm-by-hand",
        "title": "Batch norm by hand: mean, var, sqrt",
        "i18n": {"vi": {
            "title": "Batch norm tự tính: mean, var, sqrt",
            "description": (
                "Cùng các con số như batch_norm(x) nhưng qua từng bước nhỏ: x đến loss theo ba đường (trực "
                "tiếp, qua mu, qua v) và gradient của nó là tổng của ba đường."
            ),
        }},
        "expression": "mu = mean(x, axis=0)\nv = var(x, axis=0)\n"
                      "h = (x - mu) / sqrt(v + 0.00001)\nloss = sum(h * c)",
        "values": BATCH_NORM_VALUES,
        "description": "The same numbers as batch_norm(x) in small steps: x reaches the loss on "
                       "three paths (directly, through mu, through v) and its gradient is their sum.",
    },
    {
        "id": "embedding-repeat",
        "title": "An embedding with a repeated index",
        "i18n": {"vi": {
            "title": "Embedding với một chỉ số lặp lại",
            "description": (
                "Token 2 được dùng hai lần: hàng 2 của E nhận tổng gradient của cả hai lần dùng; hàng 1 và "
                "hàng 3 không được dùng nên nhận 0."
            ),
        }},
        "expression": "e = embedding(E, tokens)\n"
                      "h = concat((e[0], e[1], e[2]), axis=0)\n"
                      "loss = softplus(dot(h, w))",
        "values": {
            "E": {"init": "normal", "shape": [4, 3], "seed": 0},
            "tokens": [2, 0, 2],
            "w": {"init": "normal", "shape": [9], "seed": 1},
        },
        "description": "Token 2 is used twice: row 2 of E gets the sum of both uses' gradients; "
                       "rows 1 and 3 are not used and get 0.",
    },
    {
        "id": "shapes",
        "title": "Shapes: reshape, standardise, slice, stack",
        "i18n": {"vi": {
            "title": "Kích thước: reshape, chuẩn hóa, cắt lát, stack",
            "description": (
                "Lượt truyền ngược của reshape đưa gradient về lại kích thước cũ; gradient của lát cắt hàng "
                "Z[0] đi về hàng 0, các chỗ khác bằng 0; lượt truyền ngược của stack trả cho mỗi tensor đã "
                "xếp chồng đúng lát cắt của nó."
            ),
        }},
        "expression": "X = reshape(v, (4, 3))\n"
                      "Z = (X - mean(X, axis=0)) / std(X, axis=0)\n"
                      "ends = stack((Z[0], Z[-1]))\n"
                      "loss = sum(ends * w)",
        "values": {"v": [0.5, 1.0, -1.0, 2.0, 0.0, 1.5, -0.5, 3.0, 1.0, 1.0, -2.0, 0.5],
                   "w": [[1.0, -1.0, 0.5], [2.0, 0.0, -0.5]]},
        "description": "reshape's backward reshapes the gradient back; the gradient of a row "
                       "slice Z[0] goes back into row 0, zeros elsewhere; stack's backward hands "
                       "each stacked tensor its own slice.",
    },
]
