"""chainrule in a Jupyter notebook: ``show(expression, **values)`` (needs the ``notebook``
extra, anywidget; imported on first use so ``import chainrule`` works without it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chainrule.notebook.widget import ChainruleWidget


def show(expression: str | dict[str, Any], output: str | None = None, lang: str = "en",
         **values: Any) -> ChainruleWidget:
    """The forward and backward graphs of ``expression`` at ``values`` with step-through, as a
    widget (``show("y = w*x", w=2, x=3)``), or of an analysis already made (``show(analysis)``)."""
    from chainrule.notebook.widget import ChainruleWidget

    return ChainruleWidget(expression, output=output, lang=lang, **values)
