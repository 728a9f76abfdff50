"""A fresh clone of this checkout under /tmp, as a user makes one to try the project: the
committed tree plus the tracked files' uncommitted edits (so a test sees the code under test)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def fresh_clone(prefix: str = "chainrule-clone-") -> Path:
    """Clone into a new folder under /tmp and return the clone (the caller removes its parent)."""
    clone = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp")) / "chainrule"
    subprocess.run(["git", "clone", "--quiet", "--shared", str(ROOT), str(clone)], check=True, timeout=120)
    changes = subprocess.run(["git", "stash", "create"], cwd=ROOT, check=True, capture_output=True,
                             text=True).stdout.strip()
    if changes:
        subprocess.run(["git", "checkout", "--quiet", changes], cwd=clone, check=True, timeout=60)
    return clone
