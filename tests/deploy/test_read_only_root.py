"""The pod's file system, for real: `chainrule serve` with two workers and metrics on runs
in a mount namespace where the whole root file system is read-only and only /tmp is a
fresh tmpfs (as deploy/kubernetes gives it: readOnlyRootFilesystem plus an emptyDir at
/tmp), and serves pages, analyses, training and /metrics there."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.deploy.processes import ROOT, chainrule_server, request
from tests.test_metrics import samples, value

PROBE = ROOT / ".read-only-probe"
# Remount every mount but the kernel's read-only, give /tmp a fresh tmpfs, prove that the
# tree is no longer writable and /tmp is, then run the server. A private namespace: nothing
# leaks out. What the server runs from (the checkout, its venv, the packages on sys.path)
# may live under /tmp (a clone into a temporary folder) and would vanish under the new tmpfs,
# so each such folder, passed as an argument after $0, is bound back read-only from a handle
# on the old /tmp taken before the mount (--no-canonicalize: mount would otherwise turn
# /proc/self/fd/3 back into the name /tmp, which by then is the new tmpfs). "--" ends them.
READ_ONLY_ROOT = r'''
set -e
awk '{print $2}' /proc/self/mounts | grep -v -E '^/(proc|sys|dev)(/|$)' | sort -u |
  while read -r m; do mount -o remount,bind,ro "$m"; done
exec 3</tmp
mount -t tmpfs -o size=64m,mode=1777 tmpfs /tmp
while [ "$1" != "--" ]; do
  inside=${1#/tmp/}
  mkdir -p "/tmp/$inside"
  mount --no-canonicalize --bind "/proc/self/fd/3/$inside" "/tmp/$inside"
  mount -o remount,bind,ro "/tmp/$inside"
  shift
done
shift
exec 3<&-
if touch "$0" 2>/dev/null; then echo "the root file system is still writable" >&2; exit 3; fi
if ! touch /tmp/.writable-probe; then echo "/tmp is not writable" >&2; exit 4; fi
exec "$@"
'''


def kept_under_tmp() -> list[str]:
    """The folders under /tmp the server runs from: the checkout, this interpreter's prefix
    and every folder on sys.path (outermost first, each once)."""
    folders = sorted({str(Path(p).resolve()) for p in [ROOT, sys.prefix, *sys.path] if p and Path(p).is_dir()})
    under = [f for f in folders if f.startswith("/tmp/")]
    return [f for f in under if not any(f.startswith(outer + "/") for outer in under if outer != f)]


def test_serves_with_a_read_only_root_and_a_tmpfs_at_tmp(tmp_path: Path) -> None:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.fail("unshare (util-linux) is missing")
    wrapper = [unshare, "--mount", "--propagation", "private", "sh", "-c", READ_ONLY_ROOT, str(PROBE),
               *kept_under_tmp(), "--"]
    env = {"CHAINRULE_METRICS": "1", "CHAINRULE_RATE_LIMIT": ""}
    try:
        with chainrule_server(tmp_path, env, workers=2, wrapper=wrapper) as base:
            assert request(base, "/")[0] == 200
            assert request(base, "/static/js/main.js")[0] == 200
            graph = {"expression": "y = w*x + b\nloss = abs(y_true - y)",
                     "values": {"x": 2, "y_true": 4, "w": 3, "b": 1}}
            status, _, body = request(base, "/api/graph", graph)
            assert status == 200, body[:300]
            train = {"expression": "loss = mean((w*x + b - y)**2)", "values": {"w": 0.3, "b": 0.0},
                     "params": ["w", "b"], "data": {"x": [1, 2, 3, 4], "y": [2, 4, 6, 8]},
                     "optimizer": {"name": "sgd", "lr": 0.05}, "steps": 20}
            status, _, body = request(base, "/api/train", train)
            assert status == 200, body[:300]
            status, _, text = request(base, "/metrics")
            assert status == 200
            scrape = samples(text.decode())
            assert value(scrape, "chainrule_http_requests_total", method="POST", endpoint="/api/graph",
                         status="200") == 1
            assert value(scrape, "chainrule_http_requests_total", method="POST", endpoint="/api/train",
                         status="200") == 1
    finally:
        PROBE.unlink(missing_ok=True)
    assert not PROBE.exists()
