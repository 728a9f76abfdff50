"""The database: its URL, one engine per URL and process, sessions, and the migration to head.

``CHAINRULE_DATABASE_URL`` is a SQLAlchemy URL; without it, a SQLite file in the data
directory (``CHAINRULE_DATA_DIR``, by default ``~/.local/share/chainrule``), so that a
plain ``chainrule serve`` needs nothing else.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Any constant: the PostgreSQL advisory lock that lets one process at a time migrate.
MIGRATION_LOCK = 724_311


def data_dir() -> Path:
    configured = os.environ.get("CHAINRULE_DATA_DIR", "").strip()
    return Path(configured) if configured else Path.home() / ".local" / "share" / "chainrule"


def database_url() -> str:
    configured = os.environ.get("CHAINRULE_DATABASE_URL", "").strip()
    return configured or f"sqlite:///{data_dir() / 'chainrule.db'}"


def utcnow() -> datetime:
    """Now, as the naive UTC time every column holds."""
    return datetime.now(UTC).replace(tzinfo=None)


@cache
def engine_for(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    if parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets the workers read while one writes (and with synchronous=NORMAL a commit does
    # not wait for the disk: a crash keeps the database whole, a power cut may lose the last
    # commits); foreign keys are off in SQLite by default.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@cache
def _sessions(url: str) -> sessionmaker[Session]:
    return sessionmaker(engine_for(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session committed at the end of the block, rolled back if it raises."""
    session = _sessions(url or database_url())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def migrate(url: str | None = None) -> None:
    """Bring the schema to the newest migration; safe when several processes start at once."""
    url = url or database_url()
    engine = engine_for(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with _migration_lock(url), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def _migration_lock(url: str) -> Iterator[None]:
    """SQLite has no advisory locks: a lock file beside the database serializes migrations."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        yield
        return
    lock_path = Path(parsed.database + ".migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
