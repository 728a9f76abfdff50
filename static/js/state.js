// The page state, declared once as a list of properties. Each property knows its URL key,
// its default and how to (de)serialize itself, so "state -> URL -> state" is one loop and a
// link restores the exact view. Handlers change state, then the page serializes and renders.

/**
 * @typedef {{name: string, key: string, default: any,
 *            encode: (v: any) => string, decode: (s: string) => any}} Property
 */

const str = { encode: (v) => String(v), decode: (s) => s };
const json = { encode: (v) => JSON.stringify(v), decode: (s) => JSON.parse(s) };
const int = { encode: (v) => String(v), decode: (s) => (/^-?\d+$/.test(s) ? Number(s) : undefined) };
const oneOf = (...allowed) => ({ encode: String, decode: (s) => (allowed.includes(s) ? s : undefined) });
const list = {
  encode: (v) => v.join(","),
  decode: (s) => (s === "" ? [] : s.split(",")),
};

/** @type {Property[]} */
export const PROPERTIES = [
  { name: "expression", key: "e", default: "", ...str },
  // name -> the text typed in the values panel (kept as typed, parsed on analyse)
  { name: "values", key: "v", default: {}, ...json },
  { name: "output", key: "o", default: "", ...str },
  { name: "view", key: "view", default: "forward", ...oneOf("forward", "backward") },
  { name: "mode", key: "mode", default: "none", ...oneOf("none", "forward", "backward") },
  { name: "step", key: "step", default: -1, ...int },
  { name: "collapsed", key: "c", default: [], ...list },
  { name: "lang", key: "lang", default: "", ...oneOf("", "en", "vi") },
  { name: "theme", key: "theme", default: "", ...oneOf("", "light", "dark") },
  // training panel (issue 4): params, optimizer {name, hyper...}, data, batch, steps, position
  { name: "trainParams", key: "tp", default: [], ...list },
  { name: "optimizer", key: "opt", default: { name: "sgd" }, ...json },
  { name: "trainData", key: "td", default: "", ...oneOf("", "csv", "linear", "sine", "moons", "xor", "spirals") },
  { name: "csv", key: "csv", default: "", ...str },
  { name: "batchSize", key: "bs", default: 0, ...int },
  { name: "trainSteps", key: "ts", default: 10, ...int },
  { name: "trainStep", key: "tk", default: -1, ...int },
  { name: "compare", key: "cmp", default: [], ...json },
];

/** Properties that are page preferences (also remembered in localStorage), not the graph. */
export const PREFERENCES = ["lang", "theme"];

/** @returns {Record<string, any>} a fresh state holding every default */
export function defaults() {
  return Object.fromEntries(PROPERTIES.map((p) => [p.name, structuredClone(p.default)]));
}

const isDefault = (p, v) => JSON.stringify(v) === JSON.stringify(p.default);

/**
 * Serialize the non-default properties to a query string (no leading "?").
 * @param {Record<string, any>} state
 * @returns {string}
 */
export function serialize(state) {
  const params = new URLSearchParams();
  for (const p of PROPERTIES) {
    const v = state[p.name];
    if (v === undefined || isDefault(p, v)) continue;
    params.set(p.key, p.encode(v));
  }
  return params.toString();
}

/**
 * Parse a query string into the properties it sets; invalid entries are ignored.
 * @param {string} search  with or without the leading "?"
 * @returns {Record<string, any>} only the properties present and valid
 */
export function parse(search) {
  const params = new URLSearchParams(search);
  const out = {};
  for (const p of PROPERTIES) {
    if (!params.has(p.key)) continue;
    try {
      const v = p.decode(params.get(p.key));
      if (v !== undefined) out[p.name] = v;
    } catch {
      // a damaged link loses that property, not the page
    }
  }
  return out;
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
