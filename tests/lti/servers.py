"""Real servers for the LTI tests: Debian's PostgreSQL (initdb into a temporary directory, on
a free loopback port) and chainrule with LTI on, registered with a test platform."""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.servers import free_port
from tests.deploy.processes import chainrule_server
from tests.lti.platform import Platform, running_platform

HOST = "127.0.0.1"


def postgres_bin() -> Path:
    """Debian's PostgreSQL binaries; missing ones fail the test (`make postgres` installs them)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL not found: `make postgres` (apt-get install -y --no-install-recommends "
                    "postgresql) installs it")
    return Path(found[-1]).parent


def _as_postgres_user(command: list[str]) -> list[str]:
    # The server refuses to run as root: as root, run it as `nobody`.
    return ["runuser", "-u", "nobody", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgres_server(tmp: Path) -> Iterator[str]:
    """A throw-away PostgreSQL cluster on a free loopback port; yields a SQLAlchemy URL base
    (append a database name)."""
    binaries = postgres_bin()
    data = tmp / "pgdata"
    data.mkdir(parents=True)
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        for path in (tmp, data):
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
    subprocess.run(_as_postgres_user([str(binaries / "initdb"), "-D", str(data), "-U", "postgres",
                                      "--auth=trust", "--no-sync", "-E", "UTF8"]),
                   check=True, capture_output=True)
    port = free_port()
    log = tmp / "postgres.log"
    options = f"-h {HOST} -p {port} -k {tmp} -c fsync=off -c full_page_writes=off -c max_connections=200"
    subprocess.run(_as_postgres_user([str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-o",
                                      options, "-w", "-t", "60", "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@{HOST}:{port}"
    finally:
        subprocess.run(_as_postgres_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                          "stop"]), capture_output=True)


def create_database(server_url: str, name: str) -> str:
    import psycopg

    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"


@contextmanager
def tool_and_platform(tmp: Path, database_url: str, workers: int = 1,
                      extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, Platform]]:
    """chainrule (LTI on, ``workers`` processes) and the test platform, registered with each other."""
    with running_platform(tool="http://unset") as platform:
        registrations = tmp / "platforms.json"
        registrations.write_text(json.dumps([platform.tool_registration()]))
        env = {"CHAINRULE_LTI_PLATFORMS": str(registrations), "CHAINRULE_DATABASE_URL": database_url,
               "CHAINRULE_DATA_DIR": str(tmp / "data"), "CHAINRULE_LTI_PASSBACK_POLL_SECONDS": "0.2",
               "CHAINRULE_LTI_PASSBACK_BACKOFF_SECONDS": "0.2",
               # A loaded CI machine may answer slowly: the tests wait for each send's outcome.
               "CHAINRULE_LTI_PASSBACK_WAIT_SECONDS": "20", **(extra_env or {})}
        with chainrule_server(tmp, env, workers=workers) as tool:
            platform.tool = tool
            yield tool, platform


def wait_for(condition, timeout: float = 20.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def runuser_available() -> bool:
    return os.geteuid() != 0 or shutil.which("runuser") is not None
