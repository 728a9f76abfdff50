"""Some nodes' values and gradients in full in an otherwise summarized analysis.

The page asks for ``"detail": "auto"`` (large tensors summarized) and, when a learner asks to
see one node's numbers, for that node in full (``"full": ["n7"]``): just what is shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chainrule.engine.autodiff import Run
from chainrule.engine.encode import ArrayFragments, encode
from chainrule.errors import bad_value


def full_node_indices(full: Iterable[str], node_count: int) -> list[int]:
    """The node indices named by the ids in ``full`` (``"n0"`` … ``"n{node_count-1}"``);
    an id naming no node is a ``bad_value`` about the ``full`` field."""
    indices: set[int] = set()
    for k, node_id in enumerate(full):
        digits = node_id[1:] if isinstance(node_id, str) and node_id.startswith("n") else ""
        if not (digits.isdecimal() and digits.isascii() and int(digits) < node_count
                and str(int(digits)) == digits):
            shown = repr(node_id)[:40]
            raise bad_value(f"full.{k}", "invalid",
                            f"{shown} is not a node id of this graph (n0 to n{node_count - 1})",
                            got=shown)
        indices.add(int(digits))
    return sorted(indices)


def send_in_full(result: dict[str, Any], run: Run, indices: Iterable[int], arrays: str) -> None:
    """Replace the rendered value and gradient of the nodes at ``indices`` with the complete
    tensors (``arrays``: ``"list"`` or ``"numpy"``, as :func:`chainrule.engine.encode.encode`)."""
    encode_ = ArrayFragments() if arrays == "numpy" else encode
    nodes = result["nodes"]
    for i in indices:
        nodes[i]["value"] = encode_(run.values[i], arrays)
        nodes[i]["grad"] = encode_(run.grads[i], arrays)
