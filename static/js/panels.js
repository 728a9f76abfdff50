// The panel interface. A panel is one part of the page around the graphs (values, training,
// node table, inspector, warnings, gradient check, ...): its own module exports a factory
// `createXPanel(root, host)` that returns an object with any of these three methods.
// main.js keeps them in one list and loops over it, so it never learns what a panel does.
//
//   update(analysis)  after every analysis, successful or not (see Analysis below). The panel
//                     redraws from it; on an error it keeps what it showed (or marks it stale).
//   relabel(lang)     the language changed: re-render every text (i18n.t already speaks `lang`).
//   state()           this panel's part of the next analysis request, {values?: {...}}:
//                     values merge in list order, a later panel's value winning (the training
//                     panel's current params override the values panel's start values).
//
// Everything else a panel needs (the store, callbacks into main.js) comes through `host` at
// creation. A panel owns the DOM under its root and nothing else.
//
// Adding a panel (and nothing else changes):
//   1. static/js/<feature>.js: `export function createXPanel(root, host)`, returning null when
//      `root` is null (a page without it, e.g. /embed); it builds its card's content itself;
//   2. its words beside it, a data module ({en: {...}, vi: {...}}) registered through
//      `registerStrings` (i18n.js): the panel module may call it itself, so i18n.js need not change;
//   3. main.js: its import, and one entry in the panels list, its card made by `mountCard`:
//      `createXPanel(mountCard("x-card"), { store })`.
// A panel whose card must sit at a particular place in the page has a <section> in the
// templates instead (templates/index.html) and main.js passes `$("x-card")`.

/** Where mountCard puts new cards: the page's side column, after the cards already there. */
const CARD_COLUMN = "main .side";

/**
 * A new, empty card for a panel, at the end of the page's side column; null on a page
 * without that column (the embed), so the panel is left out there.
 * @param {string} id  the card's element id
 * @returns {HTMLElement|null}
 */
export function mountCard(id) {
  const column = document.querySelector(CARD_COLUMN);
  if (!column) return null;
  const card = document.createElement("section");
  card.className = "card";
  card.id = id;
  column.append(card);
  return card;
}

/**
 * What every panel gets after an analysis.
 * @typedef {object} Analysis
 * @property {string} expression  the expression analysed
 * @property {string[]} names     its free names (inputs the user or the data must give)
 * @property {object|null} data   the POST /api/graph response, or null on an error
 * @property {import("./graphmodel.js").Model|null} model  the model built from `data`
 * @property {{code: string, message: string}|null} error  the API error, or null
 * @property {object} [request]   the POST /api/graph body that gave `data` (to ask again, e.g.
 *                                for one node's values in full)
 */

/**
 * @typedef {object} Panel
 * @property {(analysis: Analysis) => void} [update]
 * @property {(lang: string) => void} [relabel]
 * @property {() => {values?: Record<string, any>}} [state]
 */

/**
 * Loop over a list of panels (missing ones, e.g. absent from /embed, given as null, are skipped).
 * @param {Array<Panel|null|undefined>} list
 */
export function createPanels(list) {
  const panels = list.filter(Boolean);
  return {
    /** @param {Analysis} analysis */
    update(analysis) {
      for (const p of panels) p.update?.(analysis);
    },
    /** @param {string} lang */
    relabel(lang) {
      for (const p of panels) p.relabel?.(lang);
    },
    /**
     * The panels' parts of the next request, merged.
     * @returns {{values: Record<string, any>}}
     */
    state() {
      const values = {};
      for (const p of panels) Object.assign(values, p.state?.().values);
      return { values };
    },
  };
}
