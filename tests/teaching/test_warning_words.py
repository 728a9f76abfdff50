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
