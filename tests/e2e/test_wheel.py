"""The README's "Install with pip", for real: a fresh clone under /tmp runs `make dist` with the
machine's Python (its stock venv); the sdist and the wheel carry the built front end, the wheel
installs exactly one top-level name, `chainrule`, and, installed into a fresh venv (no Node on
PATH, no checkout on sys.path), serves the page, which draws the worked example in Chromium.
(The wheel built from the sdist with no Node is tests/distribution/test_release.py's.)"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import wait_ready
from tests.support.clone import fresh_clone

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BUILT = ("static/build/vendor.mjs", "static/build/dag.mjs", "static/build/lz.mjs",
         "static/build/katex/katex.min.css", "static/build/standalone.js", "static/build/standalone.css",
         "static/build/widget.js", "static/build/widget.css",
         "static/js/main.js", "templates/index.html", "templates/standalone.html")


def run(cmd: list[str], cwd: Path, path: str) -> None:
    """Run with only ``path`` on PATH and nothing of the checkout on PYTHONPATH."""
    env = {"HOME": os.environ.get("HOME", "/root"), "PATH": path, "CHAINRULE_PURE_PYTHON": "1",
           "LANG": "C.UTF-8"}
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def dist() -> Iterator[tuple[Path, Path]]:
    """(sdist, wheel) of `make dist` in a fresh clone under /tmp, with the machine's python3."""
    clone = fresh_clone()
    env = {k: v for k, v in os.environ.items()
           if k not in {"VIRTUAL_ENV", "CHAINRULE_PURE_PYTHON"} and not k.startswith("PYTEST")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not p.startswith(str(ROOT)) and "/.venv/" not in p)
    done = subprocess.run(["make", "dist"], cwd=clone, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (sdist,) = (clone / "dist").glob("chainrule-*.tar.gz")
    (wheel,) = (clone / "dist").glob("chainrule-*.whl")
    yield sdist, wheel
    shutil.rmtree(clone.parent, ignore_errors=True)


def test_sdist_and_wheel_carry_the_built_front_end(dist: tuple[Path, Path]) -> None:
    sdist, wheel = dist
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert set(BUILT) <= names
    assert not any(n.startswith("node_modules/") for n in names)
    with zipfile.ZipFile(wheel) as z:
        files = set(z.namelist())
    assert {f"chainrule/_frontend/{f}" for f in BUILT} <= files
    assert {"chainrule/__init__.py", "chainrule/export/pytorch.py", "chainrule/teaching/text/vi.json"} <= files
    # a compiled engine comes with the stamp of the sources it was compiled from (native.py)
    compiled = any(f.startswith("chainrule/engine/") and f.endswith(".so") for f in files)
    assert ("chainrule/engine/_compiled.json" in files) == compiled
    top_level = {f.split("/", 1)[0] for f in files}
    assert top_level == {"chainrule", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}


@pytest.fixture(scope="module")
def wheel_server(dist: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``chainrule serve`` from the wheel installed in a fresh venv, with no Node on PATH."""
    home = tmp_path_factory.mktemp("fresh")
    venv = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bin_dir = str(venv / "bin")
    run([f"{bin_dir}/pip", "install", "--quiet", "--disable-pip-version-check", str(dist[1])], home, bin_dir)
    where = subprocess.run([f"{bin_dir}/python", "-c", "import chainrule; print(chainrule.__file__)"],
                           cwd=home, env={"PATH": bin_dir}, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(venv)), where.stdout  # the installed copy, not the checkout
    shadow = subprocess.run([f"{bin_dir}/python", "-c", "import app"], cwd=home, env={"PATH": bin_dir},
                            capture_output=True, text=True)
    assert shadow.returncode != 0, "the wheel must not install a top-level package named app"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([f"{bin_dir}/chainrule", "serve", "--port", str(port)], cwd=home,
                              env={"PATH": bin_dir, "HOME": str(home)},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=2):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"the installed chainrule did not start:\n{server.communicate()[0]!r}")
            time.sleep(0.2)
    yield url
    server.terminate()
    server.communicate(timeout=10)  # (reads and closes the pipe)


def test_the_installed_wheel_draws_the_worked_example(wheel_server: str, page: Page,
                                                      console_errors: list[str], artifacts: Path) -> None:
    page.goto(wheel_server + "/")
    wait_ready(page, timeout=20_000)
    loss = page.locator("#svg-forward g.node[data-label='loss'] text.main")
    expect(loss).to_have_text("3")
    expect(page.locator("#svg-forward g.node[data-label='y'] text.main")).to_have_text("7")
    expect(page.locator("#svg-backward g.node")).to_have_count(page.locator("#svg-forward g.node").count())
    # the teaching data files came along: diagnostics, exercises
    r = page.request.post(wheel_server + "/api/exercise", data={"expression": "y = w*x", "values": {"w": 2, "x": 3},
                                                                 "lang": "vi"})
    assert r.ok, r.text()
    r = page.request.post(wheel_server + "/api/export/html", data={"expression": "y = w*x", "values": {"w": 2, "x": 3}})
    assert r.ok and b"default-src 'none'" in r.body()
    page.screenshot(path=str(artifacts / "wheel-app.png"))
    for asset in ("/static/build/vendor.mjs", "/static/build/katex/katex.min.css"):
        assert page.request.get(wheel_server + asset).ok
    assert console_errors == []
