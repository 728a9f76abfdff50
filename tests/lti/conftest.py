"""Fixtures of the LTI tests: a database URL for each backend (SQLite file; a real PostgreSQL
server started once per session), and chainrule + the test platform on loopback ports."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lti.servers import create_database, postgres_server

_names = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    # Not under pytest's own temporary directory: as root, the server runs as `nobody`, who
    # may not enter it.
    place = Path(tempfile.mkdtemp(prefix="chainrule-pg-"))
    try:
        with postgres_server(place) as url:
            yield url
    finally:
        shutil.rmtree(place, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lti.db'}"
    server: str = request.getfixturevalue("postgres")
    return create_database(server, f"lti_{next(_names)}")
