// The registries of GET /api/meta for pages with no server to ask (the standalone HTML export,
// the notebook widget): the offline bundles (scripts/build-static.mjs) use this module in
// place of meta.js, and the page carries the registries inline, as a JSON <script> tag
// #chainrule-meta or a global set before the bundle runs.

const EMPTY = { optimizers: [], default_optimizer: "", datasets: [], limits: {}, embed: { panels: [], default: [] }, operators: [] };
const tag = globalThis.document?.getElementById("chainrule-meta");

/** @type {import("./meta.js").Meta} */
export const META = globalThis.chainruleMeta ?? (tag ? JSON.parse(tag.textContent) : EMPTY);
