"""The one exception family of chainrule: every rejected input becomes a ChainruleError.

The HTTP layer turns it into a 4xx with the contract's error object; the Python API raises it.
"""

from __future__ import annotations

from typing import Any

#: HTTP status for codes that are not a plain 400 Bad Request.
STATUS_BY_CODE = {"rate_limited": 429}


class ChainruleError(Exception):
    """A rejected input: carries the contract's error object (code, message, line?, col?)."""

    def __init__(
        self,
        code: str,
        message: str,
        line: int | None = None,
        col: int | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.col = col
        self.status = status or STATUS_BY_CODE.get(code, 400)

    def to_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.line is not None:
            error["line"] = self.line
            error["col"] = self.col
        return {"error": error}

    def __repr__(self) -> str:
        where = f" at {self.line}:{self.col}" if self.line is not None else ""
        return f"ChainruleError({self.code}{where}: {self.message})"


def limit_error(
    what: str, limit: int | float, env: str, got: int | float | None = None
) -> ChainruleError:
    """A limit_exceeded error that names the limit, its value and how to change it."""
    seen = f" (got {got})" if got is not None else ""
    return ChainruleError(
        "limit_exceeded", f"{what} exceeds the limit of {limit}{seen}; set {env} to change it"
    )
