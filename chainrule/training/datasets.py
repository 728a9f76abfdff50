
"""Built-in datasets: small, seeded numpy generators for the training examples, and one
real dataset (``digits``).

Each generator takes ``n`` (rows), ``noise`` and ``seed`` and returns columns sliced along
axis 0 like inline ``data``: 1-D regression sets give ``x`` and ``y`` of shape ``(n,)``;
classification sets give ``X`` of shape ``(n, 2)``, ``y`` (class index as a float, shape
``(n,)``) and ``Y`` (one-hot, shape ``(n, classes)``).

A dataset with ``test_rows`` holds its last ``test_rows`` rows out: training sees only the
rows before them, and ``POST /api/train`` reports the loss and the accuracy on the held-out
rows (see docs/digits.md). A ``fixed`` dataset has the rows its source ships (no ``n`` or
``noise`` to choose).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from chainrule.config import LIMITS, env_name
from chainrule.errors import ChainruleError

MAX_DATASET_NOISE = 10.0

Columns = dict[str, np.ndarray]


def linear(n: int, noise: float, rng: np.random.Generator) -> Columns:
    """y = 2x + 1 + noise, x uniform in [-1, 1]."""
    x = rng.uniform(-1.0, 1.0, n)
    y = 2.0 * x + 1.0 + noise * rng.standard_normal(n)
    return {"x": x, "y": y}


def sine(n: int, noise: float, rng: np.random.Generator) -> Columns:
    """y = sin(x) + noise, x uniform in [-π, π]."""
    x = rng.uniform(-math.pi, math.pi, n)
    y = np.sin(x) + noise * rng.standard_normal(n)
    return {"x": x, "y": y}


def _classes(X: np.ndarray, labels: np.ndarray, k: int, rng: np.random.Generator) -> Columns:
    order = rng.permutation(len(labels))
    X, labels = X[order], labels[order]
    return {"X": X, "y": labels.astype(np.float64), "Y": np.eye(k)[labels]}


def moons(n: int, noise: float, rng: np.random.Generator) -> Columns:
    """Two interleaving half circles (as scikit-learn's make_moons), Gaussian noise."""
    n_out = n - n // 2
    n_in = n // 2
    t_out = np.linspace(0.0, math.pi, n_out)
    t_in = np.linspace(0.0, math.pi, n_in)
    X = np.concatenate(
        [
            np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
            np.stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1),
        ]
    )
    X = X + noise * rng.standard_normal(X.shape)
    labels = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    return _classes(X, labels, 2, rng)


def xor(n: int, noise: float, rng: np.random.Generator) -> Columns:
    """Points uniform in [-1, 1]²; class 1 where the signs of the two coordinates differ."""
    X = rng.uniform(-1.0, 1.0, (n, 2))
    labels = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    X = X + noise * rng.standard_normal(X.shape)
    return _classes(X, labels, 2, rng)


def spirals(n: int, noise: float, rng: np.random.Generator) -> Columns:
    """Two interleaved spirals (one arm per class), Gaussian noise on the angle."""
    k = 2
    sizes = [n // k + (1 if j < n % k else 0) for j in range(k)]
    parts, labels = [], []
    for j, m in enumerate(sizes):
        r = np.linspace(0.05, 1.0, m)
        t = np.linspace(j * math.pi, j * math.pi + 3.0 * math.pi, m)
        t = t + noise * rng.standard_normal(m)
        parts.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        labels.append(np.full(m, j, dtype=np.int64))
    return _classes(np.concatenate(parts), np.concatenate(labels), k, rng)


DIGITS_ROWS = 1_797
#: The held-out rows of ``digits``: the last 360 (20%) of its rows.
DIGITS_TEST_ROWS = 360
#: ``digits``' rows are scikit-learn's shuffled once by ``default_rng(0).permutation(1797)``,
#: whatever the request's seed: scikit-learn's order groups writers, so a split of the
#: unshuffled rows would test on writers never seen (as ``train_test_split(shuffle=True)``).
DIGITS_ORDER_SEED = 0


@cache
def _digits_source() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8×8 digits (pixels 0..16, labels), read once per process.
    Imported here, not at module level: scikit-learn takes seconds to import."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    pixels = np.asarray(bunch.data, dtype=np.float64)
    pixels.setflags(write=False)
    labels = np.asarray(bunch.target, dtype=np.int64)
    labels.setflags(write=False)
    return pixels, labels


def digits(n: int, noise: float, rng: np.random.Generator) -> Columns:
    """The 1,797 8×8 handwritten digits scikit-learn ships, shuffled once (the same order for
    every request); pixels / 16."""
    pixels, labels = _digits_source()
    order = np.random.default_rng(DIGITS_ORDER_SEED).permutation(len(labels))
    pixels, labels = pixels[order], labels[order]
    X = pixels / 16.0
    return {"X": X, "images": X.reshape(-1, 1, 8, 8), "y": labels.astype(np.float64),
            "Y": np.eye(10)[labels]}


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    description: str
    task: str  # "regression" | "classification"
    columns: dict[str, str]
    generate: Callable[[int, float, np.random.Generator], Columns]
    n: int = 100
    noise: float = 0.1
    classes: int = 0
    fixed: bool = False  # the source's rows: n and noise cannot be chosen
    test_rows: int = 0  # the last test_rows rows are held out of training
    label: str | None = None  # the column of class indices (accuracy compares to it)
    image: tuple[int, int] | None = None  # rows of `label`'s input are pictures of this size
    image_column: str | None = None  # the column whose rows are the pictures
    #: the description in other languages than English: {lang: {"description": ...}}
    i18n: dict[str, dict[str, str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "task": self.task,
            "columns": self.columns,
            "classes": self.classes,
            "defaults": {"n": self.n, "noise": self.noise, "seed": 0},
            "fixed": self.fixed,
            "test_rows": self.test_rows,
            "label": self.label,
            "image": list(self.image) if self.image else None,
            "image_column": self.image_column,
            "i18n": self.i18n,
        }


_DIGITS = {
    "X": "pixels scaled to [0, 1], shape (n, 64)",
    "images": "the same pixels as images, shape (n, 1, 8, 8) (N, C, H, W)",
    "y": "class index 0..9, shape (n,)",
    "Y": "one-hot targets, shape (n, 10)",
}

_REG = {"x": "input, shape (n,)", "y": "target, shape (n,)"}
_CLS = {
    "X": "inputs, shape (n, 2)",
    "y": "class index 0/1, shape (n,)",
    "Y": "one-hot targets, shape (n, 2)",
}

DATASETS: dict[str, DatasetSpec] = {
    d.name: d
    for d in (
        DatasetSpec(
            "linear",
            "1-D linear regression: y = 2x + 1 + noise",
            "regression",
            _REG,
            linear,
            n=100,
            noise=0.1,
            i18n={"vi": {"description": "hồi quy tuyến tính một chiều: y = 2x + 1 + nhiễu"}},
        ),
        DatasetSpec(
            "sine",
            "noisy sine: y = sin(x) + noise, x in [-π, π]",
            "regression",
            _REG,
            sine,
            n=100,
            noise=0.1,
            i18n={"vi": {"description": "hình sin có nhiễu: y = sin(x) + nhiễu, x trong [-π, π]"}},
        ),
        DatasetSpec(
            "moons",
            "two interleaving half circles, two classes",
            "classification",
            _CLS,
            moons,
            n=200,
            noise=0.1,
            classes=2,
            label="y",
            i18n={"vi": {"description": "hai nửa vòng tròn lồng vào nhau, hai lớp"}},
        ),
        DatasetSpec(
            "xor",
            "XOR: class 1 where x₁ and x₂ have different signs",
            "classification",
            _CLS,
            xor,
            n=200,
            noise=0.0,
            classes=2,
            label="y",
            i18n={"vi": {"description": "XOR: lớp 1 ở nơi x₁ và x₂ trái dấu"}},
        ),
        DatasetSpec(
            "spirals",
            "two interleaved spirals, two classes",
            "classification",
            _CLS,
            spirals,
            n=200,
            noise=0.1,
            classes=2,
            label="y",
            i18n={"vi": {"description": "hai đường xoắn ốc đan vào nhau, hai lớp"}},
        ),
        DatasetSpec(
            "digits",
            "handwritten digits 0-9, 8×8 pixels (scikit-learn's copy of the UCI set); "
            f"the last {DIGITS_TEST_ROWS} rows are the test set",
            "classification",
            _DIGITS,
            digits,
            n=DIGITS_ROWS,
            noise=0.0,
            classes=10,
            fixed=True,
            test_rows=DIGITS_TEST_ROWS,
            label="y",
            image=(8, 8),
            image_column="X",
            i18n={"vi": {"description": "chữ số viết tay 0-9, ảnh 8×8 điểm ảnh (bản của scikit-learn từ "
                                        f"tập dữ liệu UCI); {DIGITS_TEST_ROWS} dòng cuối là tập kiểm tra"}},
        ),
    )
}



def make_dataset(request: str | Mapping[str, Any]) -> Columns:
    """Generate a dataset from ``"moons"`` or ``{"name": "moons", "n": 200, "noise": 0.1,
    "seed": 0}``; omitted fields take the dataset's defaults. Raises ``bad_value`` or
    ``limit_exceeded``."""
    req: dict[str, Any] = {"name": request} if isinstance(request, str) else dict(request)
    name = req.pop("name", None)
    if not isinstance(name, str) or name not in DATASETS:
        raise ChainruleError("bad_value", f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    spec = DATASETS[name]
    n = req.pop("n", None)
    noise = req.pop("noise", None)
    seed = req.pop("seed", None)
    n = spec.n if n is None else n
    noise = spec.noise if noise is None else noise
    seed = 0 if seed is None else seed
    if spec.fixed and (n != spec.n or noise != spec.noise):
        raise ChainruleError(
            "bad_value",
            f"dataset {name!r} has the {spec.n} rows its source ships: n and noise cannot be chosen",
            params={"field": "dataset", "reason": "fixed", "n": spec.n},
        )
    if req:
        raise ChainruleError(
            "bad_value",
            f"dataset {name!r}: unknown field(s) {', '.join(sorted(req))}; it takes n, noise, seed",
        )
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ChainruleError("bad_value", f"dataset {name!r}: n must be a positive integer")
    if n > LIMITS.max_dataset_rows:
        raise ChainruleError(
            "limit_exceeded", f"dataset {name!r}: n={n} is over the limit of {LIMITS.max_dataset_rows} "
            f"(set {env_name('max_dataset_rows')})"
        )
    if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0.0 <= noise <= MAX_DATASET_NOISE:
        raise ChainruleError(
            "bad_value", f"dataset {name!r}: noise must be a number in [0, {MAX_DATASET_NOISE:g}]"
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ChainruleError("bad_value", f"dataset {name!r}: seed must be an integer >= 0")
    return spec.generate(n, float(noise), np.random.default_rng(seed))


def dataset_spec(request: str | Mapping[str, Any]) -> DatasetSpec | None:
    """The registry entry a dataset request names (None for an unknown name)."""
    name = request if isinstance(request, str) else request.get("name")
    return DATASETS.get(name) if isinstance(name, str) else None


def split_rows(request: str | Mapping[str, Any], columns: Columns) -> tuple[Columns, Columns]:
    """(training rows, held-out rows) of a dataset's columns: the held-out rows are its last
    ``test_rows`` (none for a dataset without a test split)."""
    spec = dataset_spec(request)
    held = spec.test_rows if spec is not None else 0
    if held == 0:
        return columns, {}
    cut = next(iter(columns.values())).shape[0] - held
    return ({c: a[:cut] for c, a in columns.items()}, {c: a[cut:] for c, a in columns.items()})
