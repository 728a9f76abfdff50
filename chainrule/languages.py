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
