"""The neural-network functions of the op table: shapes, indexing, joins, activations,
normalisations, embeddings, convolution and pooling.

Registered into the same table as :mod:`chainrule.engine.ops` (imported by the engine
package, so the table is complete whenever the parser can run), each with PyTorch's
semantics and gradients in float64, images laid out NCHW. Kinks follow torch: leaky_relu's
slope at 0 is the negative slope, max_pool2d sends a window's gradient to its first maximum.

The local-derivative texts say in words what each backward does, since for these ops the
derivative is a rule for moving gradients around rather than a number per element.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from chainrule.engine.ops import (
    _REDUCE_KW,
    Op,
    OpError,
    _axes,
    _count,
    _expand,
    check_elements,
    elementwise,
    tensor_op,
)
from chainrule.engine.spelling import Torch

_SQRT1_2: Final = math.sqrt(0.5)
_GELU_PDF: Final = 2.0 / math.sqrt(math.pi) * _SQRT1_2 * 0.5  # 1/sqrt(2π), as torch writes it
SOFTPLUS_THRESHOLD: Final = 20.0  # torch: softplus(x) = x above it


# --------------------------------------------------------------------------- arguments


def _integer(name: str, value: Any, low: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise OpError("bad_value", f"{name} must be an integer, got {value!r}")
    if low is not None and value < low:
        raise OpError("bad_value", f"{name} must be at least {low}, got {value}")
    return value


def _number(name: str, value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise OpError("bad_value", f"{name} must be a number, got {value!r}")
    return float(value)


def _pair(name: str, value: Any, low: int) -> tuple[int, int]:
    """An int or a tuple of two ints (torch's ``stride=2`` or ``stride=(2, 1)``)."""
    if isinstance(value, tuple):
        if len(value) != 2:
            raise OpError("bad_value", f"{name} must be an integer or a pair of integers, got {value!r}")
        return _integer(name, value[0], low), _integer(name, value[1], low)
    n = _integer(name, value, low)
    return n, n


def _axis(axis: Any, ndim: int, what: str = "axis") -> int:
    a = _integer(what, axis)
    if not -ndim <= a < ndim:
        raise OpError("shape_mismatch", f"{what} {a} is out of range for a {ndim}-d tensor", "axis",
                      axis=a, ndim=ndim)
    return a % ndim


def _ndim_at_least(name: str, x: Any, ndim: int, shape_text: str) -> Any:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < ndim:
        raise OpError("shape_mismatch", f"{name} needs a tensor of shape {shape_text}, "
                                        f"got shape {list(x.shape)}")
    return x


# --------------------------------------------------------------------------- shapes


def _reshape(m: Any, x: Any, shape: Any = None) -> Any:
    if shape is None:
        raise OpError("bad_value", "reshape needs a shape: reshape(x, (2, -1))")
    items = shape if isinstance(shape, tuple) else (shape,)
    for n in items:
        _integer("a dimension of the shape", n, -1)
    if sum(1 for n in items if n == -1) > 1:
        raise OpError("bad_value", "only one dimension of the shape can be -1")
    size = int(np.size(x))
    known = math.prod(n for n in items if n != -1)
    if (-1 in items and (known == 0 or size % known)) or (-1 not in items and known != size):
        raise OpError("shape_mismatch", f"cannot reshape a tensor of shape {list(np.shape(x))} "
                                        f"({size} elements) to {list(items)}", "reshape",
                      size=size, target=list(items))
    return np.reshape(x, items).copy()


def _flatten(m: Any, x: Any, start_axis: Any = 0, end_axis: Any = -1) -> Any:
    shape = np.shape(x)
    if not shape:
        return np.reshape(x, (1,))
    start, end = _axis(start_axis, len(shape), "start_axis"), _axis(end_axis, len(shape), "end_axis")
    if start > end:
        raise OpError("bad_value", f"start_axis {start_axis} comes after end_axis {end_axis}")
    return np.reshape(x, (*shape[:start], -1, *shape[end + 1:])).copy()


def _back_to_shape(g: Any, y: Any, x: Any, **kwargs: Any) -> Any:
    return np.reshape(g, np.shape(x))


tensor_op("reshape", forward=_reshape, vjp=(_back_to_shape,),
          torch=Torch("torch.reshape({0}, {shape})"),
          formula="reshape({0})", local_formulas=("the gradient reshaped back to the shape of {0}",),
          description="the same elements in a new shape; one dimension may be -1",
          kwargs={"shape": None}, positional=("shape",))
tensor_op("flatten", forward=_flatten, vjp=(_back_to_shape,),
          torch=Torch("torch.flatten({0}, {start_axis}, {end_axis})"),
          formula="flatten({0})", local_formulas=("the gradient reshaped back to the shape of {0}",),
          description="axes start_axis..end_axis merged into one (torch.flatten)",
          kwargs={"start_axis": 0, "end_axis": -1}, positional=("start_axis", "end_axis"))


# --------------------------------------------------------------------------- indexing

IndexKey = tuple[int | slice, ...]


def key_text(key: IndexKey) -> str:
    """``(1, slice(None, 3))`` -> ``1, :3``: the key as it is written between brackets."""
    def one(item: int | slice) -> str:
        if isinstance(item, int):
            return str(item)
        parts = ["" if item.start is None else str(item.start),
                 "" if item.stop is None else str(item.stop)]
        if item.step is not None:
            parts.append(str(item.step))
        return ":".join(parts)
    return ", ".join(one(item) for item in key)


def _check_key(shape: tuple[int, ...], key: IndexKey) -> None:
    if not shape:
        raise OpError("shape_mismatch", "a scalar cannot be indexed", "index_scalar")
    if len(key) > len(shape):
        raise OpError("shape_mismatch", f"{len(key)} indices for a tensor of shape {list(shape)}",
                      "index_count", count=len(key), ndim=len(shape))
    for axis, item in enumerate(key):
        if isinstance(item, int) and not -shape[axis] <= item < shape[axis]:
            raise OpError("shape_mismatch", f"index {item} is out of range for axis {axis} "
                                            f"of size {shape[axis]}", "index_range",
                          index=item, axis=axis, size=shape[axis])
        if isinstance(item, slice) and item.step is not None and item.step <= 0:
            raise OpError("bad_value", f"a slice step must be positive (as in PyTorch), got {item.step}")


def _index(m: Any, x: Any, key: IndexKey = ()) -> Any:
    _check_key(np.shape(x), key)
    return np.array(np.asarray(x)[key])


def _index_vjp(g: Any, y: Any, x: Any, key: IndexKey = ()) -> Any:
    out = np.zeros(np.shape(x))
    out[key] = g
    return out


def _index_variant(count: int, kwargs: Mapping[str, Any]) -> Op:
    """The Op of one indexing, its key written into its formulas: ``x[1:3]``."""
    text = key_text(kwargs.get("key", ()))
    return tensor_op("index", forward=_index, vjp=(_index_vjp,), formula=f"{{p0}}[{text}]",
                     torch=Torch(f"{{0}}[{text or ':'}]"),
                     local_formulas=(f"the gradient goes back into the positions {{p0}}[{text}] "
                                     "took, zeros elsewhere",),
                     description=INDEX.description, kwargs=INDEX.kwargs, callable=False,
                     register=False)


INDEX: Final = tensor_op(
    "index", forward=_index, vjp=(_index_vjp,), formula="{p0}[i]", torch=Torch("{0}[0]"),
    local_formulas=("the gradient goes back into the indexed positions, zeros elsewhere",),
    description="x[1], x[-1], x[:, 0], x[1:3], x[::2, 1:]: integers and slices per axis",
    kwargs={"key": ()}, callable=False, variant=_index_variant)


# --------------------------------------------------------------------------- joining


def _join_axis(arrays: list[Any], axis: Any, new_axis: bool) -> int:
    ndim = arrays[0].ndim
    if not new_axis and ndim == 0:
        raise OpError("shape_mismatch", "concat needs tensors of at least 1 dimension (stack joins scalars)")
    return _axis(axis, ndim + new_axis)


def _concat(m: Any, *xs: Any, axis: Any = 0) -> Any:
    arrays = [np.asarray(x, dtype=np.float64) for x in xs]
    ax = _join_axis(arrays, axis, False)
    first = arrays[0].shape
    for a in arrays[1:]:
        if a.ndim != len(first) or a.shape[:ax] + a.shape[ax + 1:] != first[:ax] + first[ax + 1:]:
            raise OpError("shape_mismatch", f"concat along axis {ax}: shapes "
                          f"{[list(b.shape) for b in arrays]} differ outside that axis")
    check_elements((sum(a.size for a in arrays),))
    return np.concatenate(arrays, axis=ax)


def _stack(m: Any, *xs: Any, axis: Any = 0) -> Any:
    arrays = [np.asarray(x, dtype=np.float64) for x in xs]
    ax = _join_axis(arrays, axis, True)
    if any(a.shape != arrays[0].shape for a in arrays):
        raise OpError("shape_mismatch", f"stack needs tensors of one shape, got "
                                        f"{[list(a.shape) for a in arrays]}")
    check_elements((sum(a.size for a in arrays),))
    return np.stack(arrays, axis=ax)


def _concat_vjp(k: int) -> Any:
    def vjp(g: Any, y: Any, *xs: Any, axis: Any = 0) -> Any:
        ax = _axis(axis, np.ndim(y))
        start = sum(np.shape(x)[ax] for x in xs[:k])
        part = [slice(None)] * np.ndim(y)
        part[ax] = slice(start, start + np.shape(xs[k])[ax])
        return g[tuple(part)]
    return vjp


def _stack_vjp(k: int) -> Any:
    def vjp(g: Any, y: Any, *xs: Any, axis: Any = 0) -> Any:
        return np.take(g, k, axis=_axis(axis, np.ndim(y)))
    return vjp


_JOIN_DESCRIPTIONS: Final[Mapping[str, str]] = MappingProxyType({
    "concat": "tensors joined along an existing axis: concat((a, b), axis=0)",
    "stack": "tensors of one shape stacked along a new axis: stack((a, b), axis=0)",
})


def _join_op(name: str, count: int, register: bool = False) -> Op:
    """concat's or stack's Op for ``count`` tensors (the table's entry: 2, registered)."""
    if count < 1:
        raise OpError("bad_value", f"{name} needs at least one tensor")
    concat = name == "concat"
    vjp = _concat_vjp if concat else _stack_vjp
    local = ("the part of the gradient where {k} was placed along the joined axis" if concat
             else "the gradient's slice number {i} along the new axis")
    args = ", ".join(f"{{{k}}}" for k in range(count)) + ("," if count == 1 else "")
    return tensor_op(name, forward=_concat if concat else _stack,
                     vjp=tuple(vjp(k) for k in range(count)),
                     torch=Torch(f"{'torch.cat' if concat else 'torch.stack'}(({args}), dim={{axis}})"),
                     formula=f"{name}(({args}))",
                     local_formulas=tuple(local.replace("{k}", f"{{{k}}}").replace("{i}", str(k))
                                          for k in range(count)),
                     description=_JOIN_DESCRIPTIONS[name], kwargs={"axis": 0}, positional=("axis",),
                     tensor_tuple=True, register=register,
                     variant=lambda n, kwargs: _join_op(name, n))


JOINS: Final[Mapping[str, Op]] = MappingProxyType(
    {name: _join_op(name, 2, register=True) for name in _JOIN_DESCRIPTIONS})


# --------------------------------------------------------------------------- elementwise

elementwise("where", forward=lambda m, c, a, b: m.where(c != 0, a, b),
            torch=Torch("torch.where(torch.ne({0}, 0), {1}, {2})"),
            # the mask's slope: 0, shaped like the mask (and never NaN, whatever it holds)
            local=(lambda m, y, c, a, b: m.where(c != 0, 0.0, 0.0),
                   lambda m, y, c, a, b: m.where(c != 0, 1.0, 0.0),
                   lambda m, y, c, a, b: m.where(c != 0, 0.0, 1.0)),
            formula="where({0}, {1}, {2})",
            local_formulas=("0 (no gradient flows to the mask)", "[{0} ≠ 0]", "[{0} = 0]"),
            description="a where the mask is nonzero, else b")


def _gelu_local(m: Any, y: Any, x: Any) -> Any:
    cdf = 0.5 * (1.0 + m.erf(x * _SQRT1_2))
    return cdf + x * m.exp(-0.5 * x * x) * _GELU_PDF


elementwise("gelu", forward=lambda m, x: x * 0.5 * (1.0 + m.erf(x * _SQRT1_2)),
            torch=Torch("F.gelu({0})"),
            local=(_gelu_local,),
            formula="gelu({0})", local_formulas=("Φ({0}) + {p0}·φ({0})",),
            description="Gaussian error linear unit x·Φ(x), erf form (torch's default)")


def _softplus_exp(m: Any, x: Any) -> Any:
    return m.exp(m.minimum(x, SOFTPLUS_THRESHOLD))


def _softplus_local(m: Any, y: Any, x: Any) -> Any:
    z = _softplus_exp(m, x)
    return m.where(x > SOFTPLUS_THRESHOLD, 1.0, z / (z + 1.0))


elementwise("softplus", torch=Torch("F.softplus({0})"),
            forward=lambda m, x: m.where(x > SOFTPLUS_THRESHOLD, x, m.log1p(_softplus_exp(m, x))),
            local=(_softplus_local,),
            formula="softplus({0})", local_formulas=("sigmoid({0})",),
            description="log(1 + e^x) (x itself above 20, as torch)")


def _leaky_relu(m: Any, x: Any, negative_slope: Any = 0.01) -> Any:
    slope = _number("negative_slope", negative_slope)
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, x * slope)


def _leaky_relu_vjp(g: Any, y: Any, x: Any, negative_slope: Any = 0.01) -> Any:
    return g * np.where(np.asarray(x) > 0, 1.0, float(negative_slope))


tensor_op("leaky_relu", forward=_leaky_relu, vjp=(_leaky_relu_vjp,), kink="slope",
          torch=Torch("F.leaky_relu({0}, {negative_slope})"),
          formula="leaky_relu({0})", local_formulas=("1 where {0} > 0, else the negative slope",),
          description="x where x > 0, else negative_slope·x (default 0.01)",
          kwargs={"negative_slope": 0.01}, positional=("negative_slope",))


# --------------------------------------------------------------------------- statistics


def _centered(x: Any, axes: tuple[int, ...]) -> Any:
    x = np.asarray(x, dtype=np.float64)
    return x - x.mean(axis=axes, keepdims=True)


def _var(m: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    axes = _axes(axis, np.ndim(x))
    if np.size(x) == 0:
        raise OpError("shape_mismatch", "cannot reduce an empty tensor")
    return np.var(x, axis=axes, keepdims=bool(keepdims))


def _var_vjp(g: Any, y: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    axes = _axes(axis, np.ndim(x))
    return 2.0 * _centered(x, axes) / _count(x, axis) * _expand(g, np.shape(x), axis, keepdims)


def _std_vjp(g: Any, y: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    axes, shape = _axes(axis, np.ndim(x)), np.shape(x)
    return (_centered(x, axes) / (_count(x, axis) * _expand(y, shape, axis, keepdims))
            * _expand(g, shape, axis, keepdims))


tensor_op("var", forward=_var, vjp=(_var_vjp,), formula="var({0})",
          torch=Torch("torch.var({0}, dim={dim}, keepdim={keepdim}, correction=0)"),
          local_formulas=("2·({p0} - mean)/N (broadcast back)",),
          description="population variance (correction 0)", kwargs=_REDUCE_KW)
tensor_op("std", forward=lambda m, x, axis=None, keepdims=False: np.sqrt(_var(m, x, axis, keepdims)),
          vjp=(_std_vjp,), formula="std({0})",
          torch=Torch("torch.std({0}, dim={dim}, keepdim={keepdim}, correction=0)"),
          local_formulas=("({p0} - mean)/(N·{out}) (broadcast back)",),
          description="population standard deviation (correction 0)", kwargs=_REDUCE_KW)


def _normalize(x: Any, axes: tuple[int, ...], eps: float) -> Any:
    centered = _centered(x, axes)
    variance = np.mean(centered * centered, axis=axes, keepdims=True)
    return centered / np.sqrt(variance + eps)


def _normalize_vjp(g: Any, y: Any, x: Any, axes: tuple[int, ...], eps: float) -> Any:
    # d/dx of (x - mean)/sqrt(var + eps) applied to g: (g - mean(g) - ŷ·mean(g·ŷ)) / σ
    centered = _centered(x, axes)
    rstd = 1.0 / np.sqrt(np.mean(centered * centered, axis=axes, keepdims=True) + eps)
    g = np.asarray(g)
    return rstd * (g - g.mean(axis=axes, keepdims=True)
                   - y * np.mean(g * y, axis=axes, keepdims=True))


def _layer_norm_axes(x: Any, axis: Any) -> tuple[int, ...]:
    if np.ndim(x) == 0:
        raise OpError("shape_mismatch", "layer_norm needs a tensor, got a scalar")
    return _axes(axis, np.ndim(x))


def _batch_norm_axes(x: Any) -> tuple[int, ...]:
    shape = np.shape(x)
    if len(shape) < 2:
        raise OpError("shape_mismatch", f"batch_norm needs a batch of shape (N, C, ...), got {list(shape)}")
    axes = (0, *range(2, len(shape)))
    if math.prod(shape[a] for a in axes) < 2:
        raise OpError("bad_value", "batch_norm needs more than one value per channel (a batch of 2 or more)")
    return axes


tensor_op("layer_norm",
          forward=lambda m, x, axis=-1, eps=1e-5:
          _normalize(x, _layer_norm_axes(x, axis), _number("eps", eps)),
          vjp=(lambda g, y, x, axis=-1, eps=1e-5:
               _normalize_vjp(g, y, x, _layer_norm_axes(x, axis), float(eps)),),
          formula="layer_norm({0})",
          # written out, as any axes may be normalised (F.layer_norm takes trailing ones only)
          torch=Torch("({0} - torch.mean({0}, dim={dims}, keepdim=True)) / "
                      "torch.sqrt(torch.var({0}, dim={dims}, keepdim=True, correction=0) + {eps})"),
          local_formulas=("(g - mean(g) - {out}·mean(g·{out}))/σ along the axis, "
                          "σ = sqrt(var({0}) + eps)",),
          description="(x - mean)/sqrt(var + eps) along an axis (default the last), no affine",
          kwargs={"axis": -1, "eps": 1e-5})
tensor_op("batch_norm",
          forward=lambda m, x, eps=1e-5: _normalize(x, _batch_norm_axes(x), _number("eps", eps)),
          vjp=(lambda g, y, x, eps=1e-5: _normalize_vjp(g, y, x, _batch_norm_axes(x), float(eps)),),
          formula="batch_norm({0})",
          torch=Torch("F.batch_norm({0}, None, None, training=True, eps={eps})"),
          local_formulas=("(g - mean(g) - {out}·mean(g·{out}))/σ over the batch, "
                          "σ = sqrt(var({0}) + eps) per channel",),
          description="training-mode batch normalisation over axis 0 (and the spatial axes), "
                      "no affine, no running statistics",
          kwargs={"eps": 1e-5})


# --------------------------------------------------------------------------- embedding


def _rows(table: Any, idx: Any) -> Any:
    """``idx`` as row numbers of ``table`` (checked)."""
    if np.ndim(table) != 2:
        raise OpError("shape_mismatch", f"embedding needs a 2-d table (rows, features), "
                                        f"got shape {list(np.shape(table))}")
    idx = np.asarray(idx, dtype=np.float64)
    rows = np.shape(table)[0]
    if not ((idx >= 0) & (idx < rows) & (idx == np.floor(idx))).all():
        raise OpError("bad_value", f"embedding indices must be integers in 0..{rows - 1}")
    return idx.astype(np.intp)


def _embedding(m: Any, table: Any, idx: Any) -> Any:
    rows = _rows(table, idx)
    check_elements((*rows.shape, np.shape(table)[1]))
    return np.asarray(table, dtype=np.float64)[rows]


def _embedding_vjp_table(g: Any, y: Any, table: Any, idx: Any) -> Any:
    out = np.zeros(np.shape(table))
    np.add.at(out, _rows(table, idx), g)  # a repeated index adds its gradients up
    return out


tensor_op("embedding", forward=_embedding,
          vjp=(_embedding_vjp_table, lambda g, y, table, idx: np.zeros(np.shape(idx))),
          formula="embedding({0}, {1})", torch=Torch("F.embedding({1}.long(), {0})"),
          local_formulas=("row r of the gradient: the sum of the gradients of the outputs that "
                          "picked row r (a repeated index adds up), zeros for rows not picked",
                          "0 (indices are not differentiable)"),
          description="rows of the table E picked by the integer tensor idx (F.embedding(idx, E))")


# --------------------------------------------------------------------------- convolution


def _windows(x: Any, kh: int, kw: int, sh: int, sw: int) -> Any:
    """Every (kh, kw) patch of the last two axes at stride (sh, sw): shape (..., Ho, Wo, kh, kw)."""
    return sliding_window_view(x, (kh, kw), axis=(-2, -1))[..., ::sh, ::sw, :, :]


def _conv_parts(x: Any, w: Any, stride: Any,
                padding: Any) -> tuple[Any, Any, tuple[int, int], tuple[int, int]]:
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if x.ndim != 4 or w.ndim != 4:
        raise OpError("shape_mismatch", f"conv2d needs x of shape (N, C, H, W) and W of shape "
                                        f"(O, C, kH, kW), got {list(x.shape)} and {list(w.shape)}")
    if x.shape[1] != w.shape[1]:
        raise OpError("shape_mismatch", f"conv2d: x has {x.shape[1]} channels, W expects {w.shape[1]}")
    s, p = _pair("stride", stride, 1), _pair("padding", padding, 0)
    if p != (0, 0):
        x = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    if x.shape[2] < w.shape[2] or x.shape[3] < w.shape[3]:
        raise OpError("shape_mismatch", f"conv2d: the kernel {list(w.shape[2:])} is larger than the "
                                        f"padded image {list(x.shape[2:])}")
    return x, w, s, p


def _columns(x: Any, w: Any, stride: Any, padding: Any) -> tuple[Any, Any, tuple[int, int]]:
    """Each output position's input patch as a row, (N, Ho, Wo, C·kH·kW), and the weights
    as columns, (C·kH·kW, O): the convolution is one matrix product (np.matmul, a ufunc,
    so an overflow in it is reported as numpy reports it everywhere else)."""
    xp, w, s, p = _conv_parts(x, w, stride, padding)
    patches = _windows(xp, w.shape[2], w.shape[3], *s)  # (N, C, Ho, Wo, kH, kW)
    n, _, ho, wo = patches.shape[:4]
    check_elements((n, w.shape[0], ho, wo))
    rows = patches.transpose(0, 2, 3, 1, 4, 5).reshape(n, ho, wo, -1)
    return rows, w.reshape(w.shape[0], -1).T, p


def _conv2d(m: Any, x: Any, w: Any, stride: Any = 1, padding: Any = 0) -> Any:
    rows, cols, _ = _columns(x, w, stride, padding)
    return np.ascontiguousarray(np.matmul(rows, cols).transpose(0, 3, 1, 2))


def _conv2d_vjp_x(g: Any, y: Any, x: Any, w: Any, stride: Any = 1, padding: Any = 0) -> Any:
    _, w, (sh, sw), (ph, pw) = _conv_parts(x, w, stride, padding)
    n, c, h, wd = np.shape(x)
    _, _, ho, wo = np.shape(g)
    kh, kw = w.shape[2], w.shape[3]
    # each output's gradient times every weight it used: (N, Ho, Wo, C, kH, kW) ...
    spread = np.matmul(np.asarray(g).transpose(0, 2, 3, 1), w.reshape(w.shape[0], -1))
    spread = spread.reshape(n, ho, wo, c, kh, kw)
    gx = np.zeros((n, c, h + 2 * ph, wd + 2 * pw))
    for i in range(kh):  # ... added back into the patch that output read
        for j in range(kw):
            gx[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw] += \
                spread[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return gx[:, :, ph:ph + h, pw:pw + wd]


def _conv2d_vjp_w(g: Any, y: Any, x: Any, w: Any, stride: Any = 1, padding: Any = 0) -> Any:
    rows, _, _ = _columns(x, w, stride, padding)
    o = np.shape(w)[0]
    g_rows = np.asarray(g).transpose(0, 2, 3, 1).reshape(-1, o)  # (N·Ho·Wo, O)
    return np.matmul(g_rows.T, rows.reshape(g_rows.shape[0], -1)).reshape(np.shape(w))


tensor_op("conv2d", forward=_conv2d, vjp=(_conv2d_vjp_x, _conv2d_vjp_w),
          formula="conv2d({0}, {1})",
          torch=Torch("F.conv2d({0}, {1}, stride={stride}, padding={padding})"),
          local_formulas=("each output's gradient times the weight {p1}[o, c, i, j] it used, added "
                          "back into the input patch it read (zeros in the padding are dropped)",
                          "weight [o, c, i, j]: the sum over the batch and every output position of "
                          "that output's gradient times the input pixel the weight met there"),
          description="2-d convolution (cross-correlation, as torch) of x (N, C, H, W) with "
                      "W (O, C, kH, kW), with stride and zero padding; no bias",
          kwargs={"stride": 1, "padding": 0})


# --------------------------------------------------------------------------- pooling


def _pool_parts(name: str, x: Any, kernel_size: Any, stride: Any) -> tuple[Any, int, int]:
    if kernel_size is None:
        raise OpError("bad_value", f"{name} needs a kernel size: {name}(x, 2)")
    x = _ndim_at_least(name, x, 3, "(N, C, H, W) or (C, H, W)")
    if x.ndim > 4:
        raise OpError("shape_mismatch", f"{name} needs a tensor of shape (N, C, H, W) or (C, H, W), "
                                        f"got {list(x.shape)}")
    k = _integer("kernel_size", kernel_size, 1)
    s = k if stride is None else _integer("stride", stride, 1)
    if x.shape[-1] < k or x.shape[-2] < k:
        raise OpError("shape_mismatch", f"{name}: the window {k}×{k} is larger than the image "
                                        f"{list(x.shape[-2:])}")
    return x, k, s


def _flat_windows(x: Any, k: int, s: int) -> Any:
    win = _windows(x, k, k, s, s)
    return win.reshape(*win.shape[:-2], k * k)


def pool_window_tie(x: Any, kernel_size: Any = None, stride: Any = None) -> bool:
    """Whether some max_pool2d window reaches its maximum more than once (a kink)."""
    x, k, s = _pool_parts("max_pool2d", x, kernel_size, stride)
    windows = _flat_windows(x, k, s)
    hits = np.count_nonzero(windows == windows.max(axis=-1, keepdims=True), axis=-1)
    return bool(np.any(hits > 1))


def _max_pool2d(m: Any, x: Any, kernel_size: Any = None, stride: Any = None) -> Any:
    x, k, s = _pool_parts("max_pool2d", x, kernel_size, stride)
    return _flat_windows(x, k, s).max(axis=-1)


def _max_pool2d_vjp(g: Any, y: Any, x: Any, kernel_size: Any = None, stride: Any = None) -> Any:
    x, k, s = _pool_parts("max_pool2d", x, kernel_size, stride)
    first = _flat_windows(x, k, s).argmax(axis=-1)  # torch: the first maximum in the window
    where = np.indices(first.shape, sparse=True)
    gx = np.zeros(x.shape)
    np.add.at(gx, (*where[:-2], where[-2] * s + first // k, where[-1] * s + first % k), g)
    return gx


def _avg_pool2d(m: Any, x: Any, kernel_size: Any = None, stride: Any = None) -> Any:
    x, k, s = _pool_parts("avg_pool2d", x, kernel_size, stride)
    return _flat_windows(x, k, s).mean(axis=-1)


def _avg_pool2d_vjp(g: Any, y: Any, x: Any, kernel_size: Any = None, stride: Any = None) -> Any:
    x, k, s = _pool_parts("avg_pool2d", x, kernel_size, stride)
    ho, wo = np.shape(g)[-2:]
    share = np.asarray(g) / (k * k)
    gx = np.zeros(x.shape)
    for i in range(k):
        for j in range(k):
            gx[..., i:i + s * (ho - 1) + 1:s, j:j + s * (wo - 1) + 1:s] += share
    return gx


_POOL_KW: Final[Mapping[str, Any]] = MappingProxyType({"kernel_size": None, "stride": None})
tensor_op("max_pool2d", forward=_max_pool2d, vjp=(_max_pool2d_vjp,), formula="max_pool2d({0})",
          torch=Torch("F.max_pool2d({0}, {kernel_size}, stride={stride})"), kink="window",
          local_formulas=("each window's gradient goes to the position of its maximum in {0} "
                          "(the first one if tied), zeros elsewhere",),
          description="the maximum of each k×k window of the last two axes (stride k by default)",
          kwargs=_POOL_KW, positional=("kernel_size", "stride"))
tensor_op("avg_pool2d", forward=_avg_pool2d, vjp=(_avg_pool2d_vjp,), formula="avg_pool2d({0})",
          torch=Torch("F.avg_pool2d({0}, {kernel_size}, stride={stride})"),
          local_formulas=("each window's gradient divided by k·k, given to every position of "
                          "the window in {0}",),
          description="the mean of each k×k window of the last two axes (stride k by default)",
          kwargs=_POOL_KW, positional=("kernel_size", "stride"))

#: The op names this module adds to the table, in the order registered.
NN_OPS: Final = ("reshape", "flatten", "index", "concat", "stack", "where", "gelu", "softplus",
                 "leaky_relu", "var", "std", "layer_norm", "batch_norm", "embedding", "conv2d",
                 "max_pool2d", "avg_pool2d")
