// The warnings card: what the API noticed about the last analysis (e.g. a value that
// overflowed). A panel (panels.js).
import { el } from "./el.js";
import { warningTexts } from "./errors.js";

/**
 * @param {HTMLElement|null} card  #warnings-card, holding the list #warnings
 * @returns {import("./panels.js").Panel|null}
 */
export function createWarnings(card) {
  if (!card) return null;
  return {
    update(analysis) {
      if (!analysis.data) return;
      const list = warningTexts(analysis.data);
      card.hidden = list.length === 0;
      card.querySelector("#warnings").replaceChildren(...list.map((w) => el("li", null, w)));
    },
  };
}
