"""The registries, as the front end and the exports are told about them.

Each registry has one source below this module: the operations in ``engine/ops.py``, the
optimizers and datasets in ``training/``, the limits in ``config.py``, the examples in
``examples.py``, the languages in ``languages.py``. This module puts them in the shape that
``GET /api/meta`` and ``GET /api/ops`` serve and the standalone page and the notebook widget
inline, and owns the one registry that belongs to no layer below: the panels of an embed.
Routes and exports read it; it reads nothing above it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Final

from chainrule.config import LIMITS
from chainrule.engine.ops import OPERATORS, OPS
from chainrule.engine.parser import INDEX, NEGATION, TRANSPOSE
from chainrule.languages import LANGUAGES
from chainrule.training.datasets import DATASETS
from chainrule.training.optimizers import DEFAULT_OPTIMIZER, OPTIMIZERS

#: The panels an embed can show (``panels=forward,backward,steps,editor``), in page order.
EMBED_PANELS: Final[tuple[str, ...]] = ("editor", "steps", "forward", "backward")
#: What an embed shows without ``panels=``: the graphs and the step-through.
DEFAULT_EMBED_PANELS: Final[tuple[str, ...]] = ("steps", "forward", "backward")


def embed_panels(raw: str | None) -> list[str]:
    """The known panels named in ``raw`` (comma-separated), in page order; the default if none."""
    asked = {p.strip() for p in (raw or "").split(",")}
    chosen = [p for p in EMBED_PANELS if p in asked]
    return chosen or list(DEFAULT_EMBED_PANELS)


def operators() -> list[dict[str, str]]:
    """Every operator the grammar writes with a symbol, and where the symbol goes."""
    return [
        *({"name": op.name, "symbol": symbol, "notation": "infix"} for symbol, op in OPERATORS.items()),
        {"name": NEGATION, "symbol": "-", "notation": "prefix"},
        {"name": TRANSPOSE, "symbol": ".T", "notation": "postfix"},
        {"name": INDEX, "symbol": "[]", "notation": "subscript"},
    ]


def meta() -> dict[str, Any]:
    """``GET /api/meta``: optimizers, datasets, limits, embed panels, operators, languages."""
    return {
        "optimizers": [o.to_dict() for o in OPTIMIZERS.values()],
        "default_optimizer": DEFAULT_OPTIMIZER,
        "datasets": [d.to_dict() for d in DATASETS.values()],
        "limits": asdict(LIMITS),
        "embed": {"panels": list(EMBED_PANELS), "default": list(DEFAULT_EMBED_PANELS)},
        "operators": operators(),
        "languages": list(LANGUAGES),
    }


def ops() -> list[dict[str, Any]]:
    """``GET /api/ops``: every operation with its arity, formula and local-derivative formulas."""
    return [op.describe() for op in OPS.values()]
