"""The database: the Alembic migrations build exactly the models' schema (SQLite and
PostgreSQL), run again harmlessly, and run from the command the deploy manifests use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from chainrule.db.models import Base
from chainrule.db.session import migrate

ROOT = Path(__file__).resolve().parents[2]


def test_the_migrations_build_the_models_schema(database_url: str) -> None:
    migrate(database_url)
    migrate(database_url)  # at head already: nothing to do, no error
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diff == [], diff
        assert set(inspect(engine).get_table_names()) >= {
            "lti_tool_key", "lti_login", "lti_user", "lti_launch", "lti_attempt", "lti_passback", "lti_progress",
            "alembic_version"}
    finally:
        engine.dispose()


def test_python_m_chainrule_db_upgrade(database_url: str) -> None:
    env = {**os.environ, "CHAINRULE_DATABASE_URL": database_url}
    done = subprocess.run([sys.executable, "-m", "chainrule.db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "newest schema" in done.stdout and "postgres@" not in done.stdout
    engine = create_engine(database_url)
    try:
        assert "lti_passback" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    wrong = subprocess.run([sys.executable, "-m", "chainrule.db"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=60)
    assert wrong.returncode == 2 and "usage" in wrong.stderr
