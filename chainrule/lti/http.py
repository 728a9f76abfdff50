"""Requests to a platform (its keys, its token endpoint, its score service), with a timeout."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from chainrule.config import LIMITS

#: A platform's answer is read up to this many bytes (a key set or a token is a few KB).
MAX_ANSWER_BYTES = 1_000_000


class PlatformError(Exception):
    """The platform could not be reached or answered with an error (``status`` 0: no answer)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def get_json(url: str) -> Any:
    return _json(_send(urllib.request.Request(url, headers={"Accept": "application/json"}))[1])


def post_form(url: str, fields: dict[str, str]) -> Any:
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
    return _json(_send(request)[1])


def post_json(url: str, body: Any, content_type: str, token: str) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": content_type, "Authorization": f"Bearer {token}"})
    return _send(request)[0]


def _send(request: urllib.request.Request) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(request, timeout=LIMITS.lti_http_timeout_seconds) as answer:
            return answer.status, answer.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as exc:
        raise PlatformError(exc.code, f"{request.full_url} answered HTTP {exc.code}") from exc
    except (OSError, ValueError) as exc:
        raise PlatformError(0, f"{request.full_url} did not answer: {exc}") from exc


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise PlatformError(0, "the platform's answer is not JSON") from exc
