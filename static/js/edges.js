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
