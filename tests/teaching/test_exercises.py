"""Exercises (Python API): questions from any expression, graded with hints, stateless and seeded."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from chainrule import ChainruleError, analyze, exercise, grade
from chainrule.config import LIMITS
from chainrule.examples import EXAMPLES
from tests.support.random_expr import random_case

WORKED = next(e for e in EXAMPLES if e["id"] == "worked")
DENSE = next(e for e in EXAMPLES if e["id"] == "dense")


def question_for(ex: dict[str, Any], kind: str, prompt_part: str) -> dict[str, Any]:
    return next(q for q in ex["questions"] if q["kind"] == kind and prompt_part in q["prompt"])


def true_answers(ex: dict[str, Any]) -> dict[str, Any]:
    """The right answers, read off the full analysis (not off the exercise)."""
    truth = analyze(ex["expression"], ex["values"], ex["output"])
    nodes = {n["id"]: n for n in truth["nodes"]}
    edges = {e["id"]: e for e in truth["edges"]}
    return {q["id"]: (edges[q["edge"]]["local"] if q["kind"] == "local"
                      else nodes[q["node"]][q["kind"]]) for q in ex["questions"]}


def test_worked_example_grades_the_chain_1_1_2_as_right() -> None:
    ex = exercise(WORKED["expression"], WORKED["values"], ask=["grad"])["exercise"]
    q = question_for(ex, "grad", "d loss/d w ")
    result = grade(ex, {q["id"]: "1*1*2"})
    assert result["results"][q["id"]] == {"correct": True, "expected": 2.0, "given": 2.0}
    assert result["correct"] == 1 and result["total"] == len(ex["questions"])


def test_a_wrong_answer_gets_the_chain_of_factors_as_hint() -> None:
    ex = exercise(WORKED["expression"], WORKED["values"])["exercise"]
    q = question_for(ex, "grad", "d loss/d w ")
    r = grade(ex, {q["id"]: 3})["results"][q["id"]]
    assert r["correct"] is False and r["expected"] == 2.0 and r["given"] == 3.0
    assert "d loss/d w = d loss/d (y_true - y) · d (y_true - y)/d y · d y/d (w * x) · " \
           "d (w * x)/d w" in r["hint"]
    local = question_for(ex, "local", "d(w * x)/d(w)")
    assert grade(ex, {local["id"]: 3})["results"][local["id"]]["hint"].startswith(
        "d(w * x)/d(w) = x")


def test_a_shared_node_hint_sums_one_product_per_use() -> None:
    ex = exercise("y = x*x + x", {"x": 3}, ask=["grad"])["exercise"]
    q = question_for(ex, "grad", "d y/d x")
    r = grade(ex, {q["id"]: 6})["results"][q["id"]]
    assert r["expected"] == 7.0 and "used 3 times" in r["hint"]


def test_true_answers_score_one_and_the_graph_hides_them() -> None:
    made = exercise(WORKED["expression"], WORKED["values"], ask=["local", "grad", "value"])
    ex, graph = made["exercise"], made["graph"]
    answers = true_answers(ex)
    assert grade(ex, answers)["score"] == 1.0
    assert {q["kind"] for q in ex["questions"]} == {"local", "grad", "value"}
    assert graph["gradients"]["w"] is None and graph["value"] is None
    assert all(n["grad"] is None for n in graph["nodes"] if n["id"] != graph["output"])
    assert all(e["local"] is None and e["grad"] is None for e in graph["edges"])
    assert "1.0" not in str([n["grad"] for n in graph["nodes"] if n["id"] != graph["output"]])


def test_questions_come_in_backward_order_consumers_first() -> None:
    ex = exercise(WORKED["expression"], WORKED["values"], ask=["grad"])["exercise"]
    order = analyze(WORKED["expression"], WORKED["values"])["backward_order"]
    asked = [q["node"] for q in ex["questions"]]
    assert asked == [n for n in order if n in asked]
    assert [q["id"] for q in ex["questions"]] == [f"q{i}" for i in range(1, len(asked) + 1)]


def test_tensor_questions_carry_shapes_and_take_nested_lists() -> None:
    ex = exercise(DENSE["expression"], DENSE["values"])["exercise"]
    shapes = {tuple(q["shape"]) for q in ex["questions"]}
    assert (3, 4) in shapes and (1, 4) in shapes
    answers = true_answers(ex)
    assert grade(ex, answers)["score"] == 1.0
    as_text = {k: np.vectorize(repr)(np.asarray(v)).tolist() for k, v in answers.items()}
    assert grade(ex, as_text)["score"] == 1.0  # arithmetic text inside nested lists


def test_count_and_seed_draw_reproducible_questions() -> None:
    expression = "h = tanh(a*b + c)\nloss = h*h + sin(a) - exp(c)"
    values = {"a": 0.5, "b": -1.5, "c": 0.25}
    every = exercise(expression, values)["exercise"]["questions"]
    first = exercise(expression, values, count=4, seed=7)["exercise"]["questions"]
    again = exercise(expression, values, count=4, seed=7)["exercise"]["questions"]
    other = [exercise(expression, values, count=4, seed=s)["exercise"]["questions"] for s in range(5)]
    assert first == again and len(first) == 4
    assert any(o != first for o in other)
    keys = [(q["kind"], q.get("edge"), q.get("node")) for q in every]
    drawn = [(q["kind"], q.get("edge"), q.get("node")) for q in first]
    assert drawn == sorted(drawn, key=keys.index)  # still in backward-pass order


def test_vietnamese_prompts_and_hints() -> None:
    ex = exercise(WORKED["expression"], WORKED["values"], ask=["local", "value"], lang="vi")["exercise"]
    assert any(q["prompt"].startswith("gradient cục bộ") for q in ex["questions"])
    assert any(q["prompt"].startswith("giá trị của") for q in ex["questions"])
    results = grade(ex, {})["results"]
    hints = {q["kind"]: results[q["id"]]["hint"] for q in ex["questions"]}
    assert hints["value"].startswith("tính ") and hints["value"].endswith("giá trị các đối số của nó")
    assert "thay các giá trị" in hints["local"]


@pytest.mark.parametrize(("answer", "value"), [("-1/2", -0.5), ("2**-1", 0.5), (" 1 * 1 * 2 ", 2.0),
                                                ("sqrt(4)", 2.0), (4, 4.0), (0.25, 0.25)])
def test_answers_as_numbers_or_name_free_arithmetic(answer: Any, value: float) -> None:
    ex = exercise(WORKED["expression"], WORKED["values"], ask=["grad"])["exercise"]
    assert grade(ex, {"q1": answer})["results"]["q1"]["given"] == value


@pytest.mark.parametrize(("answers", "says"), [
    ({"q99": 1}, "unknown question 'q99'"),
    ({"q1": "w*2"}, "the answer to q1, 'w*2', uses names"),
    ({"q1": "1 +* 2"}, "cannot read the answer to q1"),
    ({"q1": "__import__('os')"}, "the answer to q1"),
    ({"q1": [1, 2]}, "the answer to q1 has shape [2], the question asks for shape []"),
    ({"q1": [[1], [2, 3]]}, "the answer to q1 is not a number or a regular nested list"),
    ({"q1": True}, "the answer to q1: true is not a number"),
    ({"q1": {"a": 1}}, "the answer to q1 should be a number"),
])
def test_bad_answers_are_bad_value_naming_the_question(answers: dict[str, Any], says: str) -> None:
    ex = exercise(WORKED["expression"], WORKED["values"], ask=["grad"])["exercise"]
    with pytest.raises(ChainruleError) as caught:
        grade(ex, answers)
    assert caught.value.code == "bad_value" and says in caught.value.message
    assert caught.value.params and caught.value.params["field"].startswith("answers.q")


def test_an_answer_longer_than_the_limit_is_refused() -> None:
    ex = exercise(WORKED["expression"], WORKED["values"], ask=["grad"])["exercise"]
    long = "1" + "+0" * LIMITS.max_answer_chars
    with pytest.raises(ChainruleError) as caught:
        grade(ex, {"q1": long})
    assert caught.value.code == "limit_exceeded" and "CHAINRULE_MAX_ANSWER_CHARS" in caught.value.message
    fits = "1" + "+0" * ((LIMITS.max_answer_chars - 1) // 2)
    assert grade(ex, {"q1": fits})["results"]["q1"]["given"] == 1.0


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"ask": ["slope"]}, "ask: must list"), ({"ask": []}, "ask: must list"),
    ({"lang": "fr"}, "lang: must be"), ({"count": 0}, "count: must be at least 1"),
])
def test_bad_exercise_requests(kwargs: dict[str, Any], says: str) -> None:
    with pytest.raises(ChainruleError) as caught:
        exercise(WORKED["expression"], WORKED["values"], **kwargs)
    assert caught.value.code == "bad_value" and says in caught.value.message


def test_nothing_to_ask_and_forged_questions_are_bad_value() -> None:
    with pytest.raises(ChainruleError, match="nothing to ask"):
        exercise("x", {"x": 1})
    ex = exercise(WORKED["expression"], WORKED["values"])["exercise"]
    forged = {**ex, "questions": [{"id": "q1", "kind": "local", "edge": "e99"}]}
    with pytest.raises(ChainruleError, match="question q1 asks about"):
        grade(forged, {"q1": 1})


def test_unanswered_questions_count_as_wrong_with_a_hint() -> None:
    ex = exercise(WORKED["expression"], WORKED["values"], ask=["grad"])["exercise"]
    result = grade(ex, {})
    assert result["score"] == 0.0 and result["correct"] == 0
    assert all(r["given"] is None and r["hint"] for r in result["results"].values())


RANDOM_PROGRAMS = 200


def perturbed(value: Any) -> Any:
    return (np.asarray(value, dtype=float) * 1.1 + 0.01).tolist()


def visibly_changed(value: Any) -> bool:
    """Whether ×1.1 + 0.01 moves some element by more than 1% (10× the grading tolerance);
    it does not for elements within a hair of -0.1, where the two cancel."""
    v = np.asarray(value, dtype=float)
    return bool(np.any(np.abs(0.1 * v + 0.01) > 0.01 * np.abs(v) + 1e-6))


def askable_random_exercise(seed: int) -> tuple[dict[str, Any], Any]:
    """The first random program drawn from ``seed`` that has something to ask (a program
    can be all constants: ``s = 1.5``)."""
    rng = np.random.default_rng(seed)
    for _ in range(20):
        case = random_case(rng)
        try:
            return exercise(case.expression, case.values, case.output,
                            ask=["local", "grad", "value"], seed=seed)["exercise"], case
        except ChainruleError as exc:
            assert "nothing to ask" in exc.message
    raise AssertionError("20 programs in a row with nothing to ask")


@pytest.mark.parametrize("seed", range(RANDOM_PROGRAMS))
def test_random_programs_grade_truth_right_and_perturbations_wrong(seed: int) -> None:
    ex, case = askable_random_exercise(seed)
    truth = true_answers(ex)
    assert grade(ex, truth) == {"score": 1.0, "correct": len(truth), "total": len(truth),
                                "results": grade(ex, truth)["results"]}
    changed = {qid for qid, value in truth.items() if visibly_changed(value)}
    assert len(changed) * 2 >= len(truth), case.expression
    results = grade(ex, {qid: perturbed(v) for qid, v in truth.items()})["results"]
    assert [qid for qid in changed if results[qid]["correct"]] == [], case.expression
    assert all(results[qid]["hint"] for qid in changed)


def shown(value: Any) -> Any:
    """A value as the page writes it (format.js fmtNumber: 4 significant digits) and a student
    types it back."""
    if isinstance(value, list):
        return [shown(v) for v in value]
    return f"{value:.4g}" if isinstance(value, float) and np.isfinite(value) else value


def one_shown_digit_off(value: Any) -> Any:
    """The value as shown, wrong by one unit in its last shown digit (not a value within the
    absolute tolerance of 0, rounding noise such as 1e-17)."""
    if isinstance(value, list):
        return [one_shown_digit_off(v) for v in value]
    if not (isinstance(value, float) and np.isfinite(value)) or abs(value) < 1e-6:
        return value
    return float(shown(value)) + 10.0 ** (np.floor(np.log10(abs(value))) - 3)


def test_a_wrong_derivative_that_agrees_to_1e_3_is_refused() -> None:
    """d tanh(x)/dx at 0.1 is 1 − tanh²(0.1) = 0.990066 (shown 0.9901); 1 − 0.1² = 0.99 forgets
    the tanh and is only 6.7e-5 off, within a relative 1e-3: it must be wrong."""
    ex = exercise("y = tanh(x)", {"x": 0.1}, ask=["local"])["exercise"]
    qid = ex["questions"][0]["id"]
    answer = lambda text: grade(ex, {qid: text})["results"][qid]["correct"]
    assert not answer("1 - 0.1**2")
    assert not answer("0.99")
    assert answer("0.9901")  # as the page shows it
    assert answer("1 - tanh(0.1)**2")  # the exact expression
    assert answer(1 - np.tanh(0.1) ** 2)
    # a client may still ask for a relative tolerance of its own
    assert grade(ex, {qid: "0.99"}, rtol=1e-3)["results"][qid]["correct"]


@pytest.mark.parametrize("seed", range(0, RANDOM_PROGRAMS, 3))
def test_every_answer_typed_as_the_page_shows_it_is_right_and_one_digit_off_is_not(seed: int) -> None:
    ex, case = askable_random_exercise(seed)
    truth = true_answers(ex)
    typed = grade(ex, {qid: shown(v) for qid, v in truth.items()})
    assert typed["score"] == 1.0, (case.expression, typed["results"])
    off = grade(ex, {qid: one_shown_digit_off(v) for qid, v in truth.items()})["results"]
    moved = [qid for qid, v in truth.items() if one_shown_digit_off(v) != v]
    assert moved, case.expression
    assert [qid for qid in moved if off[qid]["correct"]] == [], case.expression
