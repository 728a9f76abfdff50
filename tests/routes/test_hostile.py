"""Hostile input over HTTP: every request gets a fast 4xx with the contract's error object,
never a 500, and the server keeps answering.

Each limit of ``chainrule.config.LIMITS`` that the engine enforces is triggered here by name.
"""

from __future__ import annotations

import dataclasses
import json
import time
import tracemalloc
from typing import Any

import pytest
from fastapi.testclient import TestClient

import chainrule.config
import chainrule.engine.analysis
import chainrule.engine.autodiff
import chainrule.engine.check
import chainrule.engine.graph
import chainrule.engine.parser
import chainrule.engine.values
from chainrule.engine import ENGINE_KIND
from chainrule.main import create_app

EXPRESSION_ERRORS = {"syntax_error", "unknown_function"}


def post(client: TestClient, body: Any, **kw: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    if isinstance(body, bytes | str):
        r = client.post("/api/graph", content=body, headers={"content-type": "application/json"}, **kw)
    else:
        r = client.post("/api/graph", json=body, **kw)
    return r, time.perf_counter() - t0


def assert_rejected(client: TestClient, body: Any, code: str | set[str] | None = None,
                    status: int | None = None, position: bool = False) -> dict[str, Any]:
    r, elapsed = post(client, body)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:500])
    if status is not None:
        assert r.status_code == status, r.text[:500]
    error = r.json()["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str), error
    assert "Traceback" not in r.text
    if code is not None:
        codes = {code} if isinstance(code, str) else code
        assert error["code"] in codes, error
    if position:
        assert isinstance(error.get("line"), int) and isinstance(error.get("col"), int), error
    assert elapsed < 1.0, f"took {elapsed:.2f} s"
    health = client.get("/api/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    return error


# --------------------------------------------------------------------------- expressions


@pytest.mark.parametrize("expression", [
    "x.__class__", "().__class__", "x.__class__.__bases__", "(x).T.__dict__",
    "lambda: x", "lambda x: x", "[x for x in y]", "{x for x in y}", "(x for x in y)",
    "import os", "from os import system", "open('f')", "exec('1')", "eval('1')",
    "__import__('os')", "getattr(x, 'y')", "x[__import__('os')]", "x['a']", "x[y]", "x[0.5]", "f'{x}'", "b'x'", "'x'",
    "x if y else z", "x and y", "not x", "x == y", "x := 1", "del x", "global x",
    "def f(): pass", "class A: pass", "x += 1", "yield x", "await x", "x; import os",
    "`ls`", "x @= y", "__builtins__", "print(x)", "sum(x, axis=__import__)",
])
def test_code_injection_is_a_syntax_error(client: TestClient, expression: str) -> None:
    assert_rejected(client, {"expression": expression, "values": {"x": 1, "y": 1, "z": 1}},
                    EXPRESSION_ERRORS, position=True)


def test_deep_parentheses(client: TestClient) -> None:
    expression = "(" * 10_000 + "x" + ")" * 10_000
    error = assert_rejected(client, {"expression": expression, "values": {"x": 1}},
                            "limit_exceeded", position=True)
    assert "CHAINRULE_MAX_DEPTH" in error["message"]


@pytest.mark.parametrize("extra", [-50, -1, 0, 1])
@pytest.mark.parametrize("shape", ["({})", "exp({})", "-{}", "x**{}", "sum({})", "maximum({}, x)"])
def test_nesting_up_to_the_depth_limit_never_crashes(client: TestClient, shape: str,
                                                     extra: int) -> None:
    """Nesting allowed by max_depth must be handled: an answer, never a RecursionError/500."""
    depth = chainrule.config.LIMITS.max_depth + extra
    expression = "x"
    for _ in range(depth):
        expression = shape.format(expression)
    r, elapsed = post(client, {"expression": expression, "values": {"x": 0.5}})
    assert r.status_code == (200 if extra <= 0 else 400), (r.status_code, r.text[:300])
    assert elapsed < 1.0


@pytest.mark.parametrize("shape", ["({})", "exp({})", "-{}", "x**{}", "sum({}, axis=None)",
                                   "maximum({}, x)", "x*({})"])
def test_nesting_at_the_depth_ceiling_is_answered_in_a_server_thread(
        client: TestClient, set_limit: Any, shape: str) -> None:
    """The highest CHAINRULE_MAX_DEPTH allowed, in the threads that serve requests: the
    compiled parser recurses on the C stack, where too deep a nesting would be a segfault."""
    ceiling = chainrule.config.MAX_DEPTH_CEILING
    set_limit(max_depth=ceiling)
    expression = "x"
    for _ in range(ceiling):
        expression = shape.format(expression)
    r, _ = post(client, {"expression": expression, "values": {"x": 0.5}})
    if ENGINE_KIND == "compiled":
        assert r.status_code == 200, r.text[:300]
    else:  # pure Python meets its own recursion limit first: a clean 400
        assert r.status_code == 200 or r.json()["error"]["code"] == "limit_exceeded", r.text[:300]


@pytest.mark.parametrize("expression", ["-" * 10_000 + "x", "x" + "**x" * 10_000,
                                        "sum(" * 5_000 + "x" + ")" * 5_000])
def test_deep_unary_power_and_calls(client: TestClient, expression: str) -> None:
    assert_rejected(client, {"expression": expression, "values": {"x": 1}}, "limit_exceeded",
                    position=True)


def test_huge_exponent_tower_is_fast_and_well_formed(client: TestClient) -> None:
    """Floats overflow to Infinity (with warnings) instead of building a huge integer."""
    r, elapsed = post(client, {"expression": "2**2**2**2**2**10", "values": {}})
    assert elapsed < 1.0
    assert r.status_code in (200, 400), r.text
    body = json.loads(r.text, parse_constant=_no_bare_constants)
    if r.status_code == 200:
        assert body["value"] == "Infinity" and body["warnings"]
    else:
        assert body["error"]["code"] == "limit_exceeded"


def test_huge_literal_exponent_hits_max_exponent(client: TestClient) -> None:
    """LIMITS.max_exponent bounds |numeric literal| in ** exponents (config.py documents it)."""
    error = assert_rejected(client, {"expression": "x**1e308", "values": {"x": 2}},
                            "limit_exceeded", position=True)
    assert "CHAINRULE_MAX_EXPONENT" in error["message"]


def test_one_megabyte_expression(client: TestClient) -> None:
    expression = "x + " * 262_144 + "x"  # > 1,000,000 characters
    assert len(expression) > 1_000_000
    error = assert_rejected(client, {"expression": expression, "values": {"x": 1}}, "limit_exceeded")
    assert "CHAINRULE_MAX_EXPRESSION_CHARS" in error["message"]


def test_one_megabyte_of_garbage(client: TestClient) -> None:
    assert_rejected(client, {"expression": "$" * 1_000_000, "values": {}}, "syntax_error",
                    position=True)


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(("values", "code"), [
    ({"x": {"init": "zeros", "shape": [100_000, 100_000]}}, "limit_exceeded"),
    ({"x": {"init": "normal", "shape": [10**9]}}, "limit_exceeded"),
    ({"x": {"init": "ones", "shape": [2**31, 2**31, 2**31]}}, "limit_exceeded"),
    ({"x": {"init": "ones", "shape": [0, 3]}}, "bad_value"),
    ({"x": {"init": "ones", "shape": [-1]}}, {"bad_value", "invalid_request"}),
    ({"x": {"init": "magic", "shape": [2]}}, {"bad_value", "invalid_request"}),
    ({"x": {"init": "normal", "shape": [2], "scale": -1}}, {"bad_value", "invalid_request"}),
    ({"x": {"init": "normal", "shape": [2], "seed": -1}}, {"bad_value", "invalid_request"}),
    ({"x": {"init": "normal", "shape": [2], "evil": 1}}, {"bad_value", "invalid_request"}),
    ({"x": [[1, 2], [3]]}, {"bad_value", "invalid_request"}),
    ({"x": [[1, 2], 3]}, {"bad_value", "invalid_request"}),
    ({"x": "abc"}, {"bad_value", "invalid_request"}),
    ({"x": ["a", "b"]}, {"bad_value", "invalid_request"}),
    ({"x": True}, {"bad_value", "invalid_request"}),
    ({"x": [True, False]}, {"bad_value", "invalid_request"}),
    ({"x": None}, {"bad_value", "invalid_request"}),
    ({"x": {}}, {"bad_value", "invalid_request"}),
    ({"x": []}, {"bad_value", "invalid_request"}),
    ({"x": [[]]}, {"bad_value", "invalid_request"}),
    ({"x": "nan"}, {"bad_value", "invalid_request"}),
])
def test_bad_values(client: TestClient, values: dict[str, Any], code: str | set[str]) -> None:
    assert_rejected(client, {"expression": "sum(x)", "values": values}, code)


def test_nan_and_infinity_strings_are_values(client: TestClient) -> None:
    r, _ = post(client, {"expression": "a + b + c", "values": {"a": "NaN", "b": "Infinity",
                                                             "c": "-Infinity"}})
    assert r.status_code == 200
    body = json.loads(r.text, parse_constant=_no_bare_constants)
    assert body["value"] == "NaN" and body["warnings"]


def test_broadcast_of_a_trillion_elements(client: TestClient) -> None:
    values = {"x": {"init": "ones", "shape": [1_000_000, 1]}, "y": {"init": "ones", "shape": [1, 1_000_000]}}
    for expression in ("x + y", "x * y", "sum(x * y)", "maximum(x, y)"):
        error = assert_rejected(client, {"expression": expression, "values": values}, "limit_exceeded")
        assert "CHAINRULE_MAX_TENSOR_ELEMENTS" in error["message"]


@pytest.mark.parametrize("expression", ["x @ y", "mse(x, y)", "cross_entropy(z, t)"])
def test_non_elementwise_ops_check_sizes_before_allocating(expression: str) -> None:
    """matmul/mse/cross_entropy must refuse an oversized intermediate before building it.

    (4000 x 4000 = 16M elements, 16x the per-tensor limit: 128 MB allocated means the check
    came after the work; at 30,000 x 30,000 that is 7 GB and seconds of CPU per request.)
    """
    from chainrule import ChainruleError, analyze

    values = {"x": {"init": "ones", "shape": [4000, 1]}, "y": {"init": "ones", "shape": [1, 4000]},
              "z": {"init": "ones", "shape": [1, 4000]}, "t": [0]}
    used = {k: v for k, v in values.items() if k in expression}
    tracemalloc.start()
    try:
        analyze(expression, used)
        outcome = "accepted"
    except ChainruleError as exc:
        outcome = exc.code
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 40e6, f"{expression}: peak {peak / 1e6:.0f} MB before answering {outcome}"


def test_missing_values_lists_every_missing_name(client: TestClient) -> None:
    error = assert_rejected(client, {"expression": "y = a*b + c*d", "values": {"b": 1}},
                            "missing_value")
    for name in ("a", "c", "d"):
        assert f"'{name}'" in error["message"]
    assert "'b'" not in error["message"]


@pytest.mark.parametrize(("body", "code"), [
    ({"expression": "y = foo(x)", "values": {"x": 1}}, "unknown_function"),
    ({"expression": "y = x", "values": {"x": 1}, "output": "zz"}, "unknown_name"),
    ({"expression": "y = x + 1", "values": {}}, "missing_value"),
])
def test_unknown_names_and_functions(client: TestClient, body: dict[str, Any], code: str) -> None:
    assert_rejected(client, body, code)


# --------------------------------------------------------------------------- the request itself


@pytest.mark.parametrize("body", [
    b"{", b"not json", b"", b"[]", b"null", b'{"expression": "x", "values": {"x": NaN}}',
    b'{"expression": 1}', b'{"expression": ["x"]}', b'{"values": {}}',
    b'{"expression": "x", "values": []}', b'{"expression": "x", "values": {"x": 1}, "detail": "all"}',
    b'{"expression": "x", "values": {"x": 1}, "check": "maybe"}',
    b'{"expression": "x", "values": {"x": 1}, "extra": 1}',
    b'{"expression": "x", "values": {"x": 1}, "output": 3}',
    '{"expression": "x\u0000", "values": {"x": 1}}'.encode(),
    b'\xff\xfe\x00garbage',
])
def test_malformed_requests(client: TestClient, body: bytes) -> None:
    assert_rejected(client, body)


def test_over_size_body_is_413(client: TestClient) -> None:
    limit = chainrule.config.LIMITS.max_body_bytes
    body = json.dumps({"expression": "x", "values": {"x": [0.0] * (limit // 4)}}).encode()
    assert len(body) > limit
    error = assert_rejected(client, body, "limit_exceeded", status=413)
    assert "CHAINRULE_MAX_BODY_BYTES" in error["message"]


def test_over_size_body_with_a_small_limit_and_no_content_length(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("chainrule.main.LIMITS", dataclasses.replace(chainrule.config.LIMITS, max_body_bytes=1000))
    small = TestClient(create_app(), raise_server_exceptions=False)
    ok, _ = post(small, {"expression": "x", "values": {"x": 1}})
    assert ok.status_code == 200

    def chunks() -> Any:
        for _ in range(10):
            yield b" " * 200

    r = small.post("/api/graph", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json()["error"]["code"] == "limit_exceeded"


# --------------------------------------------------------------------------- every engine limit


@pytest.mark.parametrize(("limit", "small", "body"), [
    ("max_expression_chars", 50, {"expression": "x + " * 20 + "x", "values": {"x": 1}}),
    ("max_nodes", 30, {"expression": "x" + " + x" * 40, "values": {"x": 1}}),
    ("max_depth", 5, {"expression": "((((((((x))))))))", "values": {"x": 1}}),
    ("max_tensor_elements", 10, {"expression": "sum(x)", "values": {"x": [1] * 11}}),
    ("max_tensor_elements", 10, {"expression": "sum(x)",
                                 "values": {"x": {"init": "ones", "shape": [4, 3]}}}),
    ("max_tensor_elements", 10, {"expression": "sum(x * y)",
                                 "values": {"x": [[1], [2], [3], [4]], "y": [1, 2, 3]}}),
    ("max_tensor_elements", 10, {"expression": "sum(x @ y)",
                                 "values": {"x": [[1], [2], [3], [4]], "y": [[1, 2, 3]]}}),
    ("max_total_elements", 25, {"expression": "sum(x * 2 + x * 3 + x)",
                                "values": {"x": [1, 2, 3, 4, 5, 6, 7, 8]}}),
    ("max_exponent", 10, {"expression": "x ** 11", "values": {"x": 1.5}}),
    ("max_response_numbers", 20, {"expression": "sum(x * 2)", "values": {"x": [1, 2, 3, 4, 5, 6]}}),
])
def test_each_limit_triggers_limit_exceeded_naming_it(client: TestClient, set_limit: Any, limit: str,
                                                      small: int, body: dict[str, Any]) -> None:
    r, _ = post(client, body)
    assert r.status_code == 200, f"the body must be accepted under the default limits: {r.text}"
    set_limit(**{limit: small})
    error = assert_rejected(client, body, "limit_exceeded")
    assert chainrule.config.env_name(limit) in error["message"], error
    assert str(small) in error["message"], error


def test_limits_are_configurable_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINRULE_MAX_NODES", "123")
    monkeypatch.setenv("CHAINRULE_MAX_EXPONENT", "2.5")
    limits = chainrule.config.Limits.from_env()
    assert limits.max_nodes == 123 and isinstance(limits.max_nodes, int)
    assert limits.max_exponent == 2.5
    monkeypatch.setenv("CHAINRULE_MAX_DEPTH", "lots")
    with pytest.raises(RuntimeError, match="CHAINRULE_MAX_DEPTH"):
        chainrule.config.Limits.from_env()


def test_the_depth_limit_has_a_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    ceiling = chainrule.config.MAX_DEPTH_CEILING
    monkeypatch.setenv("CHAINRULE_MAX_DEPTH", str(ceiling))
    assert chainrule.config.Limits.from_env().max_depth == ceiling
    monkeypatch.setenv("CHAINRULE_MAX_DEPTH", str(ceiling + 1))
    with pytest.raises(RuntimeError, match=f"CHAINRULE_MAX_DEPTH may not exceed {ceiling}"):
        chainrule.config.Limits.from_env()


def test_every_limit_has_an_environment_variable() -> None:
    for field in dataclasses.fields(chainrule.config.Limits):
        assert chainrule.config.env_name(field.name) == "CHAINRULE_" + field.name.upper()


def _no_bare_constants(name: str) -> Any:
    raise AssertionError(f"bare {name} in a JSON response")
