"""The platforms chainrule is registered with: ``CHAINRULE_LTI_PLATFORMS`` names a JSON list."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

FIELDS = ("issuer", "client_id", "deployment_ids", "auth_login_url", "auth_token_url", "key_set_url")


@dataclass(frozen=True)
class Registration:
    issuer: str
    client_id: str
    deployment_ids: tuple[str, ...]
    auth_login_url: str
    auth_token_url: str
    key_set_url: str


def registrations() -> tuple[Registration, ...] | None:
    """The registered platforms, or None when LTI is off (no CHAINRULE_LTI_PLATFORMS)."""
    path = os.environ.get("CHAINRULE_LTI_PLATFORMS", "").strip()
    if not path:
        return None
    stat = Path(path).stat()
    return _read(path, stat.st_mtime_ns, stat.st_size)


@cache
def _read(path: str, _mtime: int, _size: int) -> tuple[Registration, ...]:
    """A mistyped registration file fails loudly at start-up (the operator's error)."""
    entries: Any = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise RuntimeError(f"{path}: CHAINRULE_LTI_PLATFORMS must name a JSON list of registrations")
    found = []
    for i, entry in enumerate(entries):
        missing = [f for f in FIELDS if not isinstance(entry, dict) or f not in entry]
        if missing:
            raise RuntimeError(f"{path}: registration {i} lacks {', '.join(missing)}")
        found.append(Registration(**{**{f: entry[f] for f in FIELDS},
                                     "deployment_ids": tuple(str(d) for d in entry["deployment_ids"])}))
    return tuple(found)


def find(issuer: str, client_id: str | None) -> Registration | None:
    """The registration of ``issuer`` (and ``client_id`` when given; without it, the issuer's
    only one)."""
    matches = [r for r in registrations() or () if r.issuer == issuer
               and (client_id is None or r.client_id == client_id)]
    return matches[0] if len(matches) == 1 else None
