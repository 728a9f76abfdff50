"""Tiny requests cannot ask for huge responses (issue 11 §4), against a real server: every
number a response emits (node values and gradients, edge locals and gradients) counts toward
CHAINRULE_MAX_RESPONSE_NUMBERS; ``"detail": "auto"`` summarizes only large tensors; below
the limit ``"full"`` values stay complete, as API.md promises."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import numpy as np
import pytest

from chainrule import analyze
from chainrule.config import LIMITS
from chainrule.engine.response_size import response_numbers
from tests.deploy.processes import chainrule_server, request

TINY_HUGE = {"expression": "loss = sum(tanh(sin(cos(exp(x)))))",
             "values": {"x": {"init": "normal", "shape": [1_000_000]}}}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chainrule_server(tmp_path_factory.mktemp("size"), {}) as url:
        yield url


def test_a_109_byte_request_for_hundreds_of_megabytes_is_refused(base: str) -> None:
    assert len(json.dumps(TINY_HUGE)) < 120
    start = time.perf_counter()
    status, _, body = request(base, "/api/graph", TINY_HUGE)
    assert status == 400 and len(body) < 2_000
    assert time.perf_counter() - start < LIMITS.request_budget_seconds
    error = json.loads(body)["error"]
    assert error["code"] == "limit_exceeded"
    assert error["params"]["limit"] == "CHAINRULE_MAX_RESPONSE_NUMBERS"
    assert error["params"]["got"] > 4 * 1_000_000  # edges count too, not only node values
    assert '"detail": "summary"' in error["message"]


def test_auto_detail_summarizes_only_large_tensors(base: str) -> None:
    status, _, body = request(base, "/api/graph", {**TINY_HUGE, "detail": "auto"})
    assert status == 200 and len(body) < 100_000
    analysis = json.loads(body)
    x = analysis["nodes"][0]
    assert x["value"]["summary"] is True and x["value"]["size"] == 1_000_000
    assert analysis["value"] == pytest.approx(analyze(
        TINY_HUGE["expression"], TINY_HUGE["values"], detail="summary")["value"])
    small = {"expression": "y = sum(x * 2)", "values": {"x": list(range(50))}, "detail": "auto"}
    status, _, body = request(base, "/api/graph", small)
    assert json.loads(body)["gradients"]["x"] == [2.0] * 50


def test_full_values_stay_complete_below_the_limit(base: str) -> None:
    values = {"x": np.linspace(-1, 1, 5_000).tolist()}
    status, _, body = request(base, "/api/graph", {"expression": "y = sum(tanh(x))", "values": values})
    assert status == 200
    grad = json.loads(body)["gradients"]["x"]
    assert len(grad) == 5_000
    assert grad == pytest.approx((1 - np.tanh(np.array(values["x"])) ** 2).tolist())


def test_the_count_is_what_the_json_holds() -> None:
    expression, values = "y = sum(tanh(x) * w)", {"x": [1.0, 2.0, 3.0], "w": 2.0}
    from chainrule.engine.values import resolve_values
    from chainrule.programs import cached_program

    program = cached_program(expression, None)
    run = program.run(resolve_values(values, program.input_names))
    result = analyze(expression, values)
    emitted = [n[k] for n in result["nodes"] for k in ("value", "grad")] + \
              [e[k] for e in result["edges"] for k in ("local", "grad")] + list(result["gradients"].values())
    count = sum(len(v) if isinstance(v, list) else (v is not None) for v in emitted)
    assert response_numbers(run) == count
