// An API error or warning in the student's language: the text is made from its `code` and
// `params` (see docs/api.md, "Error parameters" and "Warning parameters"), never from the
// English `message`, which is only the fallback for a code or reason this page does not know
// (and the English page's text of a warning: the server's templates are its one source).
// Which value field an error concerns is read from `params.field` ("values.W1" -> "W1").
import { fmtNumber } from "./format.js";
import { t } from "./i18n.js";

/** A list of names as text: 'a', 'b' */
const quoted = (list) => (Array.isArray(list) ? list.map((x) => `'${x}'`).join(", ") : String(list ?? ""));

/** A shape as the API writes it: [2, 3] */
const shapeText = (shape) => `[${shape.join(", ")}]`;

/** The message without a trailing "(line 2, column 23)": the editor shows the position itself. */
export const withoutPosition = (message) => String(message ?? "").replace(/\s*\(line \d+, col(umn)? \d+\)\s*$/, "");

/**
 * The value name an error is about, or null.
 * @param {{params?: {field?: string}}|null} err
 * @returns {string|null}
 */
export function valueField(err) {
  const m = /^values\.([^.]+)/.exec(err?.params?.field ?? "");
  return m ? m[1] : null;
}

/** Look a key up, or null when this language (and English) do not have it. */
function known(key, params) {
  const s = t(key, params);
  return s === key ? null : s;
}

/**
 * The error as one sentence in the current language.
 * @param {{code: string, message: string, params?: Record<string, any>}} err
 * @returns {string}
 */
export function errorText(err) {
  const p = err.params ?? {};
  const field = valueField(err) ?? String(p.field ?? "").replace(/^values\./, "");
  const params = {
    ...p,
    field,
    name: p.name ?? "",
    names: quoted(p.names),
    known: Array.isArray(p.known) ? p.known.join(", ") : p.known ?? "",
    allowed: Array.isArray(p.allowed) ? p.allowed.join(", ") : p.allowed ?? "",
    got: typeof p.got === "string" ? p.got : JSON.stringify(p.got ?? ""),
    detail: withoutPosition(err.message),
    ...shapeParams(p.shapes),
    ...(Array.isArray(p.target) ? { target: shapeText(p.target) } : {}),
  };
  const reasonKey = p.reason ? `err.${err.code}.${p.reason}` : null;
  let text = (reasonKey && known(reasonKey, params)) ?? (err.params ? known(`err.${err.code}`, params) : null);
  if (text === null) {
    // a code or reason new to this page: its kind in our words, then the API's English
    const kind = known(`error.${err.code}`, {}) ?? err.code;
    return t("err.fallback", { kind, message: withoutPosition(err.message) });
  }
  if (Array.isArray(p.suggestions) && p.suggestions.length) text += " " + t("err.didYouMean", { list: quoted(p.suggestions) });
  else if (p.suggestions && typeof p.suggestions === "object" && !Array.isArray(p.suggestions)) {
    const pairs = Object.entries(p.suggestions).map(([missing, given]) => t("err.givenAs", { missing, given }));
    if (pairs.length) text += " " + pairs.join(" ");
  }
  return text;
}

/**
 * A shape error's operands: all of them (`shapes`), the two sides of a matrix product
 * (`left`, `right`) and the dimensions that must agree there (`k` columns, `m` rows).
 * @param {number[][]|undefined} shapes
 */
function shapeParams(shapes) {
  if (!Array.isArray(shapes)) return {};
  const [a = [], b = []] = shapes;
  return {
    shapes: shapes.map(shapeText).join(", "),
    left: shapeText(a),
    right: shapeText(b),
    k: a.at(-1) ?? "",
    m: (b.length > 1 ? b.at(-2) : b[0]) ?? "",
  };
}

/** A warning's parameter as text: names quoted, shapes in brackets, numbers as the page writes them. */
function warningParam(key, value) {
  if (key === "shape" && Array.isArray(value)) return shapeText(value);
  if (key === "op" && (value === "input" || value === "const")) return t(`kind.${value}`); // a node kind, not an op
  if (Array.isArray(value)) return quoted(value);
  if (typeof value === "number" && !Number.isInteger(value)) return fmtNumber(value);
  return value;
}

/**
 * A warning of the API (an entry of `warning_details`) as one sentence in the current
 * language: `warn.<code>` from the strings, or the server's English text.
 * @param {{code: string, params?: Record<string, any>, message: string}} w
 * @returns {string}
 */
export function warningText(w) {
  const params = Object.fromEntries(Object.entries(w.params ?? {}).map(([k, v]) => [k, warningParam(k, v)]));
  return known(`warn.${w.code}`, { ...params, message: w.message }) ?? w.message;
}

/**
 * The warnings of a response, translated: from `warning_details` where the server sends
 * them, else its plain `warnings`.
 * @param {{warnings?: string[], warning_details?: {code: string, params?: object, message: string}[]}} data
 * @returns {string[]}
 */
export function warningTexts(data) {
  const details = data?.warning_details;
  return Array.isArray(details) && details.length ? details.map(warningText) : (data?.warnings ?? []);
}
