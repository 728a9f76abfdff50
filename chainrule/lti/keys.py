"""The tool's RS256 key (a PEM file, or one generated at first start and kept in the
database) and the platforms' public keys (fetched, cached, refetched for an unknown ``kid``)."""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from chainrule.config import LIMITS
from chainrule.db.models import ToolKey
from chainrule.db.session import database_url, session_scope, utcnow
from chainrule.lti.http import get_json

PUBLIC: dict[str, str] = {"alg": "RS256", "use": "sig"}


@cache
def _tool_keys(pem_path: str, db_url: str) -> tuple[RSAKey, ...]:
    """The signing key first, then every other key the JWKS still publishes."""
    if pem_path:
        return (_with_kid(RSAKey.import_key(Path(pem_path).read_bytes())),)
    with session_scope(db_url) as session:
        rows = session.scalars(select(ToolKey).order_by(ToolKey.created_at, ToolKey.kid)).all()
        if rows:
            return tuple(_with_kid(RSAKey.import_key(row.private_pem)) for row in rows)
    generated = _with_kid(RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig"}, private=True))
    try:
        with session_scope(db_url) as session:
            session.add(ToolKey(kid=generated.kid or str(uuid.uuid4()),
                                private_pem=generated.as_pem(private=True).decode(), created_at=utcnow()))
    except IntegrityError:
        pass
    # Two workers may generate at once: both then sign with the oldest row.
    with session_scope(db_url) as session:
        rows = session.scalars(select(ToolKey).order_by(ToolKey.created_at, ToolKey.kid)).all()
        return tuple(_with_kid(RSAKey.import_key(row.private_pem)) for row in rows)


def _with_kid(key: RSAKey) -> RSAKey:
    key.ensure_kid()  # the RFC 7638 thumbprint: the same key has the same kid in every worker
    return key


def tool_keys() -> tuple[RSAKey, ...]:
    return _tool_keys(os.environ.get("CHAINRULE_LTI_KEY", "").strip(), database_url())


def tool_jwks() -> dict[str, Any]:
    return {"keys": [{**key.as_dict(private=False), **PUBLIC, "kid": key.kid} for key in tool_keys()]}


def sign(claims: dict[str, Any]) -> str:
    key = tool_keys()[0]
    return jwt.encode({"alg": "RS256", "typ": "JWT", "kid": key.kid}, claims, key, algorithms=["RS256"])


@dataclass
class _Cached:
    keys: KeySet | None = None
    fetched: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


_PLATFORM_KEYS: dict[str, _Cached] = {}
_PLATFORM_KEYS_LOCK = threading.Lock()


def platform_key_set(key_set_url: str, kid: str) -> KeySet:
    """The platform's key set holding ``kid``: the cached one while it is fresh and knows the
    kid; otherwise fetched again (a platform rotating its keys publishes the new kid first),
    at most once per CHAINRULE_LTI_JWKS_REFETCH_SECONDS so unknown kids cannot flood it."""
    with _PLATFORM_KEYS_LOCK:
        cached = _PLATFORM_KEYS.setdefault(key_set_url, _Cached())
    with cached.lock:
        age = time.monotonic() - cached.fetched
        known = cached.keys is not None and _has_kid(cached.keys, kid)
        stale = cached.keys is None or age > LIMITS.lti_jwks_cache_seconds
        if (stale or not known) and (cached.keys is None or age > LIMITS.lti_jwks_refetch_seconds):
            cached.keys = KeySet.import_key_set(get_json(key_set_url))
            cached.fetched = time.monotonic()
        assert cached.keys is not None
        return cached.keys


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)
