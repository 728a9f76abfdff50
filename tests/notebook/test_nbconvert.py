"""A notebook that calls chainrule.show(...), executed and rendered by `jupyter nbconvert
--execute --to html` with no network (a namespace with loopback only, where the kernel still
runs): the page has the backward graph as a picture, with the worked example's gradients,
although the widget itself could only be drawn by scripts from a CDN."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

WORKED = "y = w*x + b; loss = abs(y_true - y)"


def test_nbconvert_to_html_offline_shows_the_backward_graph(tmp_path: Path) -> None:
    unshare, ip = shutil.which("unshare"), shutil.which("ip") or "/usr/sbin/ip"
    if unshare is None or not Path(ip).exists():
        pytest.fail("unshare (util-linux) and ip (iproute2) are needed to run nbconvert offline")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        f"import chainrule\nchainrule.show({WORKED!r}, values={{'x': 2, 'y_true': 4, 'w': 3, 'b': 1}})")]
    nbformat.write(nb, tmp_path / "worked.ipynb")
    offline = f"{ip} link set lo up && exec \"$@\""
    done = subprocess.run([unshare, "--net", "sh", "-c", offline, "offline", sys.executable, "-m", "nbconvert",
                           "--execute", "--to", "html", "worked.ipynb"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    page = (tmp_path / "worked.html").read_text()
    pictures = re.findall(r'<div class="chainrule-fallback" data-chainrule-fallback="backward">(<svg.*?</svg>)',
                          page, flags=re.S)
    assert len(pictures) == 1
    texts = {html.unescape(t).strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", pictures[0])}
    assert {"grad = 2", "grad = 1", "grad = 3", "grad = -1"} <= texts  # w, b, x, y_true
    assert {"w", "b", "loss"} <= texts
