// The server's registries (GET /api/meta), loaded once before any module that reads them runs
// (a top-level await): optimizers, datasets, limits, embed panels and how the grammar writes
// its operators. The front end keeps no copy of any of them.
import { fetchMeta } from "./api.js";

/**
 * @typedef {{optimizers: object[], default_optimizer: string, datasets: {name: string}[], limits: Record<string, number>,
 *            embed: {panels: string[], default: string[]},
 *            operators: {name: string, symbol: string, notation: "infix"|"prefix"|"postfix"|"subscript"}[]}} Meta
 */

// A page that already holds them carries them as the JSON tag #chainrule-meta (the server's
// pages) or a global (a test under Node), as meta-inline.js reads them.
const r = inlineMeta() ?? await fetchMeta();

function inlineMeta() {
  if (globalThis.chainruleMeta) return { ok: true, data: globalThis.chainruleMeta };
  const tag = globalThis.document?.getElementById("chainrule-meta");
  return tag ? { ok: true, data: JSON.parse(tag.textContent) } : null;
}

/**
 * The registries; empty when the server could not be reached (the page then shows that error).
 * @type {Meta}
 */
export const META = r.ok
  ? r.data
  : { optimizers: [], default_optimizer: "", datasets: [], limits: {}, embed: { panels: [], default: [] }, operators: [] };
