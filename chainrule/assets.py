"""Where the front end lives: ``static/`` and ``templates/`` of a checkout, or the copies that
an installed wheel carries in ``chainrule/_frontend/`` (setup.py puts them there at build time, the
npm bundles built; the checkout's folders are never moved)."""

from __future__ import annotations

from pathlib import Path

PACKAGED = Path(__file__).resolve().parent / "_frontend"
CHECKOUT = Path(__file__).resolve().parent.parent


def frontend_dir(name: str) -> Path:
    """``static`` or ``templates``: the wheel's copy when installed, else the checkout's."""
    packaged = PACKAGED / name
    return packaged if packaged.is_dir() else CHECKOUT / name


STATIC_DIR = frontend_dir("static")
TEMPLATES_DIR = frontend_dir("templates")
