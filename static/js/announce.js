// Polite live regions: what a screen reader says when a step moves or the graph focus
// cannot. The text given is said as is, so callers pass plain text (the arithmetic of a
// step as explain.js writes it, never KaTeX's markup).

/** Milliseconds between emptying a region and filling it: the same text twice is said twice. */
const REFILL_MS = 60;

/**
 * An announcer over one live region (created, visually hidden, when the page has none).
 * @param {string} id  the region's element id
 * @param {ParentNode} [root]  where to look for it (a notebook cell holds its own page)
 */
export function createAnnouncer(id, root = document) {
  let region = root.querySelector(`#${id}`);
  if (!region) {
    region = document.createElement("p");
    region.id = id;
    region.className = "sr-only";
    region.setAttribute("aria-live", "polite");
    region.setAttribute("aria-atomic", "true");
    (root.body ?? root).append(region);
  }
  let timer = null;
  return {
    /** Say a line of plain text (replacing one not yet said). @param {string} text */
    say(text) {
      clearTimeout(timer);
      region.textContent = "";
      timer = setTimeout(() => {
        region.textContent = text;
      }, REFILL_MS);
    },
    /** The region (for tests and for pages that style it). */
    region,
  };
}

/**
 * A step's arithmetic as one spoken line: the lines of the step text joined with "; ",
 * so a reader hears a pause between equations and never a stray decimal point.
 * @param {string} text  explain.js's plain text (lines separated by "\n")
 */
export function spokenArithmetic(text) {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .join("; ");
}
