"""The chain-rule derivation of an analysis (the dict ``analyze`` returns) as a LaTeX document.

For every differentiated node in backward order:

    dL/d node = sum over its outgoing edges  dL/d target * d target/d node   (symbols)
              = the same with numbers
              = the node's gradient

Scalars are written as numbers; tensors by their shape and Frobenius norm. Every piece of
user-given text (names, labels, formulas, warnings) goes through :func:`escape`, so a name
can never become a LaTeX command.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from chainrule.engine.encode import decode_float
from chainrule.errors import ChainruleError

#: Above this many nodes the document would be too long to read (or compile) usefully.
MAX_LATEX_NODES = 2_000
#: Significant digits of the numbers written.
DIGITS = 6

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    # OT1/T1 quirks: these print as other glyphs (or ligatures) in text mode
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "\n": " ",
    "\r": " ",
    "\t": " ",
}
_TABLE = str.maketrans(_ESCAPES)

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{amsmath}
\usepackage[margin=2cm]{geometry}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
"""


def escape(text: str) -> str:
    """``text`` as LaTeX text-mode material that prints literally (one pass, no re-escaping)."""
    cleaned = "".join(ch for ch in str(text) if ch in "\n\r\t" or ch.isprintable())
    return cleaned.translate(_TABLE)


def to_latex(analysis: dict[str, Any]) -> str:
    """A standalone LaTeX document: the chain rule applied node by node, backward."""
    nodes = {node["id"]: node for node in analysis["nodes"]}
    if len(nodes) > MAX_LATEX_NODES:
        raise ChainruleError(
            "limit_exceeded",
            f"the graph has {len(nodes)} nodes; the LaTeX export is limited to {MAX_LATEX_NODES}")
    outgoing: dict[str, list[dict[str, Any]]] = {node_id: [] for node_id in nodes}
    for edge in analysis["edges"]:
        outgoing[edge["source"]].append(edge)
    output = nodes[analysis["output"]]
    loss = _sym(output)

    lines = [PREAMBLE, r"\begin{document}", r"\section*{Backpropagation by the chain rule}", ""]
    lines.append(rf"The output is $L = {loss} = {_number(output['value'])}$. "
                 r"Going backward, each node's gradient is the sum over the edges leaving it "
                 r"of the gradient at the edge's target times the local derivative.")
    if output["shape"]:
        lines.append(r"The output is a tensor: it is differentiated as $\mathrm{sum}(L)$.")
    lines.append("")
    for node_id in analysis["backward_order"]:
        node = nodes[node_id]
        if node["grad"] is None:
            continue  # constants are not differentiated
        lines.extend(_derivation(node, output, outgoing[node_id], nodes))
    lines.extend(_gradients_table(analysis["gradients"]))
    if analysis.get("warnings"):
        lines.append(r"\subsection*{Warnings}")
        lines.append(r"\begin{itemize}")
        lines.extend(rf"\item {escape(w)}" for w in analysis["warnings"])
        lines.append(r"\end{itemize}")
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"


def _derivation(node: dict[str, Any], output: dict[str, Any], edges: Sequence[dict[str, Any]],
                nodes: dict[str, dict[str, Any]]) -> list[str]:
    head = rf"\frac{{\partial L}}{{\partial {_sym(node)}}}"
    if node is output:
        seed = "1" if not node["shape"] else rf"\mathbf{{1}}_{{{_shape(node['shape'])}}}"
        return [r"\begin{align*}", rf"{head} &= {seed}", r"\end{align*}", ""]
    if not edges:  # an input the output does not depend on
        return [r"\begin{align*}", rf"{head} &= {_number(node['grad'])}", r"\end{align*}", ""]
    symbols, numbers = [], []
    for edge in edges:
        target = nodes[edge["target"]]
        local = rf"\frac{{\partial {_sym(target)}}}{{\partial {_sym(node)}}}"
        symbols.append(rf"\frac{{\partial L}}{{\partial {_sym(target)}}}\,"
                       rf"\underbrace{{{local}}}_{{{_text(edge['local_formula'])}}}")
        numbers.append(_term(target["grad"], edge))
    return [
        r"\begin{align*}",
        rf"{head} &= {' + '.join(symbols)} \\",
        rf"&= {' + '.join(numbers)} \\",
        rf"&= {_number(node['grad'])}",
        r"\end{align*}",
        "",
    ]


def _term(target_grad: Any, edge: dict[str, Any]) -> str:
    """One edge's contribution with numbers: upstream gradient times the local derivative."""
    if edge["local"] is None:  # not elementwise (matmul, reductions, softmax): give the result
        return (rf"\underbrace{{{_number(edge['grad'])}}}_{{"
                rf"{_text(edge['local_formula'])}\text{{ applied to }}{_number(target_grad)}}}")
    times = r"\cdot" if _is_scalar(target_grad) or _is_scalar(edge["local"]) else r"\odot"
    return rf"{_paren(target_grad)} {times} {_paren(edge['local'])}"


def _gradients_table(gradients: dict[str, Any]) -> list[str]:
    if not gradients:
        return []
    rows = [rf"\frac{{\partial L}}{{\partial {_text(name)}}} &= {_number(g)} \\"
            for name, g in gradients.items()]
    rows[-1] = rows[-1].removesuffix(r" \\")
    return [r"\subsection*{Gradients of the inputs}", r"\begin{align*}", *rows, r"\end{align*}", ""]


def _sym(node: dict[str, Any]) -> str:
    return _text(node["label"])


def _text(text: str) -> str:
    return rf"\text{{{escape(text)}}}"


def _shape(shape: Sequence[int]) -> str:
    return r"\times ".join(str(int(n)) for n in shape) if shape else "1"


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (list, np.ndarray, dict))


def _paren(value: Any) -> str:
    text = _number(value)
    return f"({text})" if _is_scalar(value) and text.startswith("-") else text


def _number(value: Any) -> str:
    """A scalar as a number; a tensor as [shape; Frobenius norm]; a summary by its statistics."""
    if isinstance(value, dict):  # a summary ("detail": "summary")
        return (rf"\left[{_shape(value['shape'])};\ \text{{mean }}{_scalar(value['mean'])},\ "
                rf"\min {_scalar(value['min'])},\ \max {_scalar(value['max'])}\right]")
    if isinstance(value, (list, np.ndarray)):
        array = _as_array(value)
        norm = float(np.sqrt(np.sum(np.square(array)))) if array.size else 0.0
        return rf"\left[{_shape(array.shape)};\ \lVert\cdot\rVert_F = {_scalar(norm)}\right]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    v = decode_float(value) if isinstance(value, str) else float(value)
    if math.isnan(v):
        return r"\mathrm{NaN}"
    if math.isinf(v):
        return r"\infty" if v > 0 else r"-\infty"
    text = f"{v:.{DIGITS}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def _as_array(value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value.astype(np.float64, copy=False)
    return np.asarray(_decode_nested(value), dtype=np.float64)


def _decode_nested(items: Any) -> Any:
    if isinstance(items, list):
        return [_decode_nested(x) for x in items]
    return decode_float(items)
