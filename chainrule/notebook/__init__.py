"""chainrule in a Jupyter notebook: ``show(expression, values={...}, **options)`` (needs the
``notebook`` extra, anywidget; imported on first use so ``import chainrule`` works without it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chainrule.notebook.widget import ChainruleWidget

NOTEBOOK_EXTRA_MISSING = ("chainrule.show() draws a notebook widget, which needs anywidget: "
                          "pip install 'chainrule[notebook]'")


def show(expression: str | Mapping[str, Any], values: Mapping[str, Any] | None = None, *,
         output: str | None = None, lang: str = "en", params: Sequence[str] | None = None,
         optimizer: Mapping[str, Any] | None = None, **more_values: Any) -> ChainruleWidget:
    """The forward and backward graphs of ``expression`` at ``values``, with step-through and a
    training panel, as a notebook widget; or of an analysis made before (``show(analysis)``).

    ``values`` is a dict, so an input may have any name (``lang``, ``output`` and ``values``
    included); plain keywords are accepted too for the other names
    (``show("y = w*x", w=2, x=3)``). ``params`` and ``optimizer`` set the training panel's
    start; by default it trains the inputs that are not data (see
    :func:`chainrule.notebook.defaults.training_defaults`) with a learning rate that is seen
    to lower the loss. ``lang`` is "en" or "vi".
    """
    clash = sorted(set(values or {}) & set(more_values))
    if clash:
        raise TypeError(f"show(): {', '.join(clash)} given both in values and as keywords")
    try:
        from chainrule.notebook.widget import ChainruleWidget
    except ModuleNotFoundError as exc:
        if exc.name in {"anywidget", "traitlets", "ipywidgets"}:
            raise ModuleNotFoundError(NOTEBOOK_EXTRA_MISSING, name=exc.name) from exc
        raise
    return ChainruleWidget(expression, {**(values or {}), **more_values}, output=output, lang=lang,
                           params=params, optimizer=optimizer)
