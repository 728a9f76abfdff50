"""The API contract's ``from app import analyze, train, exercise, grade`` inside a checkout.

The package is ``chainrule``; this folder is not installed by the wheel (pyproject.toml
packages only ``chainrule``), so it never shadows a user's own ``app`` package.
"""

from chainrule import ChainruleError, __version__, analyze, exercise, grade, train

__all__ = ["ChainruleError", "__version__", "analyze", "exercise", "grade", "train"]
