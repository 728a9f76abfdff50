"""Shared fixtures: an in-process HTTP client for the ASGI app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from chainrule.main import app


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    """The app over HTTP; server exceptions become 500 responses so tests can assert on them."""
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
