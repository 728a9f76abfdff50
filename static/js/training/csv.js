// CSV pasted in the training panel -> the `data` columns of a train request. Pure.
// A header row names the columns; `X[0], X[1]` columns are stacked into one column X of
// rows [x0, x1] (a 2-D input), the others stay 1-D arrays of numbers.

import { META } from "../meta.js";

const INDEXED = /^([A-Za-z_]\w*)\[(\d+)\]$/;
const NAME = /^[A-Za-z_]\w*$/;
/** As many rows as a generated dataset may have (CHAINRULE_MAX_DATASET_ROWS). */
const MAX_ROWS = META.limits.max_dataset_rows;

/**
 * Parse pasted CSV (comma, semicolon or tab separated; `#` comment lines ignored).
 * @param {string} text
 * @returns {{ok: true, columns: Record<string, any[]>, rows: number}
 *          | {ok: false, error: {key: string, params: Record<string, string|number>}}}
 *   errors name an i18n key (train.csv*) and its parameters
 */
export function parseCsv(text) {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  if (lines.length < 2) return fail("train.csvEmpty");
  const sep = [",", ";", "\t"].find((s) => lines[0].includes(s)) ?? ",";
  const header = lines[0].split(sep).map((h) => h.trim());
  for (const h of header) {
    if (!NAME.test(h) && !INDEXED.test(h)) return fail("train.csvBadName", { name: h });
  }
  if (new Set(header).size !== header.length) return fail("train.csvDuplicate");
  if (lines.length - 1 > MAX_ROWS) return fail("train.csvTooLong", { max: MAX_ROWS });
  const cells = [];
  for (let r = 1; r < lines.length; r++) {
    const parts = lines[r].split(sep).map((c) => c.trim());
    if (parts.length !== header.length) return fail("train.csvRagged", { row: r + 1, n: parts.length, m: header.length });
    const nums = parts.map(Number);
    const bad = parts.findIndex((c, i) => c === "" || !Number.isFinite(nums[i]));
    if (bad >= 0) return fail("train.csvNotNumber", { row: r + 1, value: parts[bad] });
    cells.push(nums);
  }
  /** @type {Record<string, any[]>} */
  const columns = {};
  const stacked = new Map(); // name -> [[index, column position]]
  header.forEach((h, i) => {
    const m = INDEXED.exec(h);
    if (m) {
      if (!stacked.has(m[1])) stacked.set(m[1], []);
      stacked.get(m[1]).push([Number(m[2]), i]);
    } else columns[h] = cells.map((row) => row[i]);
  });
  for (const [name, parts] of stacked) {
    if (name in columns) return fail("train.csvDuplicate");
    parts.sort((a, b) => a[0] - b[0]);
    if (parts.some(([k], j) => k !== j)) return fail("train.csvIndices", { name });
    columns[name] = cells.map((row) => parts.map(([, i]) => row[i]));
  }
  return { ok: true, columns, rows: cells.length };
}

function fail(key, params = {}) {
  return { ok: false, error: { key, params } };
}
