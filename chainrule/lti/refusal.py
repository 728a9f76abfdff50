"""The one refusal of the LTI side: a login, launch or target chainrule will not accept."""

from __future__ import annotations


class Refused(Exception):
    """A login or launch chainrule will not accept: ``status`` (4xx), ``code`` and the reason."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
