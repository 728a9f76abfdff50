"""Each HTTP request model becomes the request object of the layer below by field names: a field
added to one and not the other would be dropped silently, so they must agree."""

from __future__ import annotations

from dataclasses import fields

import pytest
from pydantic import BaseModel

from chainrule.schemas import GraphRequest, SurfaceRequest, TrainRequest
from chainrule.teaching.analysis import AnalysisSpec
from chainrule.training.surface import SurfaceSpec
from chainrule.training.train import TrainSpec

#: What the analysis takes that no request carries: how the caller wants the result encoded.
ENCODING = {"arrays", "max_numbers"}


@pytest.mark.parametrize(("model", "spec", "beside"), [
    (TrainRequest, TrainSpec, set()),
    (SurfaceRequest, SurfaceSpec, set()),
    (GraphRequest, AnalysisSpec, ENCODING),
])
def test_a_request_model_and_its_spec_have_the_same_fields(model: type[BaseModel], spec: type,
                                                             beside: set[str]) -> None:
    assert set(model.model_fields) == {f.name for f in fields(spec)} - beside


def test_a_train_request_arrives_as_the_python_api_would_send_it() -> None:
    request = TrainRequest.model_validate({
        "expression": "loss = (w*x - 1)**2", "values": {"w": {"init": "ones", "shape": [2]}},
        "params": ["w"], "data": {"x": [[1, 2], [3, 4]]}, "dataset": {"name": "linear", "n": 8},
        "optimizer": {"name": "adam", "lr": 0.1}, "steps": 3, "mistake": "no_zero_grad"})
    spec = request.spec()
    assert spec.values == {"w": {"init": "ones", "shape": [2], "scale": 1.0, "seed": 0}}
    assert spec.optimizer == {"name": "adam", "lr": 0.1}  # unset hyper-parameters left out
    assert spec.dataset == {"name": "linear", "n": 8, "seed": 0}
    assert (spec.steps, spec.seed, spec.batch_size, spec.mistake) == (3, 0, None, "no_zero_grad")


def test_a_graph_request_takes_its_encoding_from_the_route() -> None:
    request = GraphRequest.model_validate({"expression": "y = x", "values": {"x": 1}, "lang": "vi",
                                           "full": ["n0"]})
    spec = request.spec(arrays="numpy", max_numbers=10)
    assert (spec.lang, spec.full, spec.arrays, spec.max_numbers) == ("vi", ["n0"], "numpy", 10)
    assert request.spec(full=()).full == ()
