"""The README's test command must not depend on where the clone lives: the most common way to
try a project is a clone into a temporary folder. This clones the committed tree under /tmp,
gives the clone a venv of its own inside it (as `make` does) and runs the suite's
path-sensitive tests from there: the read-only-root test, which hides /tmp behind a tmpfs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.processes import ROOT
from tests.support.clone import fresh_clone

#: Tests that read or hide paths of the checkout itself.
PATH_SENSITIVE = ["tests/deploy/test_read_only_root.py"]


@pytest.fixture
def clone_under_tmp() -> Iterator[Path]:
    clone = fresh_clone()
    # A venv inside the clone, as `make` makes one, reusing this interpreter's packages: the
    # venv's python lives under /tmp, which is what hid the server before.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(clone / ".venv")], check=True, timeout=120)
    site = subprocess.run([str(clone / ".venv/bin/python"), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    packages = [p for p in sys.path if p and Path(p).is_dir() and Path(p).resolve() != ROOT
                and "site-packages" in p]
    Path(site, "_0_clone.pth").write_text("\n".join([str(clone), *packages]) + "\n")
    yield clone
    shutil.rmtree(clone.parent, ignore_errors=True)


def test_the_path_sensitive_tests_pass_from_a_clone_under_tmp(clone_under_tmp: Path) -> None:
    clone = clone_under_tmp
    assert str(clone).startswith("/tmp/")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    done = subprocess.run([str(clone / ".venv/bin/python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *PATH_SENSITIVE], cwd=clone, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert f"{len(PATH_SENSITIVE)} passed" in done.stdout
