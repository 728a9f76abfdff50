"""The documentation stays true to the code it describes: the limits table lists every limit of
the registry with its variable and default, the README stays a short front door, and nothing
cites a file outside the repository."""

from __future__ import annotations

import re
import subprocess
from dataclasses import fields
from pathlib import Path

import pytest

from chainrule.config import Limits, env_name

ROOT = Path(__file__).resolve().parents[1]
LIMITS_DOC = ROOT / "docs" / "limits.md"


def limit_rows() -> dict[str, str]:
    """The limits table of docs/limits.md as {variable: default as written}."""
    rows: dict[str, str] = {}
    for line in LIMITS_DOC.read_text(encoding="utf-8").splitlines():
        found = re.match(r"\|\s*`(CHAINRULE_[A-Z0-9_]+)`\s*\|\s*([^|]+?)\s*\|", line)
        if found:
            rows[found.group(1)] = found.group(2)
    return rows


def as_number(written: str) -> float:
    return float(written.replace(",", ""))


@pytest.mark.parametrize("limit", [f.name for f in fields(Limits)])
def test_every_limit_has_a_row_with_its_variable_and_default(limit: str) -> None:
    rows = limit_rows()
    variable = env_name(limit)
    assert variable in rows, f"docs/limits.md has no row for {variable} (Limits.{limit})"
    default = Limits.__dataclass_fields__[limit].default
    assert as_number(rows[variable]) == float(default), (  # type: ignore[arg-type]
        f"docs/limits.md gives {variable} the default {rows[variable]}, the registry {default}")


def test_the_limits_table_lists_no_limit_the_registry_lacks() -> None:
    known = {env_name(f.name) for f in fields(Limits)}
    assert set(limit_rows()) <= known


def test_the_readme_is_a_front_door() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 300
    for section in ("make serve", "make test", "docs/api.md", "docs/limits.md", "docs/development.md"):
        assert section in readme, section


def test_the_docs_the_readme_and_the_code_cite_nothing_outside_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    citing = []
    for name in tracked:
        path = ROOT / name
        if path.suffix not in {".py", ".md", ".js", ".mjs", ".html", ".css", ".json", ".toml"}:
            continue
        if "node_modules" in path.parts or not path.is_file() or path == Path(__file__):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "shared/API.md" in text or "../shared" in text:
            citing.append(name)
    assert not citing, f"cite a file outside the repository (use docs/api.md): {citing}"
