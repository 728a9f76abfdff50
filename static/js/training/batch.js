// The current mini-batch as a table: each row's data, its loss and its gradient, and the
// batch mean under them, so the batch gradient reads as the mean of per-example gradients.
import { fmtNumber, fmtValue } from "../format.js";
import { t } from "../i18n.js";
import { toNumber } from "./runs.js";

const MAX_ROWS = 64;

/**
 * Fill the batch table for a trajectory entry; returns false (nothing to show) without a batch.
 * @param {HTMLTableElement} table
 * @param {HTMLElement} caption  where the sentence about the batch goes
 * @param {Record<string, any>|null} entry  trajectory[k] (batch, example_losses, example_grads)
 * @param {Record<string, any[]>|null} columns  the whole data, for the rows' values
 * @param {number|null|undefined} dataRows
 * @returns {boolean}
 */
export function renderBatch(table, caption, entry, columns, dataRows) {
  if (!entry || !columns || (!entry.batch && !entry.example_losses)) {
    table.querySelector("thead").replaceChildren();
    table.querySelector("tbody").replaceChildren();
    table.querySelector("tfoot").replaceChildren();
    return false;
  }
  const rows = entry.batch ?? [...Array(entry.example_losses.length).keys()];
  const losses = entry.example_losses;
  const grads = entry.example_grads ?? {};
  const gradNames = Object.keys(grads).filter((p) => grads[p].every((g) => typeof g === "number"));
  const cols = Object.keys(columns);

  const headRow = document.createElement("tr");
  const heads = [t("train.batchRow"), ...cols, ...(losses ? [t("train.batchLoss")] : []), ...gradNames.map((p) => t("train.batchGrad", { name: p }))];
  headRow.append(...heads.map((h) => cell("th", h, { scope: "col" })));
  table.querySelector("thead").replaceChildren(headRow);

  const body = rows.slice(0, MAX_ROWS).map((row, i) => {
    const tr = document.createElement("tr");
    tr.dataset.row = String(row);
    tr.append(cell("th", String(row), { scope: "row" }));
    for (const c of cols) tr.append(cell("td", fmtValue(columns[c][row])));
    if (losses) tr.append(cell("td", fmtNumber(losses[i]), { className: "row-loss" }));
    for (const p of gradNames) tr.append(cell("td", fmtNumber(grads[p][i]), { className: "row-grad" }));
    return tr;
  });
  table.querySelector("tbody").replaceChildren(...body);

  const foot = document.createElement("tr");
  foot.append(cell("th", t("train.batchMean"), { scope: "row", colSpan: 1 + cols.length }));
  if (losses) foot.append(cell("td", fmtNumber(entry.loss), { className: "mean-loss" }));
  for (const p of gradNames) foot.append(cell("td", fmtNumber(entry.grads[p]), { className: "mean-grad" }));
  table.querySelector("tfoot").replaceChildren(...(losses || gradNames.length ? [foot] : []));

  const meanLoss = losses ? losses.map(toNumber).reduce((a, b) => a + b, 0) / losses.length : null;
  caption.textContent =
    t("train.batchCaption", { b: rows.length, n: dataRows ?? rows.length, rows: rows.slice(0, 12).join(", ") + (rows.length > 12 ? ", …" : "") }) +
    (!losses
      ? ` ${t("train.batchNoPerExample")}`
      : Math.abs(meanLoss - toNumber(entry.loss)) <= 1e-9 * Math.max(1, Math.abs(meanLoss))
        ? ` ${t("train.batchMeanNote", { mean: fmtNumber(meanLoss) })}`
        : ` ${t("train.batchNotMean")}`);
  return true;
}

function cell(tag, text, props = {}) {
  const el = document.createElement(tag);
  el.textContent = text;
  Object.assign(el, props);
  return el;
}
