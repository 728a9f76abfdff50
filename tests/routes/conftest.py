"""Fixtures of the route tests."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import pytest

import chainrule.config


def _modules_reading_limits() -> list[Any]:
    return [m for name, m in sorted(sys.modules.items())
            if (name == "chainrule" or name.startswith("chainrule.")) and hasattr(m, "LIMITS")]


@pytest.fixture
def set_limit(monkeypatch: pytest.MonkeyPatch) -> Any:
    def apply(**changes: Any) -> None:
        limits = dataclasses.replace(chainrule.config.LIMITS, **changes)
        monkeypatch.setattr(chainrule.config, "LIMITS", limits)
        for module in _modules_reading_limits():
            monkeypatch.setattr(module, "LIMITS", limits)
    return apply
