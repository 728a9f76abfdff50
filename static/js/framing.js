// Framing: a view opened on the nodes a text is about. A link may carry `frame=["w","x"]`
// (node labels or names, JSON); the graph is then zoomed and panned so exactly those nodes and
// the edges between them are in view, whatever the panel's size, and again after a resize.
// Lessons use it: each step names its nodes (chainrule/teaching/lessons/*.json, view.frame).
// Pure functions; render.js applies the transform, main.js calls them.

/** Largest zoom a frame opens at: a frame of two nodes should not blow them up. */
export const FRAME_MAX_SCALE = 1.2;
/** Room kept around the framed nodes, in screen pixels. */
export const FRAME_PAD = 16;

/**
 * The names a link asks to frame, or null.
 * @param {string} search  location.search
 * @returns {string[]|null}
 */
export function frameFromSearch(search) {
  const raw = new URLSearchParams(search).get("frame");
  if (!raw) return null;
  try {
    const names = JSON.parse(raw);
    return Array.isArray(names) && names.length && names.every((n) => typeof n === "string") ? names : null;
  } catch {
    return null;
  }
}

/**
 * The layout box (x0, y0, x1, y1) around the drawn nodes that carry one of `names` (label or
 * name); a named node inside a collapsed group frames its group. Null when none is drawn.
 * @param {string[]} names
 * @param {{nodes: {id: string, node: {label: string, name?: string}, members: string[]}[]}} vis
 * @param {{x: number[], y: number[]}} layout  centres, in vis.nodes order
 * @param {(vn: any) => {width: number, height: number}} sizeOf
 * @param {(id: string) => {label: string, name?: string}|undefined} nodeOf  any model node by id
 */
export function framedBox(names, vis, layout, sizeOf, nodeOf) {
  const wanted = new Set(names);
  const says = (n) => !!n && (wanted.has(n.label) || (n.name !== undefined && wanted.has(n.name)));
  let box = null;
  vis.nodes.forEach((vn, i) => {
    if (!says(vn.node) && !vn.members.some((id) => says(nodeOf(id)))) return;
    const { width, height } = sizeOf(vn);
    const [x0, y0, x1, y1] = [layout.x[i] - width / 2, layout.y[i] - height / 2, layout.x[i] + width / 2, layout.y[i] + height / 2];
    box = box ? [Math.min(box[0], x0), Math.min(box[1], y0), Math.max(box[2], x1), Math.max(box[3], y1)] : [x0, y0, x1, y1];
  });
  return box;
}

/**
 * The zoom transform {k, x, y} that shows `box` centred in a `[width, height]` view, with
 * `pad` pixels around it, never zooming in past `maxScale`.
 * @param {number[]} box  [x0, y0, x1, y1], layout coordinates
 * @param {[number, number]} view
 */
export function frameTransform(box, [width, height], pad = FRAME_PAD, maxScale = FRAME_MAX_SCALE) {
  const [x0, y0, x1, y1] = box;
  const bw = Math.max(1, x1 - x0);
  const bh = Math.max(1, y1 - y0);
  const k = Math.min((width - 2 * pad) / bw, (height - 2 * pad) / bh, maxScale);
  return { k, x: width / 2 - ((x0 + x1) / 2) * k, y: height / 2 - ((y0 + y1) / 2) * k };
}

/** A formula that needs more shrinking than this to fit is wrapped at its "=" signs instead. */
export const FORMULA_WRAP_BELOW = 0.8;
/** The smallest a formula is scaled to fit its box; below it, it scrolls sideways instead. */
export const FORMULA_MIN_SCALE = 0.55;
const formulas = new Map();

/**
 * Make a formula fit its box, never cut (a phone's narrow panel cut "= 1 · x = 1 · 2 = 2"
 * after "= 1"): drawn whole when it fits; else scaled down a little; else wrapped after its
 * "=" signs (`wrap` draws it as lines that may break), scaled only if a piece is still too
 * wide. Done again whenever the window is resized or a font arrives.
 * @param {HTMLElement} el  the element the formula is drawn into
 * @param {{render: () => void, wrap: () => void}} draw  draw it in one piece / breakable
 */
export function fitFormula(el, draw) {
  if (!formulas.size) {
    const refit = () => formulas.forEach((d, e) => fit(e, d));
    window.addEventListener("resize", refit);
    // measured before KaTeX's fonts arrived, a formula is as wide as the fallback font makes it
    document.fonts?.addEventListener("loadingdone", refit);
  }
  formulas.set(el, draw);
  fit(el, draw);
}

function fit(el, { render, wrap }) {
  render();
  el.style.fontSize = "";
  const room = el.clientWidth;
  if (!room || el.scrollWidth <= room) return;
  const scale = (room - 2) / el.scrollWidth;
  if (scale >= FORMULA_WRAP_BELOW) {
    el.style.fontSize = `${scale}em`;
    return;
  }
  wrap();
  if (el.scrollWidth > room) el.style.fontSize = `${Math.max(FORMULA_MIN_SCALE, (room - 2) / el.scrollWidth)}em`;
}
