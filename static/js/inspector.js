// The node inspector: a clicked node's label, operation, shape and full value and gradient,
// shown over the graphs' corner and announced through a live region.
// A panel (panels.js); main.js calls show(id) when a node is clicked.
import { el } from "./el.js";
import { fmtFull, fmtShape, fmtValue } from "./format.js";
import { t } from "./i18n.js";

/**
 * @param {HTMLElement|null} panel  #inspector (absent from /embed)
 */
export function createInspector(panel) {
  let model = null;
  let selected = null;

  const item = (key, value, pre = false) => [el("dt", null, t(key)), el("dd", null, pre ? el("pre", null, value) : value)];

  /** Show one node's details (a node not in the current graph hides the panel). */
  function show(id) {
    if (!panel || !model) return;
    const nd = model.nodes.get(id);
    if (!nd) return hide();
    selected = id;
    panel.querySelector("#inspector-body").replaceChildren(
      ...item("inspector.label", nd.label),
      ...item("inspector.op", nd.kind === "op" ? `${nd.op}${nd.formula ? ` · ${nd.formula}` : ""}` : t(`kind.${nd.kind}`)),
      ...item("inspector.shape", fmtShape(nd.shape) || t("inspector.scalar")),
      ...item("inspector.value", fmtFull(nd.value), true),
      ...item("inspector.grad", fmtFull(nd.grad), true),
    );
    panel.hidden = false;
    panel.dataset.id = id;
    // said aloud by screen readers: the panel itself appears silently
    const live = document.getElementById("inspector-live");
    if (live) live.textContent = t("inspector.announce", { label: nd.label, value: fmtValue(nd.value, nd.shape), grad: fmtValue(nd.grad, nd.shape) });
  }

  function hide() {
    selected = null;
    if (panel) panel.hidden = true;
  }

  panel?.querySelector(".inspector-close")?.addEventListener("click", hide);
  panel?.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hide();
  });

  return {
    show,
    hide,
    /** @param {import("./panels.js").Analysis} analysis */
    update(analysis) {
      if (!analysis.model) return;
      model = analysis.model;
      if (selected && model.nodes.has(selected)) show(selected);
      else hide();
    },
    relabel() {
      if (selected) show(selected);
    },
  };
}
