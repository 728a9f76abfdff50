"""Every Python block of the README and docs/ runs as written: a reader copies them.

A block preceded by an HTML comment `<!-- not run: why -->` is skipped by name here (say why
in the comment); the README's auto-grader (`<!-- autograder -->`) has its own test against a
real server (tests/e2e/test_readme_autograder.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(?:<!--\s*(?P<mark>[^>]*?)\s*-->\n)?```python\n(?P<code>.*?)```", re.S)


def python_blocks() -> list[tuple[str, str]]:
    blocks = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for found in BLOCK.finditer(text):
            mark = found.group("mark") or ""
            if mark == "autograder" or mark.startswith("not run:"):
                continue
            line = text.count("\n", 0, found.start("code")) + 1
            blocks.append((f"{page.relative_to(ROOT)}:{line}", found.group("code")))
    return blocks


BLOCKS = python_blocks()


def test_the_docs_have_python_blocks() -> None:
    assert len(BLOCKS) >= 5, [where for where, _ in BLOCKS]


@pytest.mark.parametrize(("where", "code"), BLOCKS, ids=[where for where, _ in BLOCKS])
def test_a_python_block_runs_as_written(where: str, code: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                            "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"})
    assert done.returncode == 0, f"{where}:\n{done.stderr[-3000:]}"
