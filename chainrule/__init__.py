"""chainrule: see the chain rule at work on a computational graph (the public Python name).

::

    import chainrule

    result = chainrule.analyze("y = w*x + b; loss = abs(y_true - y)", {"x": 2, "y_true": 4, "w": 3, "b": 1})
    result["gradients"]                       # {'w': 2.0, 'x': 3.0, 'b': 1.0, 'y_true': -1.0}
    script = chainrule.to_pytorch("loss = (w*x - 1)**2", {"w": 0.5, "x": 2.0})
    chainrule.show("y = w*x + b; loss = abs(y_true - y)", x=2, y_true=4, w=3, b=1)  # in a notebook

The same functions as ``from app import ...`` (the package's internal name), which keeps working.
"""

from typing import Any

from app import ChainruleError, __version__, analyze, exercise, grade, train
from app.export.pytorch import to_pytorch
from app.export.standalone import to_html
from app.notebook import show

__all__ = ["ChainruleError", "ChainruleWidget", "__version__", "analyze", "exercise", "grade", "show",
           "to_html", "to_pytorch", "train"]


def __getattr__(name: str) -> Any:
    # the widget class needs anywidget (the notebook extra): imported when first asked for
    if name == "ChainruleWidget":
        from app.notebook.widget import ChainruleWidget

        return ChainruleWidget
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")
