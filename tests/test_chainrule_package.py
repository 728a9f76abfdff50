"""``import chainrule`` is the public Python name; ``from chainrule import ...`` keeps working."""

from __future__ import annotations

import chainrule
from chainrule import analyze as app_analyze
from chainrule import exercise as app_exercise
from chainrule import grade as app_grade
from chainrule import train as app_train
from chainrule.export.pytorch import to_pytorch

#: What a notebook user finds under ``chainrule.`` (docs/api.md's Python API lists the same).
PUBLIC = {"analyze", "train", "exercise", "grade", "to_pytorch", "to_html", "show", "ChainruleWidget",
          "ChainruleError", "__version__"}


def test_chainrule_reexports_the_python_api() -> None:
    assert set(chainrule.__all__) >= PUBLIC
    assert chainrule.analyze is app_analyze and chainrule.train is app_train
    assert chainrule.to_pytorch is to_pytorch
    assert chainrule.exercise is app_exercise and chainrule.grade is app_grade


def test_chainrule_sets_and_grades_an_exercise() -> None:
    made = chainrule.exercise("y = w*x + b; loss = abs(y_true - y)", {"x": 2, "y_true": 4, "w": 3, "b": 1},
                              ask=["grad"])
    questions = made["exercise"]["questions"]
    answers = {q["id"]: 0 for q in questions}
    graded = chainrule.grade(made["exercise"], answers)
    assert graded["total"] == len(questions) and graded["correct"] < graded["total"]


def test_chainrule_analyzes_the_worked_example() -> None:
    result = chainrule.analyze("y = w*x + b; loss = abs(y_true - y)", {"x": 2, "y_true": 4, "w": 3, "b": 1})
    assert result["value"] == 3.0
    assert result["gradients"] == {"w": 2.0, "x": 3.0, "b": 1.0, "y_true": -1.0}


def test_the_front_end_is_found_in_the_checkout() -> None:
    from chainrule.assets import STATIC_DIR, TEMPLATES_DIR

    assert (STATIC_DIR / "js" / "main.js").is_file()
    assert (TEMPLATES_DIR / "index.html").is_file()
