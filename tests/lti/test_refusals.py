"""Refused launches: a bad signature, an unknown kid, a wrong aud, an expired token, a
replayed nonce, a state that does not match, and more. Each is a 4xx page that names the
reason, and nothing is stored (no launch, no user, the login's nonce still unused)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt as pyjwt  # PyJWT, as the platform signs: independent of the tool's JOSE library
import requests
from sqlalchemy import create_engine, text

from tests.lti.client import META, platform_form
from tests.lti.platform import INSTRUCTOR, Message, Platform, new_key
from tests.lti.servers import tool_and_platform


def counts(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                    for table in ("lti_launch", "lti_user", "lti_attempt", "lti_passback")} | {
                "used_logins": conn.execute(text("SELECT count(*) FROM lti_login WHERE used_at IS NOT NULL"))
                .scalar_one()}
    finally:
        engine.dispose()


def resigned(platform: Platform, id_token: str, change: Callable[[dict[str, Any]], None],
             key: str | None = None, kid: str | None = None) -> str:
    """The platform's id_token with its claims changed, signed again (by the platform's key
    unless ``key`` is given) under ``kid`` (by default the platform's)."""
    claims = pyjwt.decode(id_token, options={"verify_signature": False})
    change(claims)
    header_kid = kid if kid is not None else pyjwt.get_unverified_header(id_token)["kid"]
    return pyjwt.encode(claims, key or platform.private_pem, algorithm="RS256", headers={"kid": header_kid})


def expect_refused(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, (code, response.status_code, response.text[:600])
    assert response.headers["content-type"].startswith("text/html")
    assert f'<code id="lti-code">{code}</code>' in response.text, response.text[:800]
    assert "Nothing was recorded" in response.text


def test_every_refused_launch_says_why_and_stores_nothing(tmp_path: Path, database_url: str) -> None:
    with tool_and_platform(tmp_path, database_url) as (tool, platform):
        other_key, _ = new_key()

        def attempt(forge: Callable[[str], str] | None, status: int, code: str,
                    same_browser: bool = True, state: Callable[[str], str] = lambda s: s) -> None:
            browser, action, fields = platform_form(platform, Message(user="mallory"))
            token = forge(fields["id_token"]) if forge else fields["id_token"]
            poster = browser if same_browser else requests.Session()
            response = poster.post(action, data={"id_token": token, "state": state(fields["state"])}, timeout=30)
            expect_refused(response, status, code)

        def exp_past(claims: dict[str, Any]) -> None:
            claims.update(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)

        cases: list[tuple[Callable[[str], str] | None, int, str]] = [
            (lambda t: resigned(platform, t, lambda c: None, key=other_key), 401, "bad_signature"),
            (lambda t: resigned(platform, t, lambda c: None, kid="no-such-kid"), 401, "unknown_kid"),
            (lambda t: resigned(platform, t, lambda c: c.update(aud="another-tool", azp="another-tool")),
             401, "wrong_audience"),
            (lambda t: resigned(platform, t, exp_past), 401, "expired"),
            (lambda t: resigned(platform, t, lambda c: c.update(iss="https://elsewhere.example")),
             401, "wrong_issuer"),
            (lambda t: resigned(platform, t, lambda c: c.update(nonce="guessed")), 401, "wrong_nonce"),
            (lambda t: resigned(platform, t, lambda c: c.update(
                {"https://purl.imsglobal.org/spec/lti/claim/version": "1.1"})), 400, "wrong_version"),
            (lambda t: resigned(platform, t, lambda c: c.update(
                {"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "unregistered"})),
             403, "unknown_deployment"),
            (lambda t: resigned(platform, t, lambda c: c.update(
                {"https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiSubmissionReviewRequest"})),
             400, "wrong_message_type"),
            (lambda t: resigned(platform, t, lambda c: c.update(
                {"https://purl.imsglobal.org/spec/lti/claim/custom": {"exercise": "{not json"}})),
             400, "bad_custom"),
            (lambda t: resigned(platform, t, lambda c: c.update(
                {"https://purl.imsglobal.org/spec/lti/claim/custom": {"lesson": "no-such-lesson"}})),
             400, "bad_custom"),
            (lambda t: "not.a.jwt", 400, "malformed_token"),
            (lambda t: "e30" + resigned(platform, t, lambda c: None), 400, "malformed_token"),
            (lambda t: t[:-12] + ("A" * 12 if not t.endswith("A" * 12) else "B" * 12), 401, "bad_signature"),
        ]
        for forge, status, code in cases:
            attempt(forge, status, code)
        # The state must be the one this browser was given at login.
        attempt(None, 403, "state_mismatch", same_browser=False)
        attempt(None, 403, "state_mismatch", state=lambda s: s[::-1])
        assert counts(database_url) == {"lti_launch": 0, "lti_user": 0, "lti_attempt": 0, "lti_passback": 0,
                                        "used_logins": 0}

        # A replayed launch (the same id_token, nonce and state again) is refused, unless it is
        # the launched browser's own reload: that reopens the same launch, storing nothing new.
        browser, action, fields = platform_form(platform, Message(user="victim"))
        state_cookie = f"chainrule_lti_state_{fields['state']}"
        first = browser.post(action, data=fields, timeout=30)
        assert first.status_code == 200
        assert state_cookie not in browser.cookies  # the launch ends the login's cookie
        reload = browser.post(action, data=fields, timeout=30)
        assert reload.status_code == 200, reload.text[:500]
        assert META.search(reload.text)["token"] == META.search(first.text)["token"]  # type: ignore[index]
        thief = requests.Session()  # the same form from a browser without the launch's session:
        expect_refused(thief.post(action, data=fields, timeout=30), 403, "state_mismatch")
        thief.cookies.set(state_cookie, "1", path="/lti")  # ... and one that forged the login's cookie:
        expect_refused(thief.post(action, data=fields, timeout=30), 400, "nonce_used")
        other_login = platform_form(platform, Message(user="victim"), browser)[2]["state"]
        expect_refused(browser.post(action, data={**fields, "state": other_login}, timeout=30), 401,
                       "wrong_nonce")  # the session reopens only the launch of the login posted
        # ... and so is its id_token with a new login's state: the nonce is not that login's.
        browser2, action2, fields2 = platform_form(platform, Message(user="victim"))
        expect_refused(browser2.post(action2, data={"id_token": fields["id_token"], "state": fields2["state"]},
                                     timeout=30), 401, "wrong_nonce")
        assert counts(database_url)["lti_launch"] == 1

        # Form fields missing, an unknown platform at login: 4xx pages too, never a 500.
        expect_refused(requests.post(tool + "/lti/launch", data={"state": "x"}, timeout=30), 400,
                       "missing_parameter")
        login = requests.get(tool + "/lti/login", params={"iss": "https://unknown.example", "login_hint": "u",
                                                          "target_link_uri": tool + "/lti/launch"},
                             allow_redirects=False, timeout=30)
        expect_refused(login, 400, "unknown_platform")
        login = requests.get(tool + "/lti/login", params={"iss": platform.issuer, "login_hint": "u",
                                                          "target_link_uri": tool + "/lti/launch",
                                                          "client_id": "not-ours"},
                             allow_redirects=False, timeout=30)
        expect_refused(login, 400, "unknown_platform")


def test_the_login_redirect_follows_the_contract(tmp_path: Path, database_url: str) -> None:
    with tool_and_platform(tmp_path, database_url) as (tool, platform):
        answer = requests.post(tool + "/lti/login", data={
            "iss": platform.issuer, "login_hint": "u-1", "target_link_uri": tool + "/lti/launch",
            "lti_message_hint": "m-9", "client_id": "chainrule-client", "lti_deployment_id": "deployment-1"},
            allow_redirects=False, timeout=30)
        assert answer.status_code == 302
        location = urlsplit(answer.headers["location"])
        query = dict(parse_qsl(location.query))
        assert f"{location.scheme}://{location.netloc}{location.path}" == platform.base + "/authorize"
        assert {k: query[k] for k in ("scope", "response_type", "response_mode", "prompt", "client_id",
                                      "redirect_uri", "login_hint", "lti_message_hint")} == {
            "scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
            "client_id": "chainrule-client", "redirect_uri": tool + "/lti/launch", "login_hint": "u-1",
            "lti_message_hint": "m-9"}
        assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
        cookie = answer.headers["set-cookie"]
        assert f"chainrule_lti_state_{query['state']}=" in cookie and "HttpOnly" in cookie

        jwks = requests.get(tool + "/lti/jwks", timeout=30).json()
        [key] = jwks["keys"]
        assert key["alg"] == "RS256" and key["use"] == "sig" and key["kid"] and "d" not in key


def test_a_rotated_platform_key_is_fetched_by_kid(tmp_path: Path, database_url: str) -> None:
    env = {"CHAINRULE_LTI_JWKS_REFETCH_SECONDS": "1"}
    with tool_and_platform(tmp_path, database_url, extra_env=env) as (_tool, platform):
        browser, action, fields = platform_form(platform, Message(user="u1"))
        assert browser.post(action, data=fields, timeout=30).status_code == 200
        platform.rotate_key()
        time.sleep(1.2)  # past CHAINRULE_LTI_JWKS_REFETCH_SECONDS
        browser, action, fields = platform_form(platform, Message(user="u2"))
        assert pyjwt.get_unverified_header(fields["id_token"])["kid"] != platform.extra_public_keys[0]["kid"]
        assert browser.post(action, data=fields, timeout=30).status_code == 200


def test_without_registrations_every_lti_route_is_a_404(tmp_path: Path) -> None:
    from tests.deploy.processes import chainrule_server, request

    with chainrule_server(tmp_path, {"CHAINRULE_LTI_PLATFORMS": ""}) as tool:
        for path in ("/lti/jwks", "/lti/login", "/lti/api/roster"):
            status, _, body = request(tool, path)
            assert status == 404 and json.loads(body)["error"]["code"] == "not_found", (path, body)
        assert request(tool, "/lti/launch", {"id_token": "x"})[0] == 404


def test_bad_input_to_the_lti_pages_is_a_4xx_never_a_500(tmp_path: Path, database_url: str) -> None:
    from tests.lti.client import launch

    with tool_and_platform(tmp_path, database_url) as (tool, platform):
        picker = launch(platform, Message(user="teacher", kind="deeplink", roles=[INSTRUCTOR]))
        post = lambda **form: requests.post(tool + "/lti/deep-link", data=form, timeout=30)
        expect_refused(post(choice="example:worked"), 401, "launch_expired")
        expect_refused(post(launch="made-up", choice="example:worked"), 401, "launch_expired")
        for choice, values, expression in (("lesson:nope", "{}", ""), ("example:mlp", "{}", ""), ("", "{}", ""),
                                           ("exercise", "{not json", "y = x"), ("exercise", "[1]", "y = x"),
                                           ("exercise", "{}", "y = (("), ("exercise", '{"x": 1}', "y = 2")):
            answer = post(launch=picker.token, choice=choice, values=values, expression=expression)
            assert answer.status_code == 400, (choice, values, expression, answer.status_code, answer.text[:300])
            assert "lti-code" in answer.text
        # A learner's launch is not a deep-linking one.
        learner = launch(platform, Message(user="s", custom={"lesson": "gradient"}))
        expect_refused(post(launch=learner.token, choice="example:worked"), 401, "launch_expired")

        headers = {"Authorization": f"Bearer {learner.token}", "Content-Type": "application/json"}
        for body in ("{bad", "[]", '{"nope": {"seen": 1, "done": false}}', '{"gradient": {"seen": -1, "done": false}}',
                     '{"gradient": {"seen": true, "done": false}}', '{"gradient": 3}'):
            answer = requests.put(tool + "/lti/api/progress", data=body, headers=headers, timeout=30)
            assert answer.status_code == 400, (body, answer.status_code, answer.text[:300])
            assert answer.json()["error"]["code"] in ("bad_value", "invalid_json")
        saved = requests.put(tool + "/lti/api/progress", data='{"gradient": {"seen": 2, "done": false}}',
                             headers=headers, timeout=30)
        assert saved.status_code == 200 and saved.json() == {"gradient": {"seen": 2, "done": False}}
        # Never forgets a step seen or a task solved.
        again = requests.put(tool + "/lti/api/progress", data='{"gradient": {"seen": 1, "done": true}}',
                             headers=headers, timeout=30)
        assert again.json() == {"gradient": {"seen": 2, "done": True}}
        # ... until the student asks to forget it: then it is gone from the server.
        assert requests.delete(tool + "/lti/api/progress", timeout=30).status_code == 401
        forgot = requests.delete(tool + "/lti/api/progress", headers=headers, timeout=30)
        assert forgot.status_code == 200 and forgot.json() == {}
        assert requests.get(tool + "/lti/api/progress", headers=headers, timeout=30).json() == {}
        assert requests.get(tool + "/lti/api/progress", timeout=30).status_code == 401
        assert requests.get(tool + "/lti/api/roster", timeout=30).status_code == 401
        # A grading in a launch with a wrong answer shape is the usual 4xx, not a 500.
        item_launch = launch(platform, Message(user="s2", custom={"exercise": json.dumps(
            requests.post(tool + "/api/exercise", json={"expression": "y = w*x", "values": {"w": 3, "x": 2}},
                          timeout=30).json()["exercise"])}, lineitem=platform.lineitem()))
        exercise = item_launch.data["exercise"]
        bad = requests.post(tool + "/api/grade", json={"exercise": exercise, "answers": {"q1": [1, 2], "zz": 1}},
                            headers={"Authorization": f"Bearer {item_launch.token}"}, timeout=30)
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_value"
        assert platform.scores == []
