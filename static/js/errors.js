// An API error in the student's language: the text is made from the error's `code` and
// `params` (see docs/api.md, "Error parameters"), never from the English `message`, which is
// only the fallback for a code or reason this page does not know. Which value field an
// error concerns is read from `params.field` ("values.W1" -> "W1").
import { t } from "./i18n.js";

/** A list of names as text: 'a', 'b' */
const quoted = (list) => (Array.isArray(list) ? list.map((x) => `'${x}'`).join(", ") : String(list ?? ""));

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
