// The node inspector: a clicked node's label, operation, shape and full value and gradient,
// shown over the graphs' corner and announced through a live region.
// A panel (panels.js); main.js calls show(id) when a node is clicked.
// The page asks for large tensors summarized (api.js); for a summarized node, "Show all
// values" asks the server again for that one node in full (`full: [id]`).
import { analyzeGraph } from "./api.js";
import { el } from "./el.js";
import { errorText } from "./errors.js";
import { fmtFull, fmtShape, fmtValue, isSummary, isTensor } from "./format.js";
import { t } from "./i18n.js";

/**
 * @param {HTMLElement|null} panel  #inspector (absent from /embed)
 */
export function createInspector(panel) {
  let model = null;
  let request = null; // the body of the request that gave `model`
  let selected = null;
  let complete = new Map(); // node id -> {value, grad} fetched in full for the current model
  let opener = null; // what had the focus when the details opened (a graph node after Enter)

  const item = (key, value, pre = false) => [el("dt", null, t(key)), el("dd", null, pre ? el("pre", null, value) : value)];
  /** A value or gradient row; a tensor's numbers take the panel's whole width, a summary wraps. */
  const numbers = (key, v) => {
    const row = item(key, fmtFull(v), true);
    if (isTensor(v)) row[1].className = "inspector-wide";
    if (isSummary(v)) row[1].firstChild.className = "inspector-summary";
    return row;
  };

  /** Show one node's details (a node not in the current graph hides the panel). */
  function show(id) {
    if (!panel || !model) return;
    const nd = model.nodes.get(id);
    if (!nd) return hide();
    if (selected !== id || panel.hidden) opener = document.activeElement;
    selected = id;
    const values = complete.get(id) ?? nd;
    const value = numbers("inspector.value", values.value);
    const grad = numbers("inspector.grad", values.grad);
    const summarized = isSummary(values.value) || isSummary(values.grad);
    panel.querySelector("#inspector-body").replaceChildren(
      ...item("inspector.label", nd.label),
      ...item("inspector.op", nd.kind === "op" ? `${nd.op}${nd.formula ? ` · ${nd.formula}` : ""}` : t(`kind.${nd.kind}`)),
      ...item("inspector.shape", fmtShape(nd.shape) || t("inspector.scalar")),
      ...value,
      ...grad,
      ...(summarized && request ? showAllRow(id, value[1].firstChild, grad[1].firstChild) : []),
    );
    panel.hidden = false;
    panel.dataset.id = id;
    // said aloud by screen readers: the panel itself appears silently
    const live = document.getElementById("inspector-live");
    if (live) live.textContent = t("inspector.announce", { label: nd.label, value: fmtValue(nd.value, nd.shape), grad: fmtValue(nd.grad, nd.shape) });
  }

  /** The "Show all values" button of a summarized node and the line that reports on it. */
  function showAllRow(id, valuePre, gradPre) {
    const button = el("button", { type: "button", class: "inspector-show-all" }, t("inspector.showAll"));
    const note = el("span", { class: "inspector-full-note", role: "status" });
    button.addEventListener("click", async () => {
      const asked = request;
      button.disabled = true;
      note.textContent = t("inspector.loadingAll");
      const r = await analyzeGraph({ ...asked, full: [id] });
      if (asked !== request || selected !== id) return; // a newer analysis or another node
      button.disabled = false;
      const nd = r.ok ? r.data.nodes.find((n) => n.id === id) : null;
      if (!nd) {
        note.textContent = t("inspector.fullError", { message: r.ok ? id : errorText(r.error) });
        return;
      }
      complete.set(id, { value: nd.value, grad: nd.grad });
      // updated in place: the health flags added below the details stay
      for (const [pre, v] of [[valuePre, nd.value], [gradPre, nd.grad]]) {
        pre.textContent = fmtFull(v);
        pre.className = isSummary(v) ? "inspector-summary" : "";
      }
      button.hidden = true;
      note.textContent = t("inspector.allShown");
    });
    return [el("dd", { class: "inspector-wide inspector-full" }, [button, note])];
  }

  function hide() {
    selected = null;
    if (panel) panel.hidden = true;
  }

  /** Closed by the reader: the focus goes back to where it was (the node), not to the page's top. */
  function close() {
    const back = panel?.contains(document.activeElement) ? opener : null;
    hide();
    if (back?.isConnected) back.focus({ preventScroll: true });
  }

  panel?.querySelector(".inspector-close")?.addEventListener("click", close);
  panel?.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });

  return {
    show,
    hide,
    /** @param {import("./panels.js").Analysis} analysis */
    update(analysis) {
      if (!analysis.model) return;
      model = analysis.model;
      request = analysis.request ?? null;
      complete = new Map();
      if (selected && model.nodes.has(selected)) show(selected);
      else hide();
    },
    relabel() {
      if (selected) show(selected);
    },
  };
}
