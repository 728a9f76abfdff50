// The values panel: one row per free name, each a number, a tensor (JSON nested list) or an
// initializer ({"init": ...}). Keeps what the user typed as text; parses on request.
import { el } from "./el.js";
import { errorText, valueField } from "./errors.js";
import { t } from "./i18n.js";

const TEMPLATES = {
  number: "1",
  tensor: "[[1, 2], [3, 4]]",
  init: '{"init": "normal", "shape": [3], "scale": 0.1, "seed": 0}',
};

/**
 * Parse one typed value.
 * @param {string} text
 * @returns {{ok: true, value: any, kind: "number"|"tensor"|"init"} | {ok: false, empty: boolean}}
 */
export function parseValue(text) {
  const s = text.trim();
  if (s === "") return { ok: false, empty: true };
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return { ok: true, value: Number(s), kind: "number" };
  if (s.startsWith("[") || s.startsWith("{")) {
    try {
      const v = JSON.parse(s);
      if (Array.isArray(v)) return { ok: true, value: v, kind: "tensor" };
      if (v && typeof v === "object" && typeof v.init === "string") return { ok: true, value: v, kind: "init" };
    } catch {
      // fall through
    }
  }
  return { ok: false, empty: false };
}

/**
 * Kind of a typed value for the kind selector.
 * @param {string} text
 */
export function kindOf(text) {
  const p = parseValue(text);
  if (p.ok) return p.kind;
  const s = text.trim();
  return s.startsWith("{") ? "init" : s.startsWith("[") ? "tensor" : "number";
}

/**
 * Wire the values panel.
 * @param {HTMLElement} container
 * @param {{onChange: (texts: Record<string, string>) => void, onSubmit: () => void}} handlers
 */
export function createValuesPanel(container, handlers) {
  /** @type {Record<string, string>} */
  let texts = {};
  let names = [];
  let missing = new Set();
  /** name with no value -> the given name it is probably a typo of (the API's suggestions) */
  let typos = {};
  /** name -> the API's error about that value (said in the student's language when drawn) */
  let fieldErrors = {};
  let timer = null;

  function render() {
    if (!names.length) {
      container.replaceChildren(el("p", { class: "help" }, t("values.none")));
      return;
    }
    const rows = names.map((name) => {
      const id = `value-${name}`;
      const kind = el(
        "select",
        { class: "value-kind", "aria-label": t("values.kind", { name }) },
        ["number", "tensor", "init"].map((k) => el("option", { value: k }, t(`values.${k}`))),
      );
      kind.value = kindOf(texts[name] ?? "");
      const note = el("span", { class: "value-note", id: `${id}-note` });
      const input = el("input", {
        type: "text",
        id,
        class: "value-input",
        spellcheck: false,
        autocomplete: "off",
        value: texts[name] ?? "",
        "aria-label": t("values.valueFor", { name }),
        "aria-describedby": note.id,
      });
      const validate = () => {
        const p = parseValue(input.value);
        const bad = !p.ok && !p.empty;
        const need = !p.ok && !!p.empty && missing.has(name);
        const said = fieldErrors[name];
        input.classList.toggle("invalid", bad || need || !!said);
        input.toggleAttribute("aria-invalid", bad || !!said);
        const missingNote = typos[name] ? t("values.typo", { given: typos[name] }) : t("values.missing");
        note.textContent = bad ? t("values.invalid") : said ? errorText(said) : need ? missingNote : "";
        if (p.ok) kind.value = p.kind;
      };
      validate();
      input.addEventListener("input", () => {
        texts = { ...texts, [name]: input.value };
        delete fieldErrors[name];
        validate();
        clearTimeout(timer);
        timer = setTimeout(() => handlers.onChange({ ...texts }), 400);
      });
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          clearTimeout(timer);
          handlers.onChange({ ...texts });
          handlers.onSubmit();
        }
      });
      kind.addEventListener("change", () => {
        if (kindOf(input.value) === kind.value) return;
        input.value = TEMPLATES[kind.value];
        texts = { ...texts, [name]: input.value };
        validate();
        handlers.onChange({ ...texts });
        input.focus();
      });
      return el("div", { class: "value-row", dataset: { name } }, el("label", { htmlFor: id, class: "value-name" }, name), kind, input, note);
    });
    container.replaceChildren(...rows);
  }

  const panel = {
    /**
     * Show these names with these typed texts.
     * @param {string[]} newNames
     * @param {Record<string, string>} newTexts
     */
    set(newNames, newTexts) {
      const focused = document.activeElement?.closest?.(".value-row")?.dataset.name;
      const caret = document.activeElement?.selectionStart;
      names = newNames;
      texts = { ...newTexts };
      render();
      if (focused && names.includes(focused)) {
        const input = container.querySelector(`.value-row[data-name="${CSS.escape(focused)}"] input`);
        input?.focus();
        if (typeof caret === "number") input?.setSelectionRange(caret, caret);
      }
    },
    /**
     * After an analysis: a "missing value" error marks the shown names that have none.
     * @param {import("./panels.js").Analysis} analysis
     */
    update(analysis) {
      const err = analysis.error;
      const now = err?.code === "missing_value" ? names.filter((n) => !parseValue(texts[n] ?? "").ok || err.params?.names?.includes(n)) : [];
      const field = valueField(err);
      const said = field && names.includes(field) ? { [field]: err } : {};
      if (now.length === 0 && missing.size === 0 && !field && !Object.keys(fieldErrors).length) return;
      missing = new Set(now);
      const suggested = err?.code === "missing_value" ? err.params?.suggestions : null;
      typos = suggested && !Array.isArray(suggested) ? suggested : {};
      fieldErrors = said;
      panel.set(names, texts);
    },
    /** The values to send (panels.js `state`). */
    state() {
      return { values: panel.values() };
    },
    /** Re-render labels in the current language. */
    relabel: () => render(),
    /**
     * The values to send: parsed entries for the listed names; unparsable ones are left out
     * (the API then names them as missing).
     * @returns {Record<string, any>}
     */
    values() {
      const out = {};
      let incomplete = false;
      for (const name of names) {
        const p = parseValue(texts[name] ?? "");
        if (p.ok) out[name] = p.value;
        else incomplete = true;
      }
      // a name without a value may be a typo of one typed before (y_ture for y_true): those
      // go along too, so that the API's missing-value error can name it (params.suggestions)
      if (incomplete) {
        for (const [name, text] of Object.entries(texts)) {
          const p = name in out ? null : parseValue(text);
          if (p?.ok) out[name] = p.value;
        }
      }
      return out;
    },
  };
  return panel;
}
