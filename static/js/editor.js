// The expression editor: a monospace textarea with a line-number gutter, the API's error
// shown in place under its line and column, debounced change events, and a scan for the
// free names (inputs) the values panel should list.
import { t } from "./i18n.js";

/** Wait this long after the last keystroke before re-analysing. */
export const DEBOUNCE_MS = 450;

const TOKEN = /(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(#[^\n]*)|(==|!=|<=|>=|\*\*)|(\S)|(\n)/g;

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

/** The API's message without a trailing "(line 2, column 23)": the editor says it already. */
const withoutPosition = (message) => message.replace(/\s*\(line \d+, col(umn)? \d+\)\s*$/, "");

/**
 * Wire the editor elements.
 * @param {{textarea: HTMLTextAreaElement, gutter: HTMLElement, error: HTMLElement}} els
 * @param {{onChange: (source: string) => void, onSubmit: (source: string) => void}} handlers
 *   onChange: debounced, after typing; onSubmit: Ctrl/Cmd+Enter
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
    textarea.rows = Math.max(4, Math.min(18, lines + 1));
    markErrorLine();
  }

  function markErrorLine() {
    [...gutter.children].forEach((div, i) => div.classList.toggle("error", !!lastError && lastError.line === i + 1));
  }

  textarea.addEventListener("input", () => {
    renderGutter();
    clearTimeout(timer);
    timer = setTimeout(() => handlers.onChange(textarea.value), DEBOUNCE_MS);
  });
  textarea.addEventListener("scroll", () => {
    gutter.scrollTop = textarea.scrollTop;
    positionError();
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      clearTimeout(timer);
      handlers.onSubmit(textarea.value);
    }
  });

  function positionError() {
    if (!lastError || !lastError.line) {
      error.style.top = "";
      return;
    }
    const style = getComputedStyle(textarea);
    const lineHeight = parseFloat(style.lineHeight) || 20;
    const padTop = parseFloat(style.paddingTop) || 0;
    const top = padTop + lastError.line * lineHeight - textarea.scrollTop + 2;
    error.style.top = `${Math.max(0, Math.min(top, textarea.clientHeight))}px`;
  }

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
     * Show an API error in place (or clear it with null).
     * @param {{code: string, message: string, line?: number, col?: number}|null} err
     */
    showError(err) {
      lastError = err;
      if (!err) {
        error.hidden = true;
        error.replaceChildren();
        delete error.dataset.line;
        textarea.removeAttribute("aria-invalid");
        markErrorLine();
        return;
      }
      const hasPos = Number.isInteger(err.line);
      const caret = document.createElement("span");
      caret.className = "caret";
      caret.textContent = hasPos ? " ".repeat(Math.max(0, (err.col ?? 1) - 1)) + "^" : "";
      const msg = document.createElement("span");
      msg.className = "msg";
      const kindKey = `error.${err.code}`;
      const kind = t(kindKey) === kindKey ? err.code : t(kindKey);
      msg.textContent = hasPos
        ? t("editor.errorAt", { line: err.line, col: err.col ?? 1, kind, message: withoutPosition(err.message) })
        : t("editor.error", { kind, message: err.message });
      error.replaceChildren(...(hasPos ? [caret, document.createElement("br")] : []), msg);
      error.dataset.code = err.code;
      if (hasPos) error.dataset.line = String(err.line);
      else delete error.dataset.line;
      error.hidden = false;
      textarea.setAttribute("aria-invalid", "true");
      // room under the line for the message, which sits over the following lines
      if (hasPos) textarea.rows = Math.max(textarea.rows, Math.min(24, err.line + 4));
      markErrorLine();
      positionError();
    },
  };
}
