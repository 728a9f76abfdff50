"""deploy/compose.yaml validates against the compose specification's JSON schema (shipped
by check-jsonschema as vendor.compose-spec: nothing is downloaded; `docker compose` has no
engine here), and runs several chainrule workers from one image with Redis as their
shared rate-limit storage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
VALIDATOR = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*VALIDATOR, str(path)], capture_output=True, text=True, timeout=60)


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_compose_file_validates_against_the_compose_spec() -> None:
    result = validate(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validator_rejects_an_invalid_compose_file(tmp_path: Path) -> None:
    broken = compose()
    broken["services"]["chainrule"]["read-only"] = True  # not a compose key (read_only is)
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken))
    result = validate(path)
    assert result.returncode != 0
    assert "read-only" in result.stdout + result.stderr


def test_several_workers_share_redis_for_rate_limits() -> None:
    services = compose()["services"]
    chainrule = services["chainrule"]
    assert chainrule["deploy"]["replicas"] >= 2
    assert int(chainrule["environment"]["WEB_CONCURRENCY"]) >= 1
    assert chainrule["build"]["context"] == ".." and (COMPOSE.parent / ".." / "Dockerfile").is_file()
    assert chainrule["environment"]["CHAINRULE_RATE_LIMIT"]
    assert chainrule["environment"]["CHAINRULE_RATE_LIMIT_STORAGE"] == "redis://redis:6379"
    assert "redis" in chainrule["depends_on"]
    assert services["redis"]["image"].startswith("redis:")
    # Hardened like the Kubernetes pods: non-root, read-only with a tmpfs at /tmp.
    assert chainrule["read_only"] is True and not chainrule["user"].startswith("0")
    assert any(t.startswith("/tmp") for t in chainrule["tmpfs"])
