"""Exercises from any expression: the numbers a graph would show become questions, then graded.

Stateless: the exercise object carries the expression, the values and the questions, so
grading recomputes the truth with :func:`chainrule.engine.analysis.analyze`. Prompts and hints are
data (``text/<lang>.json``). Answers written as arithmetic (``"1*1*2"``) are read by the
same whitelist parser as expressions, and may not use names.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.config import LIMITS, env_name
from chainrule.engine.analysis import analyze
from chainrule.engine.budget import check_budget
from chainrule.errors import ChainruleError, bad_value, limit_error
from chainrule.languages import checked_language

KINDS = ("local", "grad", "value")
DEFAULT_ASK = ("local", "grad")
#: The significant digits the page writes a number with (static/js/format.js, fmtNumber). An
#: answer typed from them is right; a wrong derivative that agrees to 1e-3 (1 − 0.1² for
#: 1 − tanh²(0.1), 0.99 against 0.99007) is not, so the default tolerance is half a unit in
#: the last shown digit, not a fixed relative one.
SHOWN_DIGITS = 4
#: An absolute tolerance beside it, so that a true 0 accepts a float rounding of it.
ATOL = 1e-9
#: Signs a student copies from the lessons' text, read as the grammar's: − × · ÷.
_TYPOGRAPHY = str.maketrans({"\u2212": "-", "\u2013": "-", "\u00d7": "*", "\u00b7": "*", "\u00f7": "/"})
NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
TEXT_DIR = Path(__file__).resolve().parent / "text"


@cache
def texts(lang: str) -> dict[str, str]:
    """The prompt and hint templates of one language (``text/<lang>.json``)."""
    words: dict[str, str] = json.loads((TEXT_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    return words


def exercise(expression: str, values: Mapping[str, Any], output: str | None = None,
             ask: Sequence[str] | None = None, count: int | None = None,
             seed: int = 0, lang: str = "en", nodes: Sequence[str] | None = None) -> dict[str, Any]:
    """Questions on ``expression`` at ``values``: ``{"exercise": {...}, "graph": {...}}``.

    ``ask`` picks the kinds (local gradients on edges, gradients on nodes, forward values);
    ``count`` questions are drawn with ``seed`` (default: all), kept in the order a backward
    pass meets them. ``nodes`` keeps only the questions about those nodes (by name or label;
    a local gradient is about its edge's two ends). ``graph`` is the analysis with every asked
    number blanked (null).
    """
    kinds = _checked_kinds(ask)
    lang = checked_language(lang)
    analysis = analyze(expression, values, output)
    questions = _candidates(analysis, kinds, texts(lang))
    if nodes is not None:
        questions = _about(analysis, questions, nodes)
    if not questions:
        raise bad_value("expression", "nothing_to_ask", "this expression has nothing to ask: it "
                                                        "needs an operation on an input")
    if count is not None:
        if count < 1:
            raise bad_value("count", "out_of_range", f"must be at least 1, got {count}", min=1)
        chosen = set(random.Random(seed).sample(range(len(questions)), min(count, len(questions))))
        questions = [q for i, q in enumerate(questions) if i in chosen]
    for i, question in enumerate(questions, start=1):
        question["id"] = f"q{i}"
    exercise_ = {"expression": expression, "values": dict(values), "output": output,
                 "ask": list(kinds), "seed": seed, "lang": lang, "questions": questions}
    return {"exercise": exercise_, "graph": blanked(analysis, questions)}


def grade(exercise: Mapping[str, Any], answers: Mapping[str, Any],
          rtol: float | None = None) -> dict[str, Any]:
    """Grade ``answers`` (question id -> number, nested list or arithmetic text).

    Every question counts; an unanswered one is wrong. A wrong answer gets a hint. An answer
    is right within :func:`shown_tolerance` of the true value, or within ``rtol`` (relative)
    when it is given.
    """
    questions = _questions_of(exercise)
    by_id = {q["id"]: q for q in questions}
    unknown = [qid for qid in answers if qid not in by_id]
    if unknown:
        raise bad_value(f"answers.{unknown[0]}", "unknown_key",
                        f"unknown question {unknown[0]!r}: this exercise has "
                        f"{_id_range(questions)}", key=unknown[0], known=list(by_id))
    if rtol is not None and not (rtol >= 0 and rtol < 1):
        raise bad_value("rtol", "out_of_range", f"must be in [0, 1), got {rtol}", min=0, max=1)
    analysis = analyze(exercise["expression"], exercise.get("values") or {}, exercise.get("output"))
    view = GraphView(analysis)
    words = texts(checked_language(exercise.get("lang", "en")))
    results: dict[str, Any] = {}
    for question in questions:
        check_budget()  # the answers are parsed here: arithmetic text up to max_answer_chars each
        expected = view.expected(question)
        raw = answers.get(question["id"])
        given = None if raw is None else read_answer(question["id"], raw, np.shape(expected))
        correct = given is not None and is_close(given, expected, rtol)
        result: dict[str, Any] = {"correct": correct, "expected": expected,
                                  "given": None if given is None else given.tolist()}
        if not correct:
            result["hint"] = _cut(view.hint(question, words), LIMITS.max_hint_chars)
            if given is not None and not np.all(np.isfinite(given)):
                # 1/0 or an overflow: say why that cannot be it before how to get it
                result["hint"] = words["hint_not_finite"].format(hint=result["hint"])
        results[question["id"]] = result
    right = sum(r["correct"] for r in results.values())
    return {"score": right / len(questions), "correct": right, "total": len(questions),
            "results": results}


# ------------------------------------------------------------------------ answers


def shown_tolerance(expected: np.ndarray) -> np.ndarray:
    """Half a unit in the last of the SHOWN_DIGITS significant digits of each value (0.5e-4
    for 0.990066, shown 0.9901), with room for float rounding."""
    size = np.abs(expected)
    exponent = np.floor(np.log10(np.where((size > 0) & np.isfinite(size), size, 1.0)))
    return 0.5 * 10.0 ** (exponent - (SHOWN_DIGITS - 1)) * (1 + 1e-9) + ATOL


def is_close(given: np.ndarray, expected: Any, rtol: float | None) -> bool:
    """Is every element of ``given`` the expected one, as shown (or within ``rtol``)?"""
    if rtol is not None:
        return bool(np.allclose(given, expected, rtol=rtol, atol=ATOL))
    want = np.asarray(expected, dtype=float)
    with np.errstate(invalid="ignore"):  # inf − inf: an infinity is right only as itself
        return bool(np.all((given == want) | (np.abs(given - want) <= shown_tolerance(want))))



def read_answer(qid: str, raw: Any, shape: tuple[int, ...]) -> np.ndarray:
    """An answer as a float array of ``shape``, or a ``bad_value`` naming the question."""
    try:
        array = np.asarray(_leaves(qid, raw), dtype=float)
    except ValueError as exc:  # ragged nested lists
        raise bad_value(f"answers.{qid}", "ragged", f"the answer to {qid} is not a number or a "
                                                    f"regular nested list ({exc})") from exc
    if array.shape != tuple(shape):
        raise bad_value(f"answers.{qid}", "wrong_shape", f"the answer to {qid} has shape "
                        f"{list(array.shape)}, the question asks for shape {list(shape)}",
                        got=list(array.shape), shape=list(shape))
    return array


def _leaves(qid: str, raw: Any, depth: int = 0) -> Any:
    if depth > LIMITS.max_depth:
        raise bad_value(f"answers.{qid}", "too_deep", f"the answer to {qid} nests lists more than "
                        f"{LIMITS.max_depth} deep", limit=LIMITS.max_depth)
    if isinstance(raw, bool) or raw is None:
        raise bad_value(f"answers.{qid}", "not_a_number",
                        f"the answer to {qid}: {json.dumps(raw)} is not a number")
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        return arithmetic(qid, raw)
    if isinstance(raw, list):
        return [_leaves(qid, item, depth + 1) for item in raw]
    raise bad_value(f"answers.{qid}", "not_a_number", f"the answer to {qid} should be a number, "
                                                      f"a nested list or arithmetic text")


def arithmetic(qid: str, text: str) -> Any:
    """The value of a name-free arithmetic text such as ``"1*1*2"`` or ``"-1/2"``."""
    if len(text) > LIMITS.max_answer_chars:
        raise limit_error(f"the answer to {qid}", LIMITS.max_answer_chars,
                          env_name("max_answer_chars"), len(text))
    text = text.translate(_TYPOGRAPHY)
    if text.strip() in NON_FINITE:
        return NON_FINITE[text.strip()]
    try:
        result = analyze(text, {})
    except ChainruleError as exc:
        if exc.code == "missing_value":
            raise bad_value(f"answers.{qid}", "uses_names", f"the answer to {qid}, {_shown(text)}, "
                            f"uses names; write a number or arithmetic such as 1*1*2",
                            got=_shown(text)) from exc
        raise bad_value(f"answers.{qid}", "unreadable", f"cannot read the answer to {qid}, "
                        f"{_shown(text)}: {exc.message}", got=_shown(text)) from exc
    return result["value"]


def _cut(text: str, limit: int) -> str:
    """A hint of at most ``limit`` characters: a long path of long labels is cut, marked '…'."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def _shown(text: str) -> str:
    """An answer as quoted in a message: cut short, so an error stays readable."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


# ------------------------------------------------------------------------ questions


def _about(analysis: dict[str, Any], questions: list[dict[str, Any]],
           nodes: Sequence[str]) -> list[dict[str, Any]]:
    """The questions about the named nodes; an unknown name is a ``bad_value``."""
    view = GraphView(analysis)
    by_name = {n["label"]: n["id"] for n in analysis["nodes"]}
    by_name.update({n["name"]: n["id"] for n in analysis["nodes"] if n.get("name")})
    unknown = [name for name in nodes if name not in by_name]
    if unknown:
        raise bad_value("nodes", "unknown_key", f"this graph has no node {unknown[0]!r}",
                        key=unknown[0], known=sorted(by_name))
    wanted = {by_name[name] for name in nodes}

    def about(q: dict[str, Any]) -> bool:
        if q["kind"] != "local":
            return q["node"] in wanted
        edge = view.edges[q["edge"]]
        return edge["source"] in wanted or edge["target"] in wanted

    return [q for q in questions if about(q)]


def _checked_kinds(ask: Sequence[str] | None) -> tuple[str, ...]:
    kinds = tuple(ask) if ask is not None else DEFAULT_ASK
    wrong = [k for k in kinds if k not in KINDS]
    if wrong or not kinds:
        raise bad_value("ask", "not_allowed", f"must list some of {', '.join(KINDS)}; got "
                                              f"{wrong[0] if wrong else 'nothing'!r}",
                        allowed=list(KINDS))
    return tuple(k for k in KINDS if k in kinds)


def _finite(value: Any) -> bool:
    """Whether an encoded value is asked-for material: present and with no non-finite string."""
    if value is None or isinstance(value, str | dict):
        return False
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def _candidates(analysis: dict[str, Any], kinds: tuple[str, ...],
                words: dict[str, str]) -> list[dict[str, Any]]:
    """Every question of ``kinds``: forward values in forward order, then the gradients in the
    order a backward pass meets them (a node's gradient, then the local gradients it sends)."""
    view = GraphView(analysis)
    out: list[dict[str, Any]] = []
    if "value" in kinds:
        for node in analysis["nodes"]:
            if node["op"] not in ("input", "const") and _finite(node["value"]):
                out.append({"kind": "value", "node": node["id"], "shape": node["shape"],
                            "prompt": words["prompt_value"].format(node=view.spoken(node))})
    for node_id in analysis["backward_order"]:
        node = view.nodes[node_id]
        if ("grad" in kinds and node_id != analysis["output"] and node["op"] != "const"
                and _finite(node["grad"])):
            out.append({"kind": "grad", "node": node_id, "shape": node["shape"],
                        "prompt": words["prompt_grad"].format(output=_wrap(view.output_label),
                                                              node=_wrap(view.spoken(node)))})
        if "local" in kinds:
            for edge in view.incoming[node_id]:
                if _finite(edge["local"]):
                    source = view.nodes[edge["source"]]
                    out.append({"kind": "local", "edge": edge["id"], "shape": source["shape"],
                                "prompt": words["prompt_local"].format(
                                    target=view.spoken(node), source=view.spoken(source))})
    return out


def _questions_of(exercise: Mapping[str, Any]) -> list[dict[str, Any]]:
    if not isinstance(exercise.get("expression"), str):
        raise bad_value("exercise.expression", "not_a_string", "must be the expression text")
    questions = exercise.get("questions")
    if not isinstance(questions, list) or not questions:
        raise bad_value("exercise.questions", "too_short", "must list the questions", min=1)
    if len(questions) > LIMITS.max_request_entries:
        raise limit_error("questions of an exercise", LIMITS.max_request_entries,
                          env_name("max_request_entries"), len(questions))
    seen: set[Any] = set()
    for q in questions:
        if not isinstance(q, Mapping) or not isinstance(q.get("id"), str):
            raise bad_value("exercise.questions", "missing_key", "every question needs an id",
                            key="id")
        # an exercise asks each thing once, under one id: a repeat would grade (and parse
        # the answer, and write the hint) again for nothing
        for key in (q["id"], (q.get("kind"), q.get("edge"), q.get("node"))):
            if key in seen:
                name = q["id"] if isinstance(key, str) else f"the {q.get('kind')} of {key[1] or key[2]}"
                raise bad_value("exercise.questions", "duplicate",
                                f"{name} is asked twice; send the exercise as it came",
                                names=[q["id"]])
            seen.add(key)
    return list(questions)


def _id_range(questions: list[dict[str, Any]]) -> str:
    ids = [q["id"] for q in questions]
    return ", ".join(ids) if len(ids) <= 6 else f"{ids[0]} ... {ids[-1]}"


def blanked(analysis: dict[str, Any], questions: list[dict[str, Any]]) -> dict[str, Any]:
    """The analysis with every asked number, and whatever would give it away, set to null."""
    graph = copy.deepcopy(analysis)
    graph.pop("check", None)
    view = GraphView(graph)
    for q in questions:
        if q["kind"] == "local":
            edge = view.edges[q["edge"]]
            edge["local"] = edge["grad"] = None  # grad = consumer's grad x local would tell it
        elif q["kind"] == "grad":
            node = view.nodes[q["node"]]
            node["grad"] = None
            for edge in view.outgoing[node["id"]]:
                edge["grad"] = None
            if node["op"] == "input":
                graph["gradients"][node["name"]] = None
        else:
            view.nodes[q["node"]]["value"] = None
            if q["node"] == graph["output"]:
                graph["value"] = None
    return graph


class GraphView:
    """An analysis indexed by node and edge id: the truth behind each question, and hints."""

    def __init__(self, analysis: dict[str, Any]) -> None:
        self.analysis = analysis
        self.nodes = {n["id"]: n for n in analysis["nodes"]}
        self.edges = {e["id"]: e for e in analysis["edges"]}
        self.incoming: dict[str, list[dict[str, Any]]] = {n: [] for n in self.nodes}
        self.outgoing: dict[str, list[dict[str, Any]]] = {n: [] for n in self.nodes}
        for edge in analysis["edges"]:
            self.incoming[edge["target"]].append(edge)
            self.outgoing[edge["source"]].append(edge)
        self.output_label = self.spoken(self.nodes[analysis["output"]])

    def spoken(self, node: dict[str, Any]) -> str:
        """How a question names a node: its name or label, except for a temporary the engine
        numbered (t1, t2: names the student never wrote), which is said as its formula."""
        if node.get("name") or "formula" not in node or node["formula"] == node["label"]:
            return str(node["label"])
        return self.expanded(node)

    def expanded(self, node: dict[str, Any]) -> str:
        """A node's formula with every numbered temporary among its arguments said in full."""
        text = str(node.get("formula", node["label"]))
        for edge in self.incoming[node["id"]]:
            source = self.nodes[edge["source"]]
            said = self.spoken(source)
            if said != source["label"]:
                # the replacement escaped, so that backslashes in a formula stay literal
                text = re.sub(rf"(?<![\w.]){re.escape(source['label'])}(?![\w.])",
                              _wrap(said).replace("\\", "\\\\"), text)
        return text

    def target_of(self, question: Mapping[str, Any]) -> dict[str, Any]:
        """The node or edge a question is about, or a ``bad_value`` naming the question."""
        kind, qid = question.get("kind"), question.get("id")
        table, key = (self.edges, "edge") if kind == "local" else (self.nodes, "node")
        if kind not in KINDS or question.get(key) not in table:
            raise bad_value(f"exercise.questions.{qid}", "invalid",
                            f"question {qid} asks about a {kind!r} of {question.get(key)!r}, "
                            f"which this graph does not have")
        return table[question[key]]

    def expected(self, question: Mapping[str, Any]) -> Any:
        item = self.target_of(question)
        expected = item[{"local": "local", "grad": "grad", "value": "value"}[question["kind"]]]
        if not _finite(expected):
            raise bad_value(f"exercise.questions.{question.get('id')}", "invalid",
                            f"question {question.get('id')} has no finite answer at these values")
        return expected

    def hint(self, question: Mapping[str, Any], words: dict[str, str]) -> str:
        kind = question["kind"]
        if kind == "local":
            edge = self.edges[question["edge"]]
            return words["hint_local"].format(target=self.spoken(self.nodes[edge["target"]]),
                                              source=self.spoken(self.nodes[edge["source"]]),
                                              formula=edge["local_formula"])
        node = self.nodes[question["node"]]
        if kind == "value":
            if node["op"] == "input":
                return words["hint_input"].format(node=self.spoken(node))
            return words["hint_value"].format(formula=self.expanded(node))
        return self._grad_hint(node, words)

    def _grad_hint(self, node: dict[str, Any], words: dict[str, str]) -> str:
        uses = self.outgoing[node["id"]]
        if len(uses) != 1:
            terms = " + ".join(f"{self._d(self.output_label, self.spoken(self.nodes[e['target']]))} · "
                               f"{self._d(self.spoken(self.nodes[e['target']]), self.spoken(node))}"
                               for e in uses)
            return words["hint_grad_sum"].format(node=self.spoken(node), count=len(uses),
                                                 terms=f"{self._d(self.output_label, self.spoken(node))}"
                                                       f" = {terms}")
        path = self._single_path(node)
        top = self.nodes[path[-1]["target"]]
        symbols = [self._d(self.spoken(self.nodes[e["target"]]), self.spoken(self.nodes[e["source"]]))
                   for e in reversed(path)]
        factors = [e["local_formula"] for e in reversed(path)]
        if top["id"] != self.analysis["output"]:
            symbols.insert(0, self._d(self.output_label, self.spoken(top)))
            factors.insert(0, self._d(self.output_label, self.spoken(top)))
        chain = f"{self._d(self.output_label, self.spoken(node))} = " + " · ".join(symbols)
        return words["hint_grad_chain"].format(chain=chain,
                                               factors=" · ".join(_wrap(f) for f in factors))

    def _single_path(self, node: dict[str, Any]) -> list[dict[str, Any]]:
        """The edges from ``node`` up while each node on the way has a single use."""
        path = [self.outgoing[node["id"]][0]]
        while True:
            above = path[-1]["target"]
            uses = self.outgoing[above]
            if above == self.analysis["output"] or len(uses) != 1:
                return path
            path.append(uses[0])

    @staticmethod
    def _d(top: str, bottom: str) -> str:
        return f"d {_wrap(top)}/d {_wrap(bottom)}"


def _wrap(label: str) -> str:
    """A label as a factor: parenthesized where an operator outside brackets would bind it."""
    depth = 0
    for i, char in enumerate(label):
        depth += (char in "([") - (char in ")]")
        if depth == 0 and (char == " " or (char in "+-" and i == 0)):
            return f"({label})"
    return label
