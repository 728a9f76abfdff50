"""How many numbers an analysis would emit, counted before a byte of it is encoded.

A 109-byte request (a 1,000,000-element initializer through four elementwise functions)
asks for every node's value and gradient and every edge's local derivative and gradient:
hundreds of megabytes of JSON. The HTTP layer bounds the response by this count
(``CHAINRULE_MAX_RESPONSE_NUMBERS``), so the answer to such a request is a 4xx naming the
limit and the way out (``"detail": "summary"`` or ``"auto"``), not a 359 MB download.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from chainrule.engine.autodiff import Run
from chainrule.engine.encode import SUMMARY_PREVIEW

#: Numbers in one summary object: min, max, mean and the preview.
SUMMARY_NUMBERS = 3 + SUMMARY_PREVIEW


def response_numbers(run: Run, summarize_over: int | None = None,
                     full: Collection[int] = ()) -> int:
    """Numbers in the rendered analysis of ``run`` (node values and gradients, edge locals
    and gradients, input gradients); a tensor of more than ``summarize_over`` elements
    counts as its summary, except the values and gradients of the nodes in ``full``."""

    def count(v: Any) -> int:
        if v is None:
            return 0
        if type(v) is float:
            return 1
        size = int(v.size)
        return SUMMARY_NUMBERS if summarize_over is not None and size > summarize_over else size

    def size(v: Any) -> int:
        return 0 if v is None else 1 if type(v) is float else int(v.size)

    summarized = sum(sum(map(count, values)) for values in (
        run.values, run.grads, run.edge_local, run.edge_grad, run.input_grads.values()))
    # a node sent in full: its complete value and gradient instead of their summaries
    return summarized + sum(size(run.values[i]) - count(run.values[i])
                            + size(run.grads[i]) - count(run.grads[i]) for i in set(full))
