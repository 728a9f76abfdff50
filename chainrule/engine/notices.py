"""Warnings that carry a code and parameters, so a page can say them in the student's language.

A :class:`Notice` *is* its English text (a ``str``: the ``warnings`` lists of the API stay lists
of strings, deduplicated by text), and also keeps the ``code`` and the JSON-ready ``params``
that :func:`warning_details` sends beside them (docs/api.md, "Warning parameters"). The English
templates below are the one source of the English text; other languages are the front end's
string tables, keyed ``warn.<code>``.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

#: code -> English template. ``!q`` joins a list of names quoted ('a', 'b'), ``!j`` plainly.
TEMPLATES: Final[Mapping[str, str]] = MappingProxyType({
    "input_not_finite": "the input {name!r} is not finite",
    "value_not_finite": "the value of {label!r} ({op}, node {node}) is not finite",
    "gradient_not_finite": "the gradient of {label!r} ({op}, node {node}) is not finite",
    "more_values_not_finite": "... and {count} more nodes with a non-finite value",
    "more_gradients_not_finite": "... and {count} more nodes with a non-finite gradient",
    "output_not_scalar": "the output {label!r} has shape {shape}, not a scalar: differentiating sum({label})",
    "unused_values": "values given for names the expression does not use: {names!q}",
    "unused_value": "value {name!r} is not used by the expression",
    "unused_column": "data column {name!r} is not used by the expression",
    "diagnostics_cut": "{count} health flags; only the first {limit} are listed (set {setting})",
    "optimizer_ignored": "optimizer {optimizer!r} has no {names!j}: ignored",
    "diverged_loss_not_finite": "diverged at step {step}: the loss is {loss}; try a smaller learning rate",
    "diverged_loss_grew": "diverged at step {step}: the loss grew to {loss:.4g}, over {factor:g} times "
                          "its start; try a smaller learning rate",
    "diverged_gradient_not_finite": "diverged at step {step}: the gradient of {names!j} is not finite",
    "diverged_after_loss_not_finite": "diverged after the last update: the loss is {loss}; "
                                      "try a smaller learning rate",
    "diverged_after_value_not_finite": "diverged after the last update: the value of {names!j} is not finite",
    "budget_ran_out": "stopped after {done} of {steps} steps: the request's compute budget of "
                      "{seconds:g} s ran out",
    "explained_cut": "the update's arithmetic is shown for the first {steps} steps only "
                     "({params} params; set {setting})",
    "no_accuracy": "the prediction is not a (rows, classes) table: no accuracy",
    "surface_not_finite": "the loss is not finite at {count} grid points",
})


class _Formatter(string.Formatter):
    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion == "q":
            return ", ".join(repr(str(v)) for v in value)
        if conversion == "j":
            return ", ".join(str(v) for v in value)
        return super().convert_field(value, conversion)


_FORMAT: Final = _Formatter()


class Notice(str):
    """A warning: its English text, with ``code`` and ``params`` for other languages."""

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, **params: Any) -> Notice:
        self = super().__new__(cls, _FORMAT.format(TEMPLATES[code], **params))
        self.code = code
        self.params = params
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (self.code, self.params)


def _rebuild(code: str, params: dict[str, Any]) -> Notice:
    return Notice(code, **params)


def warning_details(warnings: Iterable[str]) -> list[dict[str, Any]]:
    """``{code, params, message}`` for each warning (``code`` "other" for a plain string)."""
    return [{"code": w.code, "params": w.params, "message": str(w)} if isinstance(w, Notice)
            else {"code": "other", "params": {}, "message": str(w)} for w in warnings]
