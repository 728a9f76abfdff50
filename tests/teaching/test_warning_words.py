"""Every warning the API can send and every note under an optimizer's formula has Vietnamese
words in the front end's strings (warn.<code>, train.note.<code>), with the same parameters
as the English template, so the vi page never shows the server's English."""

from __future__ import annotations

import re
import string

import pytest

from chainrule.engine.notices import TEMPLATES, Notice, warning_details
from chainrule.training.optimizers import FORMULA_NOTES
from tests.teaching.vi_text import strings_modules


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(TEMPLATES))
def test_every_warning_has_vietnamese_words_with_its_params(code: str) -> None:
    vi = strings_modules()["vi"].get(f"warn.{code}")
    assert vi, f"no Vietnamese for the warning {code}"
    assert set(re.findall(r"\{(\w+)\}", vi)) == fields(TEMPLATES[code])


@pytest.mark.parametrize("code", sorted(FORMULA_NOTES))
def test_every_formula_note_has_vietnamese_words(code: str) -> None:
    assert strings_modules()["vi"].get(f"train.note.{code}")


def test_a_notice_is_its_english_text_and_carries_its_code() -> None:
    w = Notice("unused_values", names=["Y", "q"])
    assert w == "values given for names the expression does not use: 'Y', 'q'"
    assert warning_details([w, "plain"]) == [
        {"code": "unused_values", "params": {"names": ["Y", "q"]}, "message": str(w)},
        {"code": "other", "params": {}, "message": "plain"}]
    assert {w: None, Notice("unused_values", names=["Y", "q"]): None} == {w: None}  # one set entry


#: Mistakes a student types in the main box, each refused with a reason the page can say.
BAD = [
    ("y = sum(a, axis=3)", {"a": [1, 2]}, "shape_mismatch", "axis"),
    ("y = a @ b", {"a": 2, "b": [1, 2]}, "shape_mismatch", "matmul_scalar"),
    ("y = a @ b", {"a": [[1, 2, 3]], "b": [[1, 2, 3]]}, "shape_mismatch", "matmul_inner"),
    ("y = a + b", {"a": [[1, 2], [3, 4]], "b": [1, 2, 3]}, "shape_mismatch", "broadcast"),
    ("y = mse(a, b)", {"a": [1, 2, 3], "b": [1, 2]}, "shape_mismatch", "broadcast"),
    ("y = a[5]", {"a": [1, 2]}, "shape_mismatch", "index_range"),
    ("y = a[0]", {"a": 3}, "shape_mismatch", "index_scalar"),
    ("y = a[0, 1]", {"a": [1, 2]}, "shape_mismatch", "index_count"),
    ("y = reshape(a, (3, 3))", {"a": [1, 2]}, "shape_mismatch", "reshape"),
    ("y = relu(x, 2)", {"x": 1}, "syntax_error", "arity"),
    ("y = max(x, z)", {"x": 1, "z": 2}, "syntax_error", "arity_pairwise"),
    ("y = sum(x, axes=0)", {"x": [1]}, "syntax_error", "no_keyword"),
    ("y = sum(x, axis=0, axis=0)", {"x": [1]}, "syntax_error", "keyword_twice"),
    ("y = sum(x, axis=0, 1)", {"x": [1]}, "syntax_error", "keyword_order"),
    ("y = sum(x y)", {"x": [1], "y": 1}, "syntax_error", "call_separator"),
    ("y = concat(a, axis=0)", {"a": [1]}, "syntax_error", "tuple_first"),
    ("y = x.shape", {"x": [1]}, "syntax_error", "attribute"),
    ("y = (x)(2)", {"x": 1}, "syntax_error", "not_callable"),
    ("y = x[i]", {"x": [1], "i": 0}, "syntax_error", "index_form"),
    ("y = sum(x, axis=a)", {"x": [1]}, "syntax_error", "integer"),
    ("lambda = 2", {}, "syntax_error", "keyword"),
    ("__y = 2", {}, "syntax_error", "dunder"),
]


@pytest.mark.parametrize(("expression", "values", "code", "reason"), BAD, ids=[b[3] for b in BAD])
def test_a_typed_mistake_has_a_reason_and_words_in_both_languages(client, expression: str, values: dict,  # type: ignore[no-untyped-def]
                                                                  code: str, reason: str) -> None:
    r = client.post("/api/graph", json={"expression": expression, "values": values})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert (error["code"], error["params"]["reason"]) == (code, reason), error
    for lang in ("en", "vi"):
        words = strings_modules()[lang].get(f"err.{code}.{reason}")
        assert words, f"no {lang} words for {code}.{reason}"
        assert set(re.findall(r"\{(\w+)\}", words)) <= set(error["params"]) | SHAPE_PARAMS, words


#: What errors.js derives from a shape error's `shapes` (left, right, k, m) beside its params.
SHAPE_PARAMS = {"left", "right", "k", "m", "shapes", "field"}


def test_an_expression_with_nothing_to_ask_says_so_in_both_languages(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/exercise", json={"expression": "y = x", "values": {"x": 1}, "lang": "vi"})
    assert r.status_code == 400 or r.status_code == 422, r.text
    assert r.json()["error"]["params"]["reason"] == "nothing_to_ask"
    assert all(strings_modules()[lang].get("err.bad_value.nothing_to_ask") for lang in ("en", "vi"))
