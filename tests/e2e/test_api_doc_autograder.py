"""The auto-grader example of docs/api.md, run as written against the real server over HTTP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def documented_autograder() -> str:
    found = re.search(r"<!-- autograder -->\n```python\n(.*?)```", API_DOC.read_text(encoding="utf-8"), re.S)
    assert found, "docs/api.md lost its auto-grader example"
    return found.group(1)


def test_the_documented_autograder_grades_a_folder_of_answer_files(live_server: str, tmp_path: Path) -> None:
    request = urllib.request.Request(
        f"{live_server}/api/exercise",
        json.dumps({"expression": "y = w*x + b; loss = abs(y_true - y)",
                    "values": {"x": 2, "y_true": 4, "w": 3, "b": 1}, "ask": ["grad"]}).encode(),
        {"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        (tmp_path / "exercise.json").write_bytes(response.read())
    (tmp_path / "grade.py").write_text(documented_autograder(), encoding="utf-8")
    right = {"q1": -1, "q2": "-1", "q3": 1, "q4": "1", "q5": "1*1", "q6": 3, "q7": "1*1*2"}
    answers = {"anna.json": right, "binh.json": {**right, "q7": 3},
               "chi.json": {**right, "q2": "minus one"}}
    for name, content in answers.items():
        (tmp_path / name).write_text(json.dumps(content), encoding="utf-8")
    run = subprocess.run([sys.executable, "grade.py", "exercise.json", *answers], cwd=tmp_path,
                         env={**os.environ, "CHAINRULE_URL": live_server},
                         capture_output=True, text=True, timeout=60, check=True)
    lines = run.stdout.splitlines()
    assert lines[0] == "anna.json: 7/7"
    assert lines[1] == "binh.json: 6/7"
    assert lines[2].startswith("  q7: expected 2.0, got 3.0; multiply the local gradients along the path: "
                               "d loss/d w = ")
    assert lines[3].startswith("chi.json: not graded: answers.q2: cannot read the answer to q2")
    assert len(lines) == 4, run.stdout
