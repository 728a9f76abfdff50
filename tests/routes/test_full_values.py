"""``"full": ["n7"]`` on POST /api/graph, against a real server: the nodes it names come back
complete while everything else stays as ``detail`` says; the response bound still applies;
an id naming no node is a 4xx about the ``full`` field."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest

from tests.deploy.processes import chainrule_server, request

X = np.linspace(-2, 2, 20_000).reshape(200, 100)
BIG = {"expression": "y = tanh(x)\nloss = sum(y * y)", "values": {"x": X.tolist()}, "detail": "auto"}
LIMIT = 50_000  # CHAINRULE_MAX_RESPONSE_NUMBERS of the server below: one 20,000-element node in
# full (value and gradient: 40,000 numbers) fits, two do not


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chainrule_server(tmp_path_factory.mktemp("full"), {"CHAINRULE_MAX_RESPONSE_NUMBERS": str(LIMIT)}) as url:
        yield url


def graph(base: str, body: dict) -> tuple[int, dict]:
    status, _, raw = request(base, "/api/graph", body)
    return status, json.loads(raw)


def node(analysis: dict, label: str) -> dict:
    return next(n for n in analysis["nodes"] if n["label"] == label)


def test_a_node_listed_in_full_comes_back_complete_and_the_others_summarized(base: str) -> None:
    status, summarized = graph(base, BIG)
    assert status == 200
    x_id = node(summarized, "x")["id"]
    assert node(summarized, "x")["value"]["summary"] is True

    status, analysis = graph(base, {**BIG, "full": [x_id]})
    assert status == 200, analysis
    x = node(analysis, "x")
    assert np.array(x["value"]).shape == (200, 100)
    np.testing.assert_allclose(x["value"], X)
    y = np.tanh(X)
    np.testing.assert_allclose(x["grad"], 2 * y * (1 - y * y))  # d sum(y²)/dx
    assert node(analysis, "y")["value"]["summary"] is True  # not asked: still a summary
    assert all(isinstance(e["local"], dict) for e in analysis["edges"] if e["source"] == x_id)
    assert analysis["gradients"]["x"]["summary"] is True
    assert node(analysis, "loss")["value"] == pytest.approx(summarized["value"])


def test_full_is_still_bounded_by_the_response_limit(base: str) -> None:
    status, summarized = graph(base, BIG)
    ids = [node(summarized, label)["id"] for label in ("x", "y")]
    status, error = graph(base, {**BIG, "full": ids})
    assert status == 400
    assert error["error"]["code"] == "limit_exceeded"
    assert error["error"]["params"]["limit"] == "CHAINRULE_MAX_RESPONSE_NUMBERS"
    assert error["error"]["params"]["got"] > 2 * 40_000


@pytest.mark.parametrize("bad", ["n99", "x", "n-1", "n01", "", "n1e3", "n٣"])
def test_an_id_naming_no_node_is_a_4xx_about_full(base: str, bad: str) -> None:
    status, body = graph(base, {**BIG, "full": ["n0", bad]})
    assert 400 <= status < 500
    assert body["error"]["code"] == "bad_value"
    assert body["error"]["params"]["field"] == "full.1"
    assert "node id" in body["error"]["message"]


@pytest.mark.parametrize("bad", ["n0", [0], {"n0": 1}, [["n0"]]])
def test_full_of_the_wrong_type_is_a_4xx_naming_full(base: str, bad: object) -> None:
    status, body = graph(base, {**BIG, "full": bad})
    assert 400 <= status < 500
    assert body["error"]["params"]["field"].startswith("full")


def test_full_with_full_detail_changes_nothing(base: str) -> None:
    small = {"expression": "y = sum(x * 2)", "values": {"x": [1.0, 2.0, 3.0]}}
    assert graph(base, {**small, "full": ["n0"]}) == graph(base, small)
