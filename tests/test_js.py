"""The front end's DOM-free modules under Node's built-in test runner (tests/js/*.test.mjs), so
`pytest` counts them: one test per Node test file, failing with Node's report."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NODE_TESTS = sorted((ROOT / "tests" / "js").glob("*.test.mjs"))


def test_there_are_node_tests() -> None:
    assert NODE_TESTS, "tests/js/*.test.mjs is empty"


@pytest.mark.parametrize("path", NODE_TESTS, ids=[p.name for p in NODE_TESTS])
def test_node_test_file_passes(path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the front end is built with it (make frontend)")
    if not (ROOT / "static" / "build" / "lz.mjs").is_file():
        pytest.fail("static/build/ is missing: run `npm ci && node scripts/build-static.mjs` first")
    run = subprocess.run([node, "--test", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout and "# pass 0" not in run.stdout, run.stdout[-2000:]
