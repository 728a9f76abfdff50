// The gradient check card: backprop against a central finite difference, per input, with a
// verdict. A panel (panels.js): its button asks main.js for an analysis with `check: true`.
import { el } from "./el.js";
import { fmtNumber, fmtValue } from "./format.js";
import { t } from "./i18n.js";

/** Relative errors below GOOD agree; above WRONG (or not finite) the gradient is wrong. */
const GOOD = 1e-7;
const WRONG = 1e-2;

/**
 * @param {HTMLElement|null} card  #check-card (absent from /embed)
 * @param {{analyse: (opts: {check: boolean}) => Promise<object|null>, button: HTMLElement|null}} host
 *   analyse: run the analysis with the check and resolve to the API data (null on an error)
 */
export function createCheckPanel(card, host) {
  if (!card) return null;
  const tbody = card.querySelector("tbody");
  let check = null;
  // the expression and gradients the table was computed for; another analysis makes it stale
  let checkedFor = null;
  let lastExpression = null;
  const note = el("p", { class: "stale-line", role: "status", hidden: true });
  card.querySelector("table")?.before(note);

  function markStale(stale) {
    card.classList.toggle("is-stale", stale);
    note.hidden = !stale;
    note.textContent = stale && checkedFor ? t("check.stale", { expression: checkedFor.expression }) : "";
  }

  function render() {
    if (!check) return tbody.replaceChildren();
    tbody.replaceChildren(
      ...Object.entries(check).map(([name, c]) => {
        const err = typeof c.rel_error === "number" ? c.rel_error : Number.NaN;
        const verdict = err < GOOD ? "good" : err > WRONG || !Number.isFinite(err) ? "wrong" : "suspect";
        return el(
          "tr",
          { class: `check-${verdict}`, dataset: { name } },
          el("th", { scope: "row" }, name),
          el("td", null, fmtValue(c.backprop)),
          el("td", null, fmtValue(c.numeric)),
          el("td", { class: "rel-error" }, `${fmtNumber(c.rel_error, 2)} · ${t(`check.${verdict}`)}`),
        );
      }),
    );
  }

  async function run() {
    card.hidden = false;
    check = null;
    tbody.replaceChildren(el("tr", null, el("td", { colSpan: 4 }, t("check.running"))));
    const data = await host.analyse({ check: true });
    check = data?.check ?? null;
    checkedFor = check ? { expression: lastExpression, gradients: JSON.stringify(data.gradients) } : null;
    markStale(false);
    render();
  }

  host.button?.addEventListener("click", run);

  return {
    /** Hide the card (a new example was loaded). */
    hide() {
      card.hidden = true;
    },
    /** @param {import("./panels.js").Analysis} analysis */
    update(analysis) {
      lastExpression = analysis.expression;
      if (!checkedFor || analysis.data?.check) return;
      const same = analysis.data && analysis.expression === checkedFor.expression && JSON.stringify(analysis.data.gradients) === checkedFor.gradients;
      markStale(!same);
    },
    relabel() {
      if (check) render();
      if (!note.hidden) markStale(true);
    },
  };
}
