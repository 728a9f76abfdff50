"""The compose deployment's proxy, for real: Debian's nginx runs the server block of
deploy/compose.yaml (read from the file, only its addresses swapped for loopback ones) in
front of ``chainrule serve`` trusting that proxy's address, as the workers do. A client that
forges ``X-Forwarded-For`` gets no fresh rate-limit budget; its real address is the key."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from bench.servers import free_port, stop_server
from tests.deploy.processes import HOST, _wait_until, chainrule_server, request

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
LIMIT = 3
BODY = {"expression": "y = x*x + x", "values": {"x": 3}}


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(COMPOSE.read_text())  # type: ignore[no-any-return]


def nginx_path() -> str:
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)
    if path is None:
        pytest.fail("nginx not found: `make test-tools` (apt-get install -y --no-install-recommends "
                    "nginx) installs it")
    return path


def proxy_config(upstream_port: int, listen_port: int, tmp: Path) -> str:
    """compose.yaml's nginx server block for loopback: compose escapes ``$`` as ``$$``, the
    upstream is the server under test and nginx listens on a free loopback port."""
    site = compose()["configs"]["nginx"]["content"].replace("$$", "$")
    site, upstreams = re.subn(r"server chainrule:8000;", f"server {HOST}:{upstream_port};", site)
    site, listens = re.subn(r"listen 8080;", f"listen {HOST}:{listen_port};", site)
    assert upstreams == 1 and listens == 1, "compose.yaml's nginx config changed shape"
    temp = "\n".join(f"  {kind}_temp_path {tmp / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"pid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'};\ndaemon off;\n"
            f"events {{}}\nhttp {{\n  access_log off;\n{temp}\n{site}\n}}\n")


@contextmanager
def nginx(upstream_port: int, tmp: Path, old_header: bool = False) -> Iterator[str]:
    """nginx with compose.yaml's config; ``old_header``: as it was before, appending to the
    client's X-Forwarded-For."""
    port = free_port()
    conf = tmp / "nginx.conf"
    text = proxy_config(upstream_port, port, tmp)
    if old_header:
        text = text.replace("X-Forwarded-For $remote_addr", "X-Forwarded-For $proxy_add_x_forwarded_for")
    conf.write_text(text)
    log = tmp / "nginx.out"
    base = f"http://{HOST}:{port}"
    with log.open("wb") as out:
        check = subprocess.run([nginx_path(), "-t", "-c", str(conf), "-p", str(tmp)],
                               capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr
        proc = subprocess.Popen([nginx_path(), "-c", str(conf), "-p", str(tmp)],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_until(lambda: request(base, "/api/health")[0] == 200, proc, log, "nginx")
            yield base
        finally:
            stop_server(proc)


def test_compose_trusts_only_its_proxy_address() -> None:
    data = compose()
    trusted = data["services"]["chainrule"]["environment"]["FORWARDED_ALLOW_IPS"]
    proxy = data["services"]["proxy"]["networks"]["edge"]["ipv4_address"]
    assert trusted == proxy and "*" not in trusted


def test_a_forged_forwarded_for_does_not_change_the_key(tmp_path: Path) -> None:
    # In compose the workers trust the proxy's fixed address; here the proxy is on loopback.
    env = {"CHAINRULE_RATE_LIMIT": f"{LIMIT}/minute", "FORWARDED_ALLOW_IPS": HOST}
    with chainrule_server(tmp_path, env) as app_base, nginx(int(app_base.rsplit(":", 1)[1]), tmp_path) as base:
        statuses = [request(base, "/api/graph", BODY, headers={"X-Forwarded-For": f"203.0.113.{i}"})[0]
                    for i in range(LIMIT + 2)]
        assert statuses == [200] * LIMIT + [429, 429]
        status, headers, body = request(base, "/api/graph", BODY)
        assert status == 429 and b"rate_limited" in body and int(headers["retry-after"]) >= 1


def test_the_old_settings_let_a_forged_forwarded_for_through(tmp_path: Path) -> None:
    """The check above can fail: with the old settings (every hop trusted, the client's
    header appended to) each forged address is a fresh budget."""
    env = {"CHAINRULE_RATE_LIMIT": f"{LIMIT}/minute", "FORWARDED_ALLOW_IPS": "*"}
    with chainrule_server(tmp_path, env) as app_base, \
            nginx(int(app_base.rsplit(":", 1)[1]), tmp_path, old_header=True) as base:
        statuses = [request(base, "/api/graph", BODY, headers={"X-Forwarded-For": f"203.0.113.{i}"})[0]
                    for i in range(LIMIT + 2)]
    assert statuses == [200] * (LIMIT + 2)
