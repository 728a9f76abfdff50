"""PNG export is bounded (issue 11 §1), measured on a real ``chainrule serve`` process: the
picture's size is decided before a pixel is allocated, pixels are capped (scaled down, or
``limit_exceeded`` naming CHAINRULE_MAX_PICTURE_PIXELS), and the memory goes back."""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainrule.config import LIMITS
from chainrule.errors import ChainruleError
from chainrule.export.picture import MIN_PNG_SCALE, png_scale
from tests.deploy.processes import chainrule_server, request


def chain(links: int, squares: int) -> str:
    """The issue's expression: a chain ``c{i} = c{i-1} + x`` plus ``s{j} = x * x`` statements."""
    lines = ["c0 = x", *(f"c{i} = c{i - 1} + x" for i in range(1, links)),
             *(f"s{j} = x * x" for j in range(squares))]
    return "\n".join(lines)


def server_pid(base: str) -> int:
    """The process of the single-worker ``chainrule serve`` listening at ``base``."""
    port = base.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in argv and port.encode() in argv:
                return int(entry.name)
    raise AssertionError(f"no server process for {base}")


def memory_mb(pid: int, key: str) -> float:
    """VmRSS (now) or VmHWM (peak) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(key)


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", body[16:24])
    return width, height


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    with chainrule_server(tmp_path_factory.mktemp("png"), {}) as base:
        yield base, server_pid(base)


def test_the_200_statement_chain_is_drawn_within_the_pixel_budget(server: tuple[str, int]) -> None:
    base, pid = server
    body = {"expression": chain(200, 200), "values": {"x": 1.0}, "direction": "backward"}
    request(base, "/api/graph", {"expression": "y = x", "values": {"x": 1}})  # warm
    before = memory_mb(pid, "VmRSS")
    start = time.perf_counter()
    status, headers, png = request(base, "/api/export/png", body)
    elapsed = time.perf_counter() - start
    assert status == 200, png[:300]
    assert headers["content-type"] == "image/png"
    width, height = png_size(png)
    assert width * height <= LIMITS.max_picture_pixels
    assert width > 1000  # scaled down, still a picture
    assert elapsed < LIMITS.request_budget_seconds
    assert memory_mb(pid, "VmHWM") - before < 300


def test_a_2000_node_picture_is_refused_naming_the_limit(server: tuple[str, int]) -> None:
    base, _ = server
    status, _, body = request(base, "/api/export/png", {"expression": chain(1000, 980),
                                                        "values": {"x": 1.0}})
    assert status == 400, body[:300]
    error = json.loads(body)["error"]
    assert error["code"] == "limit_exceeded"
    assert error["params"]["limit"] == "CHAINRULE_MAX_PICTURE_PIXELS"
    assert "CHAINRULE_MAX_PICTURE_PIXELS" in error["message"]


def test_memory_goes_back_after_repeated_exports(server: tuple[str, int]) -> None:
    base, pid = server
    body = {"expression": chain(100, 100), "values": {"x": 1.0}}
    assert request(base, "/api/export/png", body)[0] == 200
    settled = memory_mb(pid, "VmRSS")
    for _ in range(5):
        assert request(base, "/api/export/png", body)[0] == 200
    assert memory_mb(pid, "VmRSS") - settled < 100


def test_the_scale_is_decided_before_drawing() -> None:
    assert png_scale(100, 100) == 2.0
    small = png_scale(20_000, 8_000, max_pixels=16_000_000)
    assert 20_000 * small * 8_000 * small <= 16_000_000 + 1
    with pytest.raises(ChainruleError) as caught:
        png_scale(200_000, 100_000, max_pixels=16_000_000)
    assert caught.value.params and caught.value.params["limit"] == "CHAINRULE_MAX_PICTURE_PIXELS"
    assert caught.value.params["got"] > 16_000_000
    assert MIN_PNG_SCALE > 0
