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
  if (document.body.classList.contains("fill")) fillFrame();
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

/**
 * fill=1 (a frame of fixed height): size the graph so that the step's arithmetic above it
 * and the graph fit the frame together, the frame scrolled to the arithmetic's top
 * (learn/view.js): the graph takes what the arithmetic and the panel's heading leave.
 */
function fillFrame() {
  const measure = () => {
    const graph = [...document.querySelectorAll("svg.graph")].find((svg) => svg.getClientRects().length > 0);
    if (!graph) return;
    const top = fillTop()?.getBoundingClientRect().top ?? graph.getBoundingClientRect().top;
    const above = Math.max(0, Math.ceil(graph.getBoundingClientRect().top - top));
    document.body.style.setProperty("--fill-above", `${above + 8}px`);
  };
  measure();
  window.addEventListener("resize", measure);
  new ResizeObserver(measure).observe(document.querySelector(".stepper") ?? document.body);
}

/** What a filled frame shows at its top: the step's arithmetic where the steps are shown. */
function fillTop() {
  const explain = document.getElementById("explain");
  return explain && explain.getClientRects().length > 0 ? explain : null;
}
