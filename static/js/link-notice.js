// Says so on the page when a shared link held more than the page accepts (state.js
// parseLink): a link too large to open, lists cut to their caps, an expression longer than
// the server takes. A panel (panels.js): rendered after the first analysis, relabelled on a
// language change.
import { el } from "./el.js";
import { t } from "./i18n.js";

/**
 * @param {{code: string, [k: string]: any}[]} problems  from parseLink
 * @returns {import("./panels.js").Panel|null}  null when the link was fine
 */
export function createLinkNotice(problems) {
  if (!problems.length) return null;
  const box = el("div", { id: "link-notice", class: "link-notice", role: "alert" });
  const render = () => {
    box.replaceChildren(...problems.map((p) => el("p", { dataset: { code: p.code } }, problemText(p))));
    if (!box.isConnected) document.body.prepend(box);
  };
  return { update: () => box.isConnected || render(), relabel: render };
}

/** One problem in the reader's language. */
export function problemText(p) {
  const what = p.name ? t(`link.what.${p.name}`) : "";
  return t(`link.${p.code}`, { ...p, what: what === `link.what.${p.name}` ? p.name : what });
}
