"""Which of chainrule's languages a locale or an Accept-Language header asks for."""

from __future__ import annotations

import pytest

from chainrule.languages import language_of_locale


@pytest.mark.parametrize(("locale", "lang"), [
    ("vi", "vi"), ("vi-VN", "vi"), ("VI_vn", "vi"), ("vi,en;q=0.8", "vi"), (" vi-VN", "vi"),
    ("en-GB", "en"), ("fr-FR,vi;q=0.5", "en"), ("", "en"), (None, "en"), (3, "en"),
])
def test_a_locale_names_our_language_or_english(locale: object, lang: str) -> None:
    assert language_of_locale(locale) == lang
