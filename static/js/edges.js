// Edge geometry shared by the SVG view, the canvas and the client-side exports: a cubic
// through the layout points, and parallel edges (the same source used twice by one
// operation, as in x*x) bent apart so that each is seen and carries its own label. Pure.

/** Distance between neighbouring parallel edges at their middle (layout units). */
export const PARALLEL_GAP = 26;

/**
 * For each edge id, its sideways offset: 0 for a lone edge; for k parallel edges
 * (same source and target), evenly spread around 0 in argument order.
 * @param {{id: string, source: string, target: string}[]} edges
 * @returns {Map<string, number>}
 */
export function parallelOffsets(edges) {
  const groups = new Map();
  for (const e of edges) {
    const key = `${e.source}\u0000${e.target}`;
    const list = groups.get(key);
    if (list) list.push(e.id);
    else groups.set(key, [e.id]);
  }
  const out = new Map();
  for (const ids of groups.values()) {
    ids.forEach((id, k) => out.set(id, (k - (ids.length - 1) / 2) * PARALLEL_GAP));
  }
  return out;
}

/**
 * A cubic path through layout points with tangents along the layer axis at every point,
 * from the source box's edge to the target box's edge, bent sideways by `offset`
 * (the ends move by half of it, staying on the boxes).
 * @param {number[][]} pts  layout points, source centre first
 * @param {{x: number, y: number, w: number, h: number}} s  source box
 * @param {{x: number, y: number, w: number, h: number}} t  target box
 * @param {boolean} vertical  layers bottom to top
 * @param {number} [offset]
 * @returns {{flat: number[], mid: number[], d: string}}  flat: x0,y0 then 6 numbers per cubic;
 *   mid: the curve's point halfway along its middle segment (where its label goes)
 */
export function edgeGeometry(pts, s, t, vertical, offset = 0) {
  const p = pts.map((q) => [q[0], q[1]]);
  const last = p.length - 1;
  const a = vertical ? 0 : 1; // the axis across the layers, along which parallel edges part
  const clampTo = (box) => {
    const half = (vertical ? box.w : box.h) / 2 - 6;
    return Math.max(-half, Math.min(half, offset / 2));
  };
  for (let i = 1; i < last; i++) p[i][a] += offset;
  const e0 = clampTo(s);
  const e1 = clampTo(t);
  if (vertical) {
    p[0] = [p[0][0] + e0, s.y - s.h / 2];
    p[last] = [p[last][0] + e1, t.y + t.h / 2];
  } else {
    p[0] = [s.x + s.w / 2, p[0][1] + e0];
    p[last] = [t.x - t.w / 2, p[last][1] + e1];
  }
  // the control points next to an end lean out to the full offset: the edge bulges apart
  const lean = (i, side) => (i === 0 ? offset - e0 : i === last ? offset - e1 : 0) * side;
  const flat = [p[0][0], p[0][1]];
  for (let i = 1; i < p.length; i++) {
    const [ax, ay] = p[i - 1];
    const [bx, by] = p[i];
    if (vertical) {
      const my = (ay + by) / 2;
      flat.push(ax + lean(i - 1, 1), my, bx + lean(i, 1), my, bx, by);
    } else {
      const mx = (ax + bx) / 2;
      flat.push(mx, ay + lean(i - 1, 1), mx, by + lean(i, 1), bx, by);
    }
  }
  // the middle cubic at t = 1/2: (P0 + 3 P1 + 3 P2 + P3) / 8
  const seg = 2 + 6 * Math.floor((p.length - 2) / 2);
  const x0 = flat[seg - 2];
  const y0 = flat[seg - 1];
  const mid = [
    (x0 + 3 * flat[seg] + 3 * flat[seg + 2] + flat[seg + 4]) / 8,
    (y0 + 3 * flat[seg + 1] + 3 * flat[seg + 3] + flat[seg + 5]) / 8,
  ];
  return { flat, mid, get d() { return svgPath(flat); } };
}

/**
 * SVG path data of a flat cubic list.
 * @param {number[]} f
 */
export function svgPath(f) {
  let d = `M${f[0]},${f[1]}`;
  for (let i = 2; i < f.length; i += 6) d += `C${f[i]},${f[i + 1]} ${f[i + 2]},${f[i + 3]} ${f[i + 4]},${f[i + 5]}`;
  return d;
}

/** An edge label's box (layout units): 12 px monospace (app.css `.edge-label`) with its halo. */
const LABEL_CHAR = 7.4;
const LABEL_ASCENT = 11;
const LABEL_DESCENT = 4;
/** Space kept between a label and the edge it names, or a node box. */
const LABEL_GAP = 4;
/** Where along its curve a label may go, best first: the middle, then out toward either end. */
const ALONG = [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.12, 0.88];

/** The width of an edge label's box (layout units). @param {string} text */
export function labelWidth(text) {
  return text.length * LABEL_CHAR + 4;
}

/** The room a label needs between two layers laid out left to right: its width and a gap either side. */
export function labelRoom(text) {
  return labelWidth(text) + 2 * LABEL_GAP;
}

/**
 * The point of a flat cubic list (edgeGeometry's `flat`) at `f` of the way along its cubics.
 * @param {number[]} flat @param {number} f in [0, 1]
 */
export function pointAlong(flat, f) {
  const n = (flat.length - 2) / 6;
  const at = Math.min(n - 1e-9, Math.max(0, f * n));
  const k = Math.floor(at);
  const t = at - k;
  const i = 2 + 6 * k;
  const b = [(1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3];
  const xs = [flat[i - 2], flat[i], flat[i + 2], flat[i + 4]];
  const ys = [flat[i - 1], flat[i + 1], flat[i + 3], flat[i + 5]];
  return [b.reduce((s, w, j) => s + w * xs[j], 0), b.reduce((s, w, j) => s + w * ys[j], 0)];
}

/**
 * Where each edge's label goes: beside its curve (above it when layers run left to right, to
 * its right or left when they run bottom to top), at the first spot along it whose box
 * overlaps no node box and no label placed before; where none is free, the spot that
 * overlaps least. Labels are placed in the order given.
 * @param {{id: string, flat: number[], text: string}[]} edges
 * @param {{x: number, y: number, w: number, h: number}[]} boxes  node boxes, centred
 * @param {boolean} vertical
 * @returns {Map<string, {x: number, y: number, anchor: "start"|"middle"|"end"}>}  x, y: the text's anchor and baseline
 */
export function placeLabels(edges, boxes, vertical) {
  const grid = new BoxGrid();
  const pad = 2;
  for (const b of boxes) {
    grid.add({ left: b.x - b.w / 2 - pad, right: b.x + b.w / 2 + pad, top: b.y - b.h / 2 - pad, bottom: b.y + b.h / 2 + pad }, 3);
  }
  const out = new Map();
  for (const e of edges) {
    const width = labelWidth(e.text);
    let best = null;
    for (const f of ALONG) {
      const [x, y] = pointAlong(e.flat, f);
      for (const spot of besides(x, y, width, vertical)) {
        const cost = grid.cost(spot.box);
        if (!best || cost < best.cost) best = { ...spot, cost };
        if (cost === 0) break;
      }
      if (best.cost === 0) break;
    }
    // a label's neighbour keeps a space from it, so two labels never read as one
    grid.add({ left: best.box.left - LABEL_GAP, right: best.box.right + LABEL_GAP, top: best.box.top - 1, bottom: best.box.bottom + 1 }, 1);
    out.set(e.id, { x: best.x, y: best.y, anchor: best.anchor });
  }
  return out;
}

/** The label spots beside the curve's point (x, y): one on either side. */
function besides(x, y, width, vertical) {
  const box = (left, baseline) => ({ left, right: left + width, top: baseline - LABEL_ASCENT, bottom: baseline + LABEL_DESCENT });
  if (vertical) {
    const baseline = y + LABEL_ASCENT / 2 - 1;
    return [
      { x: x + LABEL_GAP, y: baseline, anchor: "start", box: box(x + LABEL_GAP - 2, baseline) },
      { x: x - LABEL_GAP, y: baseline, anchor: "end", box: box(x - LABEL_GAP - width + 2, baseline) },
    ];
  }
  const above = y - LABEL_GAP - LABEL_DESCENT;
  const below = y + LABEL_GAP + LABEL_ASCENT;
  return [
    { x, y: above, anchor: "middle", box: box(x - width / 2, above) },
    { x, y: below, anchor: "middle", box: box(x - width / 2, below) },
  ];
}

/** Boxes bucketed by area, so a label is tested only against what is near it. */
class BoxGrid {
  constructor(cell = 120) {
    this.cell = cell;
    this.cells = new Map();
  }

  *keys(b) {
    const c = this.cell;
    for (let i = Math.floor(b.left / c); i <= Math.floor(b.right / c); i++) {
      for (let j = Math.floor(b.top / c); j <= Math.floor(b.bottom / c); j++) yield `${i},${j}`;
    }
  }

  add(box, weight) {
    const item = { box, weight };
    for (const k of this.keys(box)) {
      const list = this.cells.get(k);
      if (list) list.push(item);
      else this.cells.set(k, [item]);
    }
  }

  /** The area `box` shares with the boxes held, each weighted (a node box counts more than a label). */
  cost(box) {
    const seen = new Set();
    let sum = 0;
    for (const k of this.keys(box)) {
      for (const item of this.cells.get(k) ?? []) {
        if (seen.has(item)) continue;
        seen.add(item);
        const w = Math.min(box.right, item.box.right) - Math.max(box.left, item.box.left);
        const h = Math.min(box.bottom, item.box.bottom) - Math.max(box.top, item.box.top);
        if (w > 0 && h > 0) sum += w * h * item.weight;
      }
    }
    return sum;
  }
}
