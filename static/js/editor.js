// The expression editor: a monospace textarea with a line-number gutter and a bounded
// height (long programs scroll), the API's error shown UNDER the editor (the line quoted
// with a caret at its column, the gutter marking the line; never over the code), debounced
// change events, and a scan for the free names (inputs) the values panel should list.
import { el } from "./el.js";
import { errorText } from "./errors.js";
import { t } from "./i18n.js";

/** Wait this long after the last keystroke before re-analysing. */
export const DEBOUNCE_MS = 450;
/** The editor grows with its text up to this many lines, then scrolls. */
export const MAX_ROWS = 18;

// Names as the server's parser reads them (Python's `[^\W\d]\w*`): any letter, `_` or
// non-decimal number first, then letters, numbers, `_`; so `lösung` and `ŷ` are one name each.
const TOKEN = /(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([\p{L}\p{Nl}\p{No}_][\p{L}\p{N}_]*)|(#[^\n]*)|(==|!=|<=|>=|\*\*)|(\S)|(\n)/gu;

/**
 * Names an expression reads before (or without) assigning them, in order of appearance.
 * Keyword arguments (`axis=`), attributes (`x.T`) and called names are not inputs.
 * @param {string} source
 * @param {Set<string>} [functions]  known function names
 * @returns {string[]}
 */
export function freeNames(source, functions = new Set()) {
  const tokens = [];
  for (const m of source.matchAll(TOKEN)) {
    if (m[3]) continue; // comment
    tokens.push(m[2] ? { type: "name", text: m[2] } : m[6] ? { type: "nl", text: ";" } : { type: "p", text: m[0] });
  }
  const assigned = new Set();
  const free = [];
  let statementStart = true;
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (tok.type === "nl" || (tok.text === ";" && depth === 0)) {
      statementStart = true;
      continue;
    }
    if (tok.text === "(" || tok.text === "[") depth++;
    if (tok.text === ")" || tok.text === "]") depth = Math.max(0, depth - 1);
    if (tok.type !== "name") {
      statementStart = false;
      continue;
    }
    const next = tokens[i + 1]?.text;
    const prev = tokens[i - 1]?.text;
    const wasStart = statementStart;
    statementStart = false;
    if (wasStart && next === "=") {
      assigned.add(tok.text);
      i++;
      continue;
    }
    if (prev === "." || next === "(" || (next === "=" && depth > 0)) continue;
    if (functions.has(tok.text) && next !== "=") continue;
    if (!assigned.has(tok.text) && !free.includes(tok.text)) free.push(tok.text);
  }
  return free;
}

/**
 * Wire the editor elements.
 * @param {{textarea: HTMLTextAreaElement, gutter: HTMLElement, error: HTMLElement}} els
 * @param {{onChange: (source: string) => void, onSubmit: (source: string) => void, onEdit?: () => void}} handlers
 *   onChange: debounced, after typing; onSubmit: Ctrl/Cmd+Enter; onEdit: at once on every
 *   keystroke (what is shown no longer matches the text)
 */
export function createEditor(els, handlers) {
  const { textarea, gutter, error } = els;
  let timer = null;
  let lastError = null;

  function renderGutter() {
    const lines = textarea.value.split("\n").length;
    if (gutter.childElementCount !== lines) {
      gutter.replaceChildren(
        ...Array.from({ length: lines }, (_, i) => {
          const div = document.createElement("div");
          div.textContent = String(i + 1);
          return div;
        }),
      );
    }
    textarea.rows = Math.max(4, Math.min(MAX_ROWS, lines + 1));
    markErrorLine();
  }

  function markErrorLine() {
    [...gutter.children].forEach((div, i) => div.classList.toggle("error", !!lastError && lastError.line === i + 1));
  }

  textarea.addEventListener("input", () => {
    renderGutter();
    handlers.onEdit?.();
    clearTimeout(timer);
    timer = setTimeout(() => handlers.onChange(textarea.value), DEBOUNCE_MS);
  });
  textarea.addEventListener("scroll", () => {
    gutter.scrollTop = textarea.scrollTop;
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      clearTimeout(timer);
      handlers.onSubmit(textarea.value);
    }
  });

  return {
    /** @returns {string} */
    get value() {
      return textarea.value;
    },
    /** Replace the text (no change event). @param {string} source */
    set value(source) {
      textarea.value = source;
      renderGutter();
    },
    /** Cancel a pending debounced change. */
    flush() {
      clearTimeout(timer);
    },
    /**
     * Show an API error under the editor (or clear it with null). Errors about a value
     * belong beside that value (the values panel), not here: main.js decides.
     * @param {{code: string, message: string, line?: number, col?: number, params?: object}|null} err
     */
    showError(err) {
      lastError = err;
      if (!err) {
        error.hidden = true;
        error.replaceChildren();
        delete error.dataset.line;
        delete error.dataset.code;
        textarea.removeAttribute("aria-invalid");
        markErrorLine();
        return;
      }
      const hasPos = Number.isInteger(err.line);
      const children = [];
      if (hasPos) {
        // the line itself, with a caret under the column: the code above stays uncovered
        const source = textarea.value.split("\n")[err.line - 1] ?? "";
        const col = Math.max(1, Math.min(err.col ?? 1, source.length + 1));
        children.push(
          el("span", { class: "quote" }, `${err.line} │ ${source}`),
          el("span", { class: "caret" }, `${" ".repeat(String(err.line).length + 3 + col - 1)}^`),
        );
      }
      const message = errorText(err);
      children.push(el("span", { class: "msg" }, hasPos ? t("editor.errorAt", { line: err.line, col: err.col ?? 1, message }) : t("editor.error", { message })));
      error.replaceChildren(...children);
      error.dataset.code = err.code;
      if (hasPos) error.dataset.line = String(err.line);
      else delete error.dataset.line;
      error.hidden = false;
      textarea.setAttribute("aria-invalid", "true");
      markErrorLine();
    },
  };
}
