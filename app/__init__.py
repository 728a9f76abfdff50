"""chainrule: see the chain rule at work on a computational graph.

Python API (same JSON-ready dicts as the HTTP API, one exception type)::

    from app import analyze, train, exercise, grade, ChainruleError
"""

from app.errors import ChainruleError
from app.teaching.analysis import analyze
from app.teaching.exercises import exercise, grade
from app.training.train import train

__version__ = "0.1.0"

__all__ = ["ChainruleError", "__version__", "analyze", "exercise", "grade", "train"]
