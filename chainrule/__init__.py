"""chainrule: see the chain rule at work on a computational graph.

Python API (the same JSON-ready dicts as the HTTP API, one exception type)::

    import chainrule

    result = chainrule.analyze("y = w*x + b; loss = abs(y_true - y)", {"x": 2, "y_true": 4, "w": 3, "b": 1})
    result["gradients"]                       # {'w': 2.0, 'x': 3.0, 'b': 1.0, 'y_true': -1.0}
    script = chainrule.to_pytorch("loss = (w*x - 1)**2", {"w": 0.5, "x": 2.0})
    chainrule.show("y = w*x + b; loss = abs(y_true - y)", values={"x": 2, "y_true": 4, "w": 3, "b": 1})
"""

from typing import Any

from chainrule.errors import ChainruleError
from chainrule.export.pytorch import to_pytorch
from chainrule.export.standalone import to_html
from chainrule.notebook import show
from chainrule.teaching.analysis import analyze
from chainrule.teaching.exercises import exercise, grade
from chainrule.training.train import train
from chainrule.version import __version__

__all__ = ["ChainruleError", "ChainruleWidget", "__version__", "analyze", "exercise", "grade", "show",
           "to_html", "to_pytorch", "train"]


def __getattr__(name: str) -> Any:
    # the widget class needs anywidget (the notebook extra): imported when first asked for
    if name == "ChainruleWidget":
        from chainrule.notebook.widget import ChainruleWidget

        return ChainruleWidget
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")
