"""The ``chainrule`` command: analyze as JSON and as Graphviz DOT, errors on stderr."""

from __future__ import annotations

import json
import re

import pytest

from chainrule.cli import main

WORKED = "y = w*x + b; loss = abs(y_true - y)"
VALUES = '{"x": 2, "y_true": 4, "w": 3, "b": 1}'


def test_analyze_prints_the_analysis_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", WORKED, "--values", VALUES]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["value"] == 3.0
    assert result["gradients"] == {"w": 2.0, "x": 3.0, "b": 1.0, "y_true": -1.0}


def test_analyze_with_check_adds_finite_differences(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", WORKED, "--values", VALUES, "--check"]) == 0
    check = json.loads(capsys.readouterr().out)["check"]
    assert set(check) == {"w", "x", "b", "y_true"}
    assert all(entry["rel_error"] < 1e-7 for entry in check.values())


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_dot_has_every_node_and_edge(capsys: pytest.CaptureFixture[str], direction: str) -> None:
    assert main(["analyze", WORKED, "--values", VALUES, "--format", "dot",
                 "--direction", direction]) == 0
    dot = capsys.readouterr().out
    assert dot.startswith(f"digraph {direction} {{") and dot.rstrip().endswith("}")
    node_lines = re.findall(r"^  (n\d+) \[label=\"([^\"]*(?:\\\"[^\"]*)*)\"", dot, re.MULTILINE)
    edges = re.findall(r"^  (n\d+) -> (n\d+)", dot, re.MULTILINE)
    assert len(node_lines) == 8 and len(edges) == 7
    labels = dict(node_lines)
    assert "grad = 2" in labels["n0"]  # w
    if direction == "backward":
        assert ("n2", "n0") in edges and '[label="2"]' in dot  # the local gradient x = 2
    else:
        assert ("n0", "n2") in edges


def test_dot_escapes_quotes_and_backslashes() -> None:
    from chainrule.export.dot import _escape

    assert _escape('a"b\\c\nd') == 'a\\"b\\\\c\\nd'


def test_errors_go_to_stderr_with_the_error_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "y = w*", "--values", "{}"]) == 1
    error = json.loads(capsys.readouterr().err)["error"]
    assert error["code"] == "syntax_error" and error["line"] == 1


def test_values_must_be_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "y = x", "--values", "{x: 1}"]) == 2
    assert json.loads(capsys.readouterr().err)["error"]["code"] == "invalid_json"


def test_values_that_are_not_an_object_are_an_error_not_a_traceback(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "y = x", "--values", "[1]"]) == 1
    error = json.loads(capsys.readouterr().err)["error"]
    assert error["code"] == "bad_value" and error["params"]["reason"] == "not_an_object"


def test_deeply_nested_values_are_an_error_not_a_recursion_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "y = x", "--values", "[" * 100_000 + "]" * 100_000]) == 2
    error = json.loads(capsys.readouterr().err)["error"]
    assert error["code"] == "invalid_json" and error["params"]["reason"] == "too_deep"


def test_latex_format_is_the_api_s_latex(capsys: pytest.CaptureFixture[str]) -> None:
    from chainrule import analyze
    from chainrule.export.latex import to_latex

    assert main(["analyze", WORKED, "--values", VALUES, "--format", "latex"]) == 0
    assert capsys.readouterr().out == to_latex(analyze(WORKED, json.loads(VALUES)))


def test_direction_without_dot_is_refused_not_ignored(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["analyze", WORKED, "--values", VALUES, "--direction", "forward"])
    assert stopped.value.code == 2
    assert "--direction draws one graph of --format dot" in capsys.readouterr().err


def test_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    assert "``" not in shown and "chainrule analyze" in shown


def test_an_initializer_key_named_as_other_libraries_name_it_points_at_ours(
        capsys: pytest.CaptureFixture[str]) -> None:
    values = '{"w": {"init": "normal", "shape": [2], "std": 1}, "x": 1}'
    assert main(["analyze", "y = w*x", "--values", values]) == 1
    error = json.loads(capsys.readouterr().err)["error"]
    assert error["params"]["suggestions"] == ["scale"] and "did you mean 'scale'?" in error["message"]
