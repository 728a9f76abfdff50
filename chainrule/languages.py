"""The languages chainrule speaks: the one source for schemas, messages, lessons and the page
(which is told through ``GET /api/meta``)."""

from __future__ import annotations

import typing
from typing import Final, Literal

from chainrule.errors import bad_value

#: A language code as requests carry it (``"lang": "vi"``).
Language = Literal["en", "vi"]
#: The same codes as a tuple, English (the default) first.
LANGUAGES: Final[tuple[str, ...]] = typing.get_args(Language)


def checked_language(lang: object) -> str:
    """``lang`` if chainrule speaks it, else the ``bad_value`` a request with it gets."""
    if lang not in LANGUAGES:
        raise bad_value("lang", "not_allowed", f"must be one of {', '.join(LANGUAGES)}, got {lang!r}",
                        allowed=list(LANGUAGES))
    return str(lang)


def language_of_locale(locale: object) -> str:
    """The language chainrule speaks for a locale or an Accept-Language header ("vi-VN",
    "vi,en;q=0.8"): the first of ours it starts with, else English."""
    text = locale.strip().lower() if isinstance(locale, str) else ""
    return next((lang for lang in LANGUAGES if text.startswith(lang)), LANGUAGES[0])
