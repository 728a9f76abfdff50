"""The notebook widget (anywidget): the app's graphs, step-through and training panel in a cell.

The engine runs in the kernel: the widget carries the analysis (and, after :meth:`train`,
the trajectory) to its front end, which is the app's own modules bundled from the entry
point ``static/js/widget.js`` (``scripts/build-static.mjs``), drawing into the markup of
``templates/_graphs.html``. The front end writes the current step back (``step``), so Python
can read it. Below the graphs, the app's training panel (``templates/_training.html``) sends
its API requests to the kernel as widget messages, answered by :func:`chainrule.notebook.kernel.answer`
(the functions of the HTTP routes); the params at the panel's step come back in ``params``,
the last run it asked for in ``trajectory``. Where widgets cannot run (GitHub's notebook
preview, nbconvert to HTML), the cell still shows the backward graph as a static SVG
(an output of its own, which the live widget hides).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import anywidget
import orjson
import traitlets

from chainrule import registries
from chainrule.assets import STATIC_DIR
from chainrule.engine.analysis import analyze
from chainrule.export.picture import to_svg
from chainrule.export.standalone import graph_markup, training_markup
from chainrule.notebook.defaults import training_defaults
from chainrule.notebook.kernel import answer
from chainrule.training.train import TrainSpec, run_training

BUNDLE = STATIC_DIR / "build" / "widget.js"
STYLES = STATIC_DIR / "build" / "widget.css"
#: Where a widget runs, its styles are in the page: the static pictures beside widgets go.
HIDE_FALLBACK = "\n.chainrule-fallback[data-chainrule-fallback] { display: none; }\n"


@cache
def _front_end() -> tuple[str, str]:
    """The widget's ES module (the registries set first, as meta-inline.js reads them) and CSS."""
    if not BUNDLE.is_file():
        raise RuntimeError(f"{BUNDLE} is missing: run `node scripts/build-static.mjs`")
    meta = orjson.dumps(registries.meta()).decode()
    return f"globalThis.chainruleMeta = {meta};\n" + BUNDLE.read_text(encoding="utf-8"), \
        STYLES.read_text(encoding="utf-8") + HIDE_FALLBACK


class ChainruleWidget(anywidget.AnyWidget):
    """``analysis`` (read it), ``step`` (where the step-through is: mode, step, node; written
    by the front end), ``params`` and ``trajectory`` (after :meth:`train`)."""

    # the bundle and its styles, as traits of our own: they are built, then read once (_front_end)
    _esm = traitlets.Unicode().tag(sync=True)
    _css = traitlets.Unicode().tag(sync=True)
    analysis = traitlets.Dict().tag(sync=True)
    ops: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    lang = traitlets.Unicode("en").tag(sync=True)
    markup = traitlets.Unicode().tag(sync=True)
    # the training panel's markup and its start (expression, values, output); none for an analysis
    training_markup = traitlets.Unicode().tag(sync=True)
    source = traitlets.Dict().tag(sync=True)
    step = traitlets.Dict({"mode": "none", "step": -1, "node": None}).tag(sync=True)
    params = traitlets.Dict().tag(sync=True)
    trajectory: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)

    def __init__(self, expression: str | Mapping[str, Any], values: Mapping[str, Any] | None = None, *,
                 output: str | None = None, lang: str = "en", params: Sequence[str] | None = None,
                 optimizer: Mapping[str, Any] | None = None) -> None:
        esm, css = _front_end()
        if isinstance(expression, Mapping):  # an analysis made before
            self.expression, self.values = None, {}
            analysis = dict(expression)
        else:
            self.expression, self.values = expression, dict(values or {})
            analysis = analyze(expression, self.values, output)
        self.output = output
        source = {} if self.expression is None else {
            "expression": self.expression, "output": output or "",
            "values": orjson.loads(orjson.dumps(self.values, option=orjson.OPT_SERIALIZE_NUMPY)),
            "train": training_defaults(self.expression, self.values, _inputs(analysis), params, optimizer)}
        super().__init__(_esm=esm, _css=css, analysis=analysis, ops=registries.ops(), lang=lang,
                         markup=graph_markup(), training_markup=training_markup(), source=source)
        self.on_msg(self._on_message)

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """A request of the front end's API (static/js/api.js): answered as the HTTP API would."""
        if not isinstance(content, dict) or content.get("type") != "api":
            return
        reply = self.answer(content)
        self.send(reply)

    def answer(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The reply to one API request of the front end (:func:`chainrule.notebook.kernel.answer`);
        a training run's trajectory is kept in ``trajectory``."""
        reply = answer(request)
        if reply["status"] == 200 and str(request.get("url", "")).startswith("/api/train"):
            self.trajectory = reply["body"]["trajectory"]
        return reply

    def train(self, params: Sequence[str], **setup: Any) -> dict[str, Any]:
        """Train ``params`` in the kernel (the keyword arguments of ``chainrule.train``: data,
        optimizer, steps, ...); the graphs then show the trained params. Returns the result."""
        if self.expression is None:
            raise ValueError("train() needs the widget made from an expression, not an analysis")
        result = run_training(TrainSpec(expression=self.expression, values=self.values, params=list(params),
                                        output=self.output, **setup))
        self.trajectory = result["trajectory"]
        self.params = result["final_params"]
        self.values = {**self.values, **self.params}
        data = setup.get("data") or {}
        self.analysis = analyze(self.expression, {**self.values, **data}, self.output)
        return result

    def _ipython_display_(self) -> None:
        """The widget, then a static picture of the backward graph (values and gradients) as
        an output of its own. A live widget hides that picture; where no widget manager runs
        (nbconvert to HTML, GitHub's preview, an offline page), it is what the reader sees:
        nbconvert shows a widget's own output only from its saved state, which needs scripts
        from a CDN."""
        from IPython.display import display

        view = self._repr_mimebundle_()  # ipywidgets' bundle: the widget view and its text
        display(view[0] if isinstance(view, tuple) else view, raw=True)
        display(self.fallback(), raw=True)

    def fallback(self) -> dict[str, str]:
        """The static picture as a MIME bundle (HTML wrapping the SVG, which the widget's styles
        hide wherever a widget runs, and the SVG alone)."""
        svg = to_svg(self.analysis, "backward")
        html = f'<div class="chainrule-fallback" data-chainrule-fallback="backward">{svg}</div>'
        return {"text/html": html, "image/svg+xml": svg, "text/plain": "chainrule: the backward graph"}


def _inputs(analysis: Mapping[str, Any]) -> list[str]:
    """The expression's inputs, in the order the analysis lists them."""
    return [n["name"] for n in analysis["nodes"] if n["op"] == "input"]
