"""Errors in the student's terms (issue 12 §3, server side; issue 11 §9): a code plus
``params`` for every rejected value, "Did you mean …?", never pydantic's own wording, and
chainrule accepting its own output (non-finite strings inside tensors)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from chainrule import analyze
from chainrule.errors import REASONS, ChainruleError

PYDANTIC_WORDS = ("Input should", "validation error", "float_type", "Field required",
                  "Extra inputs", ".float", ".int", "list[", "literal[", "surrogates")


def error_of(client: TestClient, body: Any, url: str = "/api/graph") -> dict[str, Any]:
    if isinstance(body, bytes):
        r = client.post(url, content=body, headers={"content-type": "application/json"})
    else:
        r = client.post(url, json=body)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    error = r.json()["error"]
    assert not any(w in error["message"] for w in PYDANTIC_WORDS), error
    return error


def test_unknown_initializer_key_names_the_known_ones(client: TestClient) -> None:
    error = error_of(client, {"expression": "y = sum(W1)",
                              "values": {"W1": {"init": "normal", "shape": [2], "std": 1}}})
    assert error["code"] == "bad_value"
    params = error["params"]
    assert params["field"] == "values.W1" and params["reason"] == "unknown_key"
    assert params["key"] == "std" and params["known"] == ["init", "shape", "scale", "seed"]
    assert "unknown key 'std'" in error["message"]


@pytest.mark.parametrize(("value", "reason"), [
    (True, "boolean"), ([True, 1], "boolean"), ([[1, 2], [True, 3]], "boolean"),
    ("abc", "string"), (["a", 1], "non_numeric"), ([[1, 2], [3]], "ragged"),
    ([], "empty"), (2**60, "too_large_integer"), ([1, 2**60], "too_large_integer"),
    ({"init": "magic"}, "not_allowed"), ({"init": "normal", "scale": "big"}, "not_a_number"),
    ({"init": "normal", "scale": -1}, "out_of_range"), ({"init": "ones", "shape": [0]},
                                                        "bad_dimension"),
    ({"shape": [2]}, "missing_key"), (None, "unsupported_type"),
])
def test_every_bad_value_has_a_reason(client: TestClient, value: Any, reason: str) -> None:
    error = error_of(client, {"expression": "y = sum(v)", "values": {"v": value}})
    assert error["code"] == "bad_value", error
    assert error["params"]["reason"] == reason, error
    assert reason in REASONS
    assert error["params"]["field"].startswith("values.v")


def test_nesting_beyond_a_tensor_says_so(client: TestClient) -> None:
    deep: Any = 1.0
    for _ in range(70):
        deep = [deep]
    error = error_of(client, {"expression": "y = sum(v)", "values": {"v": deep}})
    assert error["params"]["reason"] == "too_deep" and "nested" in error["message"]


def test_invalid_utf8_is_an_encoding_error(client: TestClient) -> None:
    error = error_of(client, b'{"expression": "x\xff", "values": {}}')
    assert error["code"] == "invalid_json" and error["params"]["reason"] == "encoding"
    assert "UTF-8" in error["message"]


@pytest.mark.parametrize(("body", "url", "field", "reason"), [
    ({"expression": 3}, "/api/graph", "expression", "not_a_string"),
    ({"expression": "x", "detail": "all"}, "/api/graph", "detail", "not_allowed"),
    ({"expression": "x", "detial": "full"}, "/api/graph", "request", "unknown_key"),
    ({"expression": "loss = w", "values": {"w": 1}, "params": ["w"],
      "optimizer": {"name": "sgd", "momentun": 0.9}}, "/api/train", "optimizer", "unknown_key"),
    ({"expression": "loss = w", "values": {"w": 1}, "params": ["w"],
      "optimizer": {"name": "sgd", "lr": "fast"}}, "/api/train", "optimizer.lr", "not_a_number"),
    ({"expression": "loss = w", "values": {"w": 1}, "params": ["w"],
      "dataset": {"name": "moons", "seed": 1e30}}, "/api/train", "dataset.seed",
     "too_large_integer"),
    ({"expression": "loss = w", "values": {"w": 1}, "params": []}, "/api/train", "params",
     "too_short"),
])
def test_schema_violations_name_the_field(client: TestClient, body: dict[str, Any], url: str,
                                          field: str, reason: str) -> None:
    error = error_of(client, body, url)
    assert error["code"] == "invalid_request", error
    assert error["params"]["field"] == field and error["params"]["reason"] == reason, error


def test_unknown_key_suggests_the_close_one(client: TestClient) -> None:
    error = error_of(client, {"expression": "x", "detial": "full"})
    assert error["params"]["suggestions"] == ["detail"]
    assert "did you mean 'detail'?" in error["message"]


def test_did_you_mean_for_functions_names_and_values(client: TestClient) -> None:
    error = error_of(client, {"expression": "y = sigmod(x)", "values": {"x": 1}})
    assert error["code"] == "unknown_function"
    assert error["params"]["name"] == "sigmod" and error["params"]["suggestions"][0] == "sigmoid"
    assert "did you mean 'sigmoid'?" in error["message"] and error["line"] == 1
    assert "sigmoid" in error["params"]["known"]

    error = error_of(client, {"expression": "y = x*2", "values": {"x": 1}, "output": "Y"})
    assert error["code"] == "unknown_name" and error["params"]["suggestions"] == ["y"]

    error = error_of(client, {"expression": "y = w1*x", "values": {"wl": 1, "x": 2}})
    assert error["code"] == "missing_value" and error["params"]["names"] == ["w1"]
    assert error["params"]["suggestions"] == {"w1": "wl"}
    assert "did you mean 'wl'?" in error["message"]


def test_no_suggestion_when_nothing_is_close(client: TestClient) -> None:
    error = error_of(client, {"expression": "y = qzxwvj(x)", "values": {"x": 1}})
    assert error["params"]["suggestions"] == [] and "did you mean" not in error["message"]


def test_non_finite_entries_inside_tensors_round_trip(client: TestClient) -> None:
    first = client.post("/api/graph", json={"expression": "y = log(x)", "values": {"x": [0, 1, -1]}})
    assert first.status_code == 200
    produced = first.json()["nodes"][-1]["value"]
    assert produced[0] == "-Infinity" and produced[2] == "NaN"
    again = client.post("/api/graph", json={"expression": "z = y * 2", "values": {"y": produced}})
    assert again.status_code == 200, again.text
    assert again.json()["value"] == ["-Infinity", 0.0, "NaN"]
    assert json.loads(again.text)  # still strict JSON


def test_python_api_rejects_values_that_are_not_a_mapping() -> None:
    with pytest.raises(ChainruleError) as caught:
        analyze("y = x", [1])  # type: ignore[arg-type]
    assert caught.value.code == "bad_value"
    assert caught.value.params == {"field": "values", "reason": "not_an_object"}


TRAIN = {"expression": "loss = mean((w*x - y)**2)", "values": {"w": 1}, "params": ["w"],
         "data": {"x": [1, 2], "y": [1, 2]}}


@pytest.mark.parametrize(("change", "field", "reason", "extra"), [
    ({"params": ["W"]}, "params", "unknown_name", {"names": ["W"], "suggestions": {"W": "w"}}),
    ({"params": ["w", "w"]}, "params", "duplicate", {"names": ["w"]}),
    ({"optimizer": {"name": "sgd", "lr": -1}}, "optimizer.lr", "out_of_range", {"min": 0.0}),
    ({"optimizer": {"name": "adam", "betas": [0.9, 1.5]}}, "optimizer.betas", "out_of_range", {"index": 1}),
    ({"data": {"x": [1, 2], "y": [1]}}, "data", "length_mismatch", {"lengths": {"x": 2, "y": 1}}),
    ({"data": {"x": ["a", 2], "y": [1, 2]}}, "data.x", "non_numeric", {}),
    ({"data": {"x": [1, 2], "y": [1, 2], "w": [1, 1]}}, "data.w", "conflict", {"other": "param"}),
])
def test_training_errors_carry_their_parameters(client: TestClient, change: dict[str, Any], field: str,
                                                reason: str, extra: dict[str, Any]) -> None:
    error = error_of(client, {**TRAIN, **change}, "/api/train")
    assert error["code"] == "bad_value", error
    params = error["params"]
    assert params["field"] == field and params["reason"] == reason, error
    assert reason in REASONS
    assert {k: params[k] for k in extra} == extra, error
