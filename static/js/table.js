// The node table (a <details> below the graphs): every node with its operation, inputs, value
// and gradient, for reading the numbers without the picture. A panel (panels.js).
import { el } from "./el.js";
import { fmtValue } from "./format.js";
import { t } from "./i18n.js";

/**
 * @param {HTMLTableElement|null} table  #node-table (absent from /embed)
 * @returns {(import("./panels.js").Panel & {open: (id?: string) => void})|null}
 */
export function createNodeTable(table) {
  const tbody = table?.querySelector("tbody");
  if (!tbody) return null;
  let model = null;

  function render() {
    if (!model) return;
    const kind = (nd) => (nd.kind === "input" ? t("kind.input") : nd.kind === "const" ? t("kind.const") : nd.op);
    tbody.replaceChildren(
      ...model.order.map((id) => {
        const nd = model.nodes.get(id);
        return el(
          "tr",
          { dataset: { id } },
          el("th", { scope: "row", tabindex: "-1" }, nd.label),
          el("td", { class: "op" }, kind(nd)),
          el("td", { class: "inputs" }, nd.ins.map((e) => model.nodes.get(e.source).label).join(", ")),
          el("td", { class: "value" }, fmtValue(nd.value, nd.shape)),
          el("td", { class: "grad" }, fmtValue(nd.grad, nd.shape)),
        );
      }),
    );
  }

  return {
    /**
     * Open the table and put the focus on a node's row (T on a graph node).
     * @param {string} [id]
     */
    open(id) {
      const details = table.closest("details");
      if (details) details.open = true;
      const row = [...tbody.rows].find((tr) => tr.dataset.id === id) ?? tbody.rows[0];
      const target = row?.querySelector("th") ?? table;
      if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.focus();
    },
    update(analysis) {
      if (!analysis.model) return;
      model = analysis.model;
      render();
    },
    relabel: render,
  };
}
