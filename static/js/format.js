// Formatting of API values (numbers, "NaN"/"Infinity" strings, nested-list tensors) for
// text and for TeX. Pure functions.

/**
 * Is this value the API's summary of a large tensor ({summary: true, shape, min, max, mean,
 * preview})?
 * @param {any} v
 */
export const isSummary = (v) => v !== null && typeof v === "object" && v.summary === true;

/**
 * Is this value a tensor (nested list, or a summary of one) rather than a scalar?
 * @param {any} v
 */
export const isTensor = (v) => Array.isArray(v) || isSummary(v);

/**
 * A number in at most `digits` significant digits, without trailing zeros; the API's
 * non-finite strings pass through.
 * @param {number|string|null|undefined} v
 * @param {number} [digits]
 * @returns {string}
 */
export function fmtNumber(v, digits = 4) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "string") return v === "Infinity" ? "∞" : v === "-Infinity" ? "−∞" : v;
  if (typeof v === "boolean") return v ? "1" : "0";
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) {
    const [m, e] = v.toExponential(digits - 1).split("e");
    return `${trimZeros(m)}e${e.replace("+", "")}`;
  }
  return trimZeros(v.toPrecision(digits));
}

function trimZeros(s) {
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

/**
 * "2×3" for a shape list; "" for a scalar.
 * @param {number[]|undefined} shape
 */
export const fmtShape = (shape) => (shape && shape.length ? shape.join("×") : "");

/**
 * Short text for any value: a number, or shape plus a preview for tensors.
 * @param {any} v
 * @param {number[]} [shape]
 */
export function fmtValue(v, shape) {
  if (!isTensor(v)) return fmtNumber(v);
  const s = fmtShape(shape ?? inferShape(v));
  const flat = flatten(v);
  const head = flat.slice(0, 3).map((x) => fmtNumber(x, 3)).join(", ");
  return `[${s}] ${head}${flat.length > 3 ? ", …" : ""}`;
}

/**
 * Full text of a value (tensors as nested lists), bounded so a huge tensor cannot hang the page.
 * @param {any} v
 * @param {number} [maxChars]
 */
export function fmtFull(v, maxChars = 20000) {
  if (isSummary(v)) {
    const head = v.preview.map((x) => fmtNumber(x, 6)).join(", ");
    return `[${fmtShape(v.shape)}] min ${fmtNumber(v.min, 6)}, max ${fmtNumber(v.max, 6)}, ` +
      `mean ${fmtNumber(v.mean, 6)}; ${head}, …`;
  }
  let out = "";
  const walk = (x, depth) => {
    if (out.length > maxChars) return;
    if (!Array.isArray(x)) {
      out += fmtNumber(x, 6);
      return;
    }
    out += "[";
    x.forEach((y, i) => {
      if (i) out += Array.isArray(y) ? ",\n" + " ".repeat(depth + 1) : ", ";
      walk(y, depth + 1);
    });
    out += "]";
  };
  walk(v, 0);
  return out.length > maxChars ? out.slice(0, maxChars) + " …" : out;
}

/** @param {any} v @returns {number[]} */
export function inferShape(v) {
  if (isSummary(v)) return v.shape;
  const shape = [];
  let x = v;
  while (Array.isArray(x)) {
    shape.push(x.length);
    x = x[0];
  }
  return shape;
}

/** @param {any} v @returns {(number|string)[]} all elements, row-major (a summary: its preview) */
export function flatten(v) {
  if (isSummary(v)) return v.preview;
  return Array.isArray(v) ? v.flat(Infinity) : [v];
}

/** Numeric view of an element ("NaN" etc. become numbers). */
export const num = (x) => (typeof x === "number" ? x : x === "Infinity" ? Infinity : x === "-Infinity" ? -Infinity : NaN);

/**
 * A tensor as a small grid for a heatmap: at most maxRows × maxCols cells sampled
 * from the (rows × last-axis) matrix view.
 * @param {any} v
 * @param {number} [maxRows]
 * @param {number} [maxCols]
 * @returns {{rows: number, cols: number, cells: number[], maxAbs: number}}
 */
export function heatmapGrid(v, maxRows = 6, maxCols = 8) {
  if (isSummary(v)) {  // only the leading elements are known: one row of them
    const cells = v.preview.slice(0, maxCols).map(num);
    const finite = cells.filter(Number.isFinite).map(Math.abs);
    return { rows: 1, cols: cells.length, cells, maxAbs: finite.length ? Math.max(...finite) : 0 };
  }
  const shape = inferShape(v);
  const flat = flatten(v).map(num);
  const cols0 = shape.length ? shape[shape.length - 1] : 1;
  const rows0 = Math.max(1, cols0 ? flat.length / cols0 : 1);
  const rows = Math.min(rows0, maxRows);
  const cols = Math.min(cols0 || 1, maxCols);
  const cells = [];
  let maxAbs = 0;
  for (let r = 0; r < rows; r++) {
    const sr = Math.floor((r * rows0) / rows);
    for (let c = 0; c < cols; c++) {
      const sc = Math.floor((c * cols0) / cols);
      const x = flat[sr * cols0 + sc] ?? NaN;
      cells.push(x);
      if (Number.isFinite(x)) maxAbs = Math.max(maxAbs, Math.abs(x));
    }
  }
  return { rows, cols, cells, maxAbs };
}

/**
 * Magnitude of a gradient for colouring: |g| for scalars, max |g_i| for tensors.
 * @param {any} g
 */
export function gradMagnitude(g) {
  if (g === null || g === undefined) return NaN;
  if (isSummary(g)) return g.non_finite ? NaN : Math.max(Math.abs(num(g.min)), Math.abs(num(g.max)));
  let m = 0;
  for (const x of flatten(g)) {
    const a = Math.abs(num(x));
    if (Number.isNaN(a)) return NaN;
    m = Math.max(m, a);
  }
  return m;
}

/**
 * The range of log10 |gradient| over a graph's nodes, for the colour scale.
 * @param {Iterable<{grad: any}>} nodes
 * @returns {{minLog: number, maxLog: number}} (0, 1) when no gradient is positive and finite
 */
export function gradLogRange(nodes) {
  let minLog = Infinity;
  let maxLog = -Infinity;
  for (const nd of nodes) {
    const m = gradMagnitude(nd.grad);
    if (m > 0 && Number.isFinite(m)) {
      minLog = Math.min(minLog, Math.log10(m));
      maxLog = Math.max(maxLog, Math.log10(m));
    }
  }
  return Number.isFinite(minLog) ? { minLog, maxLog } : { minLog: 0, maxLog: 1 };
}

// ---------------------------------------------------------------- TeX (for KaTeX, trust: false)

const TEX_TEXT_ESCAPES = {
  "\\": "\\textbackslash{}",
  "{": "\\{",
  "}": "\\}",
  $: "\\$",
  "&": "\\&",
  "#": "\\#",
  "^": "\\textasciicircum{}",
  _: "\\_",
  "%": "\\%",
  "~": "\\textasciitilde{}",
};

/**
 * User or API text as a TeX \text{...}: TeX specials escaped, anything outside a
 * conservative character set dropped, so it can never become a command.
 * @param {string} s
 * @returns {string}
 */
export function texText(s) {
  let out = "";
  for (const ch of String(s)) {
    if (ch in TEX_TEXT_ESCAPES) out += TEX_TEXT_ESCAPES[ch];
    else if (/[\p{L}\p{N} +\-*/().,:;=<>!?'|[\]@·×−]/u.test(ch)) out += ch;
    else out += "?";
  }
  return `\\text{${out}}`;
}

/**
 * `tex` with the words of its \\text{…} groups (texText) apart, a line break allowed between
 * them: inline KaTeX breaks a line only after a relation or an operator, so a long sentence in
 * a formula (an embedding's local gradient) could only be cut or shrunk unreadably.
 * @param {string} tex
 */
export function breakableTex(tex) {
  let out = "";
  let at = 0;
  for (;;) {
    const start = tex.indexOf("\\text{", at);
    if (start < 0) return out + tex.slice(at);
    let depth = 1;
    let i = start + 6;
    while (i < tex.length && depth > 0) {
      if (tex[i] === "\\") i += 2; // an escaped character (\{, \}) or a command's first letter
      else {
        if (tex[i] === "{") depth++;
        else if (tex[i] === "}") depth--;
        i++;
      }
    }
    const words = tex.slice(start + 6, i - 1).split(" ");
    out += tex.slice(at, start) + words.map((w, k) => `\\text{${w}${k < words.length - 1 ? " " : ""}}`).join("\\allowbreak ");
    at = i;
  }
}

/**
 * An identifier or label in math mode: plain names ("w", "y_true", "x1") get a proper
 * subscript-free upright rendering; anything else goes through texText.
 * @param {string} s
 */
export function texName(s) {
  if (/^[A-Za-z][A-Za-z0-9]*$/.test(s)) return s.length === 1 ? s : `\\mathrm{${s}}`;
  return texText(s);
}

/**
 * A value in math mode: numbers validated by pattern, tensors as their shape.
 * @param {any} v
 * @param {number[]} [shape]
 * @param {boolean} [paren]  wrap negative numbers in parentheses (inside products)
 */
export function texValue(v, shape, paren = true) {
  if (isTensor(v)) return `\\text{[${fmtShape(shape ?? inferShape(v)) || "·"}]}`;
  const s = fmtNumber(v);
  if (/^-?\d+(\.\d+)?(e-?\d+)?$/.test(s)) {
    const [m, e] = s.split("e");
    const core = paren && m.startsWith("-") ? `(${m})` : m;
    return e ? `${core}\\cdot 10^{${e}}` : core;
  }
  return texText(s);
}
