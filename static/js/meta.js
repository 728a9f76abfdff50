// The server's registries (GET /api/meta), loaded once before any module that reads them runs
// (a top-level await): optimizers, datasets, limits, embed panels and how the grammar writes
// its operators. The front end keeps no copy of any of them.
import { fetchMeta } from "./api.js";

/**
 * @typedef {{optimizers: object[], default_optimizer: string, datasets: {name: string}[], limits: Record<string, number>,
 *            embed: {panels: string[], default: string[]},
 *            operators: {name: string, symbol: string, notation: "infix"|"prefix"|"postfix"|"subscript"}[]}} Meta
 */

// A page (or a test under Node) that already holds them says so with a global, as meta-inline.js reads.
const r = globalThis.chainruleMeta ? { ok: true, data: globalThis.chainruleMeta } : await fetchMeta();

/**
 * The registries; empty when the server could not be reached (the page then shows that error).
 * @type {Meta}
 */
export const META = r.ok
  ? r.data
  : { optimizers: [], default_optimizer: "", datasets: [], limits: {}, embed: { panels: [], default: [] }, operators: [] };
