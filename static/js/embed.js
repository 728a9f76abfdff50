// The embedded view (/embed): tells the host page its height whenever it changes, so the
// host can size the iframe (postMessage {type: "chainrule:height", height}), and keeps the
// "Open in chainrule" link on the same state. Panels and read-only mode are server-rendered
// (chainrule/routes/pages.py) so the frame never flashes chrome it will not show.
import { serialize } from "./state.js";

/** The message type a host listens for. */
export const HEIGHT_MESSAGE = "chainrule:height";

/**
 * Start the embed behaviour (no-op outside /embed).
 * @param {{store: {get: () => Record<string, any>, subscribe: (fn: Function) => void}}} deps
 */
export function initEmbed({ store }) {
  if (!document.body.classList.contains("embed")) return;
  const open = document.getElementById("embed-open");
  if (open) {
    const follow = () => {
      const q = serialize(store.get());
      open.href = `/${q ? `?${q}` : ""}`;
    };
    store.subscribe(follow);
    follow();
  }
  if (window.parent === window) return;
  const main = document.querySelector(".embed-main") ?? document.body;
  let last = -1;
  const post = () => {
    // the content's own height: never the viewport's, which the host sets from this number
    const margin = parseFloat(getComputedStyle(document.body).marginBottom) || 0;
    const height = Math.ceil(main.getBoundingClientRect().bottom + window.scrollY + margin);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: HEIGHT_MESSAGE, height }, "*");
  };
  new ResizeObserver(post).observe(main);
  post();
}
