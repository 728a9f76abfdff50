// The page state, declared once as a list of properties. Each property knows its URL key,
// its default and how to (de)serialize itself, so "state -> URL -> state" is one loop and a
// link restores the exact view. Handlers change state, then the page serializes and renders.
// Plain links stay readable (`?e=y+=+w*x...`); a query longer than COMPRESS_OVER characters
// becomes one `z=` parameter holding it lz-string-compressed. Serialization is generic over
// PROPERTIES: a new property only needs a codec (below), and every codec can produce a
// non-default `sample` so the URL round-trip test covers new properties by itself.
import { compressToEncodedURIComponent } from "../build/lz.mjs";
import { decompressBounded, TooLarge } from "./lz-bounded.js";
import { META } from "./meta.js";

/**
 * @typedef {{name: string, key: string, default: any,
 *            encode: (v: any) => string, decode: (s: string) => any,
 *            sample: (d: any) => any}} Property
 * `sample(default)` returns a valid value different from the default (for tests).
 */

const str = { encode: (v) => String(v), decode: (s) => s, sample: (d) => `${d}y = w*x + b # ü&=?%+,\nz = 2` };
const json = {
  encode: (v) => JSON.stringify(v),
  decode: (s) => JSON.parse(s),
  sample: (d) => {
    const extra = { "k é&=": [1, [2.5, -3e-7]], s: "a,b&c=d+e", ok: true, none: null };
    if (Array.isArray(d)) return [...d, extra, "x&y"];
    if (d && typeof d === "object") return { ...d, ...extra };
    return typeof d === "number" ? d + 1.5 : extra;
  },
};
/** Names -> the text typed for them; a link's non-text value (`{"x": 3}`) becomes its JSON text. */
const texts = {
  encode: json.encode,
  decode: (s) => {
    const v = JSON.parse(s);
    if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === "string" ? x : JSON.stringify(x)]));
  },
  sample: (d) => ({ ...d, "k é&=": "[1, [2.5, -3e-7]]", s: "a,b&c=d+e", w: "3" }),
};
const int = {
  encode: (v) => String(v),
  decode: (s) => (/^-?\d+$/.test(s) ? Number(s) : undefined),
  sample: (d) => d + 7,
};
/** A finite number (e.g. a learning rate). */
const num = {
  encode: (v) => String(v),
  decode: (s) => (s.trim() !== "" && Number.isFinite(Number(s)) ? Number(s) : undefined),
  sample: (d) => d * 0.5 + 0.125,
};
const bool = { encode: (v) => (v ? "1" : "0"), decode: (s) => (s === "1" ? true : s === "0" ? false : undefined), sample: (d) => !d };
const oneOf = (...allowed) => ({
  encode: String,
  decode: (s) => (allowed.includes(s) ? s : undefined),
  sample: (d) => allowed.find((a) => a !== d),
});
const list = {
  encode: (v) => v.join(","),
  decode: (s) => (s === "" ? [] : s.split(",")),
  sample: (d) => [...d, "n3", "n12"],
};
export const CODECS = { str, json, texts, int, num, bool, oneOf, list };

/** @type {Property[]} */
export const PROPERTIES = [
  { name: "expression", key: "e", default: "", ...str },
  // name -> the text typed in the values panel (kept as typed, parsed on analyse)
  { name: "values", key: "v", default: {}, ...texts },
  { name: "output", key: "o", default: "", ...str },
  { name: "view", key: "view", default: "forward", ...oneOf("forward", "backward") },
  { name: "mode", key: "mode", default: "none", ...oneOf("none", "forward", "backward") },
  { name: "step", key: "step", default: -1, ...int },
  { name: "collapsed", key: "c", default: [], ...list },
  { name: "lang", key: "lang", default: "", ...oneOf("", "en", "vi") },
  { name: "theme", key: "theme", default: "", ...oneOf("", "light", "dark") },
  { name: "mistake", key: "mk", default: "", ...oneOf("", "overwrite", "early_visit") },
  // training panel (issue 4): params, optimizer {name, hyper...}, data, batch, steps, position
  { name: "trainParams", key: "tp", default: [], ...list },
  // starts as the server's default optimizer (GET /api/meta), torch's defaults for its hyper-parameters
  { name: "optimizer", key: "opt", default: { name: META.default_optimizer }, ...json },
  // none, pasted CSV, or a built-in dataset of the server's registry (GET /api/meta)
  { name: "trainData", key: "td", default: "", ...oneOf("", "csv", ...META.datasets.map((d) => d.name)) },
  { name: "csv", key: "csv", default: "", ...str },
  { name: "batchSize", key: "bs", default: 0, ...int },
  { name: "trainSteps", key: "ts", default: 10, ...int },
  { name: "trainStep", key: "tk", default: -1, ...int },
  { name: "compare", key: "cmp", default: [], ...json },
  // practice mode (static/js/practice.js): on, which kinds of blanks, how many, drawn with which seed
  { name: "practice", key: "practice", default: false, ...bool },
  { name: "practiceAsk", key: "pask", default: ["local", "grad"], ...list },
  { name: "practiceCount", key: "pcount", default: 0, ...int },
  { name: "practiceSeed", key: "pseed", default: 0, ...int },
];

/** Properties that are page preferences (also remembered in localStorage), not the graph. */
export const PREFERENCES = ["lang", "theme"];

/** @returns {Record<string, any>} a fresh state holding every default */
export function defaults() {
  return Object.fromEntries(PROPERTIES.map((p) => [p.name, structuredClone(p.default)]));
}

const isDefault = (p, v) => JSON.stringify(v) === JSON.stringify(p.default);

/** A plain query longer than this many characters is compressed into `z=`. */
export const COMPRESS_OVER = 1500;
/** The query parameter holding the compressed query. */
export const COMPRESSED_KEY = "z";

// Characters left unescaped in plain links (legal in a query, harmless to linkifiers).
const READABLE = { "%2C": ",", "%3A": ":", "%2F": "/", "%3D": "=", "%40": "@", "%24": "$" };
const readable = (s) => encodeURIComponent(s).replace(/%20/g, "+").replace(/%(2C|3A|2F|3D|40|24)/g, (m) => READABLE[m]);

/**
 * Serialize the non-default properties to a query string (no leading "?"): plain and
 * readable, or `z=<lz-string>` when the plain one is longer than COMPRESS_OVER.
 * @param {Record<string, any>} state
 * @param {{compress?: boolean}} [options]  compress: false never compresses
 * @returns {string}
 */
export function serialize(state, { compress = true } = {}) {
  const parts = [];
  for (const p of PROPERTIES) {
    const v = state[p.name];
    if (v === undefined || isDefault(p, v)) continue;
    parts.push(`${readable(p.key)}=${readable(p.encode(v))}`);
  }
  const plain = parts.join("&");
  if (!compress || plain.length <= COMPRESS_OVER) return plain;
  return `${COMPRESSED_KEY}=${compressToEncodedURIComponent(plain)}`;
}

/**
 * What a link may hold, from the server's limits (GET /api/meta): a link is someone else's
 * text, so it must not make this page decompress gigabytes, start hundreds of trainings or
 * send what the server would refuse anyway. Missing limits (server unreachable) allow nothing.
 */
export const LINK_LIMITS = {
  /** characters of the query, once decompressed */
  chars: META.limits.max_link_chars ?? 0,
  /** entries of any list or object in the state (collapsed groups, params, values, ...) */
  entries: META.limits.max_link_list_entries ?? 0,
  /** optimizers compared side by side: each one is a training run */
  compare: META.limits.max_compare_runs ?? 0,
  /** characters of the expression (what POST /api/graph accepts) */
  expression: META.limits.max_expression_chars ?? 0,
};

/**
 * Parse a query string into the properties it sets; invalid entries are ignored. A `z=`
 * parameter is decompressed first; plain parameters beside it win.
 * @param {string} search  with or without the leading "?"
 * @returns {Record<string, any>} only the properties present and valid
 */
export function parse(search) {
  return parseLink(search).state;
}

/**
 * `parse`, bounded by LINK_LIMITS, with what was refused or cut: a link larger than the limit
 * opens nothing (`{code: "too_large", limit}`), a list past its cap keeps its first entries
 * (`{code: "truncated", name, count, limit}`), a longer expression than the server accepts is
 * dropped (`{code: "expression_too_long", count, limit}`).
 * @param {string} search
 * @returns {{state: Record<string, any>, problems: {code: string, [k: string]: any}[]}}
 */
export function parseLink(search) {
  const problems = [];
  const tooLarge = { state: {}, problems: [{ code: "too_large", limit: LINK_LIMITS.chars }] };
  if (search.length > LINK_LIMITS.chars) return tooLarge;
  const given = new URLSearchParams(search);
  const params = new URLSearchParams();
  const packed = given.get(COMPRESSED_KEY);
  if (packed) {
    try {
      for (const [k, v] of new URLSearchParams(decompressBounded(packed, LINK_LIMITS.chars) ?? "")) params.set(k, v);
    } catch (err) {
      if (err instanceof TooLarge) return tooLarge;
      // a damaged compressed link loses its state, not the page
    }
  }
  for (const [k, v] of given) if (k !== COMPRESSED_KEY) params.set(k, v);
  const out = {};
  for (const p of PROPERTIES) {
    if (!params.has(p.key)) continue;
    try {
      const v = p.decode(params.get(p.key));
      if (v !== undefined) out[p.name] = capped(p.name, v, problems);
    } catch {
      // a damaged link loses that property, not the page
    }
  }
  if (typeof out.expression === "string" && out.expression.length > LINK_LIMITS.expression) {
    problems.push({ code: "expression_too_long", count: out.expression.length, limit: LINK_LIMITS.expression });
    delete out.expression;
  }
  return { state: out, problems };
}

/** `value` with its lists and objects cut to their caps (each cut reported in `problems`). */
function capped(name, value, problems) {
  const limit = name === "compare" ? LINK_LIMITS.compare : LINK_LIMITS.entries;
  if (Array.isArray(value)) {
    if (value.length <= limit) return value;
    problems.push({ code: "truncated", name, count: value.length, limit });
    return value.slice(0, limit);
  }
  if (value && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length <= limit) return value;
    problems.push({ code: "truncated", name, count: entries.length, limit });
    return Object.fromEntries(entries.slice(0, limit));
  }
  return value;
}

/**
 * A tiny store: `set` merges a patch and tells subscribers which properties changed.
 * @param {Record<string, any>} initial
 */
export function createStore(initial) {
  let state = { ...defaults(), ...initial };
  const listeners = new Set();
  return {
    /** @returns {Record<string, any>} the current state (treat as read-only) */
    get: () => state,
    /**
     * @param {Record<string, any>} patch
     */
    set(patch) {
      const changed = Object.keys(patch).filter((k) => JSON.stringify(state[k]) !== JSON.stringify(patch[k]));
      if (changed.length === 0) return;
      state = { ...state, ...patch };
      for (const fn of listeners) fn(state, new Set(changed));
    },
    /** @param {(state: Record<string, any>, changed: Set<string>) => void} fn */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
