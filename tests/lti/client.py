"""A browser-like client of the LTI flow for the HTTP tests: it follows the platform's login
initiation to chainrule and back, submits the platform's auto-posted form, keeps cookies."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

import requests

from tests.lti.platform import Message, Platform

FIELD = re.compile(r'<input type="hidden" name="(?P<name>[^"]+)" value="(?P<value>[^"]*)"')
ACTION = re.compile(r'<form[^>]*action="(?P<action>[^"]+)"')
META = re.compile(r'<meta name="chainrule-launch" content="(?P<token>[^"]+)">')
DATA = re.compile(r'<script type="application/json" id="lti-data">(?P<data>.*?)</script>', re.S)


def form_of(page: str) -> tuple[str, dict[str, str]]:
    action = ACTION.search(page)
    assert action, page[:500]
    return html.unescape(action["action"]), {m["name"]: html.unescape(m["value"]) for m in FIELD.finditer(page)}


@dataclass
class Launched:
    browser: requests.Session
    response: requests.Response
    id_token: str
    state: str

    @property
    def token(self) -> str:
        found = META.search(self.response.text)
        assert found, self.response.text[:800]
        return found["token"]

    @property
    def data(self) -> dict[str, Any]:
        found = DATA.search(self.response.text)
        assert found, self.response.text[:800]
        return json.loads(found["data"])  # type: ignore[no-any-return]


def platform_form(platform: Platform, message: Message, browser: requests.Session | None = None
                  ) -> tuple[requests.Session, str, dict[str, str]]:
    """Login initiation through to the platform's auto-posted launch form (not yet posted)."""
    if browser is None:
        browser = requests.Session()
        # A new connection per request: a kept-alive one the server has meanwhile closed
        # would fail a POST (which is never retried) on a loaded machine.
        browser.headers["Connection"] = "close"
    page = browser.get(platform.start_url(message), timeout=30)
    assert page.status_code == 200, (page.status_code, page.text[:500])
    action, fields = form_of(page.text)
    return browser, action, fields


def launch(platform: Platform, message: Message) -> Launched:
    browser, action, fields = platform_form(platform, message)
    response = browser.post(action, data=fields, timeout=30)
    return Launched(browser, response, fields["id_token"], fields["state"])


def grade(tool: str, token: str | None, exercise: dict[str, Any], answers: dict[str, Any]) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(tool + "/api/grade", json={"exercise": exercise, "answers": answers},
                         headers=headers, timeout=30)
