"""The page without a server: one self-contained HTML file of an analysis.

The forward and backward graphs with step-through, drawn by the app's own front-end modules
(bundled from ``static/js/standalone.js`` by ``scripts/build-static.mjs``), with the styles,
KaTeX's fonts, the registries and the analysis inlined. Its Content-Security-Policy allows
no network access at all, so it works opened from ``file://``, uploaded to a course platform,
or sent by e-mail.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from chainrule import registries
from chainrule.assets import STATIC_DIR, TEMPLATES_DIR
from chainrule.engine.analysis import analyze
from chainrule.version import __version__

BUNDLE = STATIC_DIR / "build" / "standalone.js"
STYLES = STATIC_DIR / "build" / "standalone.css"
TITLE_CHARS = 60


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"]))


@cache
def _assets() -> tuple[Markup, Markup]:
    """The bundle and the styles, checked to be safe inside <script> and <style> elements."""
    if not BUNDLE.is_file() or not STYLES.is_file():
        raise RuntimeError(f"{BUNDLE.parent} has no standalone bundle: run `node scripts/build-static.mjs`")
    script, css = BUNDLE.read_text(encoding="utf-8"), STYLES.read_text(encoding="utf-8")
    if "</script" in script.lower() or "</style" in css.lower():
        raise RuntimeError("the standalone bundle contains a closing tag: it cannot be inlined")
    return Markup(script), Markup(css)


def inline_json(data: Any) -> Markup:
    """JSON for a <script type="application/json"> element: ``<`` escaped, so no text in it
    (a label, an expression) can close the element."""
    text = orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    return Markup(text.replace("<", "\\u003c"))


def graph_markup() -> str:
    """The graph panels and step-through controls (templates/_graphs.html) on their own: our
    markup, with no user text in it (the notebook widget's front end draws into it)."""
    return _environment().get_template("_graphs.html").render(standalone=True)


def training_markup() -> str:
    """The training panel (templates/_training.html) on its own, its styles left to the
    caller's bundle (the notebook widget's): our markup, with no user text in it."""
    return _environment().get_template("_training.html").render(standalone=True)


def to_html(expression: str, values: Mapping[str, Any], output: str | None = None, lang: str = "en") -> str:
    """The standalone page of ``expression`` at ``values`` (``chainrule.to_html``)."""
    return render_page(analyze(expression, values, output), expression, lang)


def render_page(analysis: dict[str, Any], expression: str, lang: str = "en") -> str:
    """The standalone page of ``analysis`` (the dict ``analyze`` returns, tensors as lists),
    with the registries of GET /api/meta and the ops of GET /api/ops for its step texts."""
    meta, ops = registries.meta(), registries.ops()
    script, css = _assets()
    first_line = expression.strip().splitlines()[0] if expression.strip() else ""
    title = first_line if len(first_line) <= TITLE_CHARS else first_line[: TITLE_CHARS - 1] + "…"
    return _environment().get_template("standalone.html").render(
        standalone=True, lang=lang, title=title, expression=expression, version=__version__,
        css=css, script=script,
        meta_json=inline_json(meta), data_json=inline_json({"analysis": analysis, "ops": ops, "lang": lang}))
