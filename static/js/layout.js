// Layered (Sugiyama-style) layout of a computational graph, left to right:
// inputs on the left, the output on the far right. Pure: no DOM, runs in a worker or in Node.
//
// Small graphs go through d3-dag (longest-path layering, two-layer decrossing, simplex or
// greedy coordinates), which routes long edges through dummy nodes. Large graphs take a
// linear-time path that exploits the topological order the API already gives us:
// longest-path layering in O(V+E), a DFS order from the output (crossing-free on trees)
// refined by two barycenter sweeps, then coordinates by alternating sweeps that solve
// "be as close as possible to the mean of your neighbours, without overlapping" exactly
// per layer with pool-adjacent-violators (isotonic regression), O(n) per layer.
import { graphStratify, sugiyama, layeringLongestPath, decrossTwoLayer, coordGreedy, coordSimplex } from "../build/dag.mjs";

/** Graphs up to this many nodes use d3-dag; larger ones the linear-time path. */
export const DAG_LIBRARY_MAX_NODES = 120;
/** ...and at most this many nodes plus dummy nodes (long edges make d3-dag slow). */
export const DAG_LIBRARY_MAX_ITEMS = 400;
/** Graphs up to this many nodes get d3-dag's (slower, prettier) simplex coordinates. */
export const SIMPLEX_MAX_NODES = 40;

const DEFAULTS = { gapX: 56, gapY: 18 };

/**
 * Lay out a DAG left to right.
 * @param {{nodes: {id: string, width: number, height: number}[],
 *          edges: {source: string, target: string}[],
 *          order?: string[]}} graph  `order`: a topological order (optional, sped up if given)
 * @param {{gapX?: number, gapY?: number, engine?: "auto"|"d3-dag"|"fast",
 *          direction?: "LR"|"BT"}} [options]
 *   gapX: between layers; gapY: between nodes of a layer. direction: layers left to right
 *   (inputs left) or bottom to top (inputs at the bottom, output at the top).
 * @returns {{x: number[], y: number[], edges: {source: string, target: string, points: number[][]}[],
 *            width: number, height: number, engine: string, direction: "LR"|"BT"}}
 *   `x[i]`, `y[i]`: centre of `graph.nodes[i]`; the bounding box starts at (0, 0).
 */
export function layoutGraph(graph, options = {}) {
  if (options.direction === "BT") {
    // Lay out left to right with the boxes turned, then turn the picture: x -> y, y -> x.
    const turned = { ...graph, nodes: graph.nodes.map((nd) => ({ ...nd, width: nd.height, height: nd.width })) };
    const r = layoutGraph(turned, { ...options, direction: "LR" });
    const flip = ([px, py]) => [py, r.width - px];
    return {
      x: r.y,
      y: r.x.map((px) => r.width - px),
      edges: r.edges.map((e) => ({ ...e, points: e.points.map(flip) })),
      width: r.height,
      height: r.width,
      engine: r.engine,
      direction: "BT",
    };
  }
  const opts = { ...DEFAULTS, ...options };
  const engine = opts.engine ?? "auto";
  const n = graph.nodes.length;
  if (n === 0) return { x: [], y: [], edges: [], width: 0, height: 0, engine: "none", direction: "LR" };
  const small = n <= DAG_LIBRARY_MAX_NODES && n + dummyCount(graph) <= DAG_LIBRARY_MAX_ITEMS;
  if (engine === "d3-dag" || (engine === "auto" && small)) {
    try {
      return layoutWithD3Dag(graph, opts);
    } catch (err) {
      if (engine === "d3-dag") throw err;
      // d3-dag rejects some inputs (e.g. cycles); the fast path never throws on a DAG.
    }
  }
  return layoutFast(graph, opts);
}

/** Dummy nodes a layered layout needs: sum over edges of (layer span - 1), longest-path layers. */
function dummyCount(graph) {
  const succ = new Map(graph.nodes.map((nd) => [nd.id, []]));
  for (const e of graph.edges) succ.get(e.source)?.push(e.target);
  const height = new Map();
  const visit = (id) => {
    // Iterative post-order: small graphs only, but never trust recursion depth.
    const stack = [[id, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const kids = succ.get(top[0]) ?? [];
      if (top[1] < kids.length) {
        const k = kids[top[1]++];
        if (!height.has(k)) stack.push([k, 0]);
      } else {
        stack.pop();
        let h = 0;
        for (const k of kids) h = Math.max(h, (height.get(k) ?? 0) + 1);
        height.set(top[0], h);
      }
    }
  };
  for (const nd of graph.nodes) if (!height.has(nd.id)) visit(nd.id);
  let dummies = 0;
  for (const e of graph.edges) dummies += Math.max(0, (height.get(e.source) ?? 0) - (height.get(e.target) ?? 0) - 1);
  return dummies;
}

/**
 * d3-dag sugiyama, rotated so layers run left to right.
 * @param {Parameters<typeof layoutGraph>[0]} graph
 * @param {{gapX: number, gapY: number}} opts
 */
function layoutWithD3Dag(graph, opts) {
  const parents = new Map(graph.nodes.map((nd) => [nd.id, new Set()]));
  for (const e of graph.edges) parents.get(e.target)?.add(e.source);
  const size = new Map(graph.nodes.map((nd) => [nd.id, nd]));
  const dag = graphStratify()(graph.nodes.map((nd) => ({ id: nd.id, parentIds: [...parents.get(nd.id)] })));
  const coord = graph.nodes.length <= SIMPLEX_MAX_NODES ? coordSimplex() : coordGreedy();
  // d3-dag lays out top-down: its x is our y and its y our x, so sizes are swapped too.
  const layout = sugiyama()
    .layering(layeringLongestPath().topDown(false))
    .decross(decrossTwoLayer())
    .coord(coord)
    .nodeSize((node) => {
      const s = size.get(node.data.id);
      return [s.height, s.width];
    })
    .gap([opts.gapY, opts.gapX]);
  const { width, height } = layout(dag);
  const pos = new Map();
  for (const node of dag.nodes()) pos.set(node.data.id, [node.y, node.x]);
  const links = new Map();
  for (const link of dag.links()) {
    links.set(`${link.source.data.id}\u0000${link.target.data.id}`, link.points.map(([px, py]) => [py, px]));
  }
  const x = graph.nodes.map((nd) => pos.get(nd.id)[0]);
  const y = graph.nodes.map((nd) => pos.get(nd.id)[1]);
  const edges = graph.edges.map((e) => ({
    source: e.source,
    target: e.target,
    points: links.get(`${e.source}\u0000${e.target}`) ?? [pos.get(e.source), pos.get(e.target)],
  }));
  return { x, y, edges, width: height, height: width, engine: "d3-dag", direction: "LR" };
}

/**
 * Linear-time layered layout for big graphs (see the module comment).
 * @param {Parameters<typeof layoutGraph>[0]} graph
 * @param {{gapX: number, gapY: number}} opts
 */
export function layoutFast(graph, opts = DEFAULTS) {
  const { gapX, gapY } = { ...DEFAULTS, ...opts };
  const n = graph.nodes.length;
  const index = new Map();
  graph.nodes.forEach((nd, i) => index.set(nd.id, i));
  const W = Float64Array.from(graph.nodes, (nd) => nd.width);
  const H = Float64Array.from(graph.nodes, (nd) => nd.height);

  // Adjacency in CSR form (duplicate edges are harmless).
  const src = [];
  const dst = [];
  for (const e of graph.edges) {
    const s = index.get(e.source);
    const t = index.get(e.target);
    if (s === undefined || t === undefined || s === t) continue;
    src.push(s);
    dst.push(t);
  }
  const m = src.length;
  const outStart = new Int32Array(n + 1);
  const inStart = new Int32Array(n + 1);
  for (let k = 0; k < m; k++) {
    outStart[src[k] + 1]++;
    inStart[dst[k] + 1]++;
  }
  for (let i = 0; i < n; i++) {
    outStart[i + 1] += outStart[i];
    inStart[i + 1] += inStart[i];
  }
  const outAdj = new Int32Array(m);
  const inAdj = new Int32Array(m);
  const outFill = outStart.slice(0, n);
  const inFill = inStart.slice(0, n);
  for (let k = 0; k < m; k++) {
    outAdj[outFill[src[k]]++] = dst[k];
    inAdj[inFill[dst[k]]++] = src[k];
  }

  const topo = topologicalOrder(n, graph, index, inStart, outStart, outAdj);

  // Layering "as late as possible": sinks (the output) in the last layer, every other node
  // one layer before its earliest consumer chain, so inputs and constants sit next to the
  // operation that uses them instead of being stacked in layer 0.
  const height = new Int32Array(n);
  for (let k = n - 1; k >= 0; k--) {
    const v = topo[k];
    let h = 0;
    for (let j = outStart[v]; j < outStart[v + 1]; j++) h = Math.max(h, height[outAdj[j]] + 1);
    height[v] = h;
  }
  let maxH = 0;
  for (let i = 0; i < n; i++) maxH = Math.max(maxH, height[i]);
  const layerOf = new Int32Array(n);
  for (let i = 0; i < n; i++) layerOf[i] = maxH - height[i];
  const nLayers = maxH + 1;

  // Initial order: preorder of a DFS from the sinks through the arguments (arg order is
  // edge order), which draws any tree without crossings.
  const rank = new Int32Array(n).fill(-1);
  let counter = 0;
  const stack = [];
  for (let k = n - 1; k >= 0; k--) {
    const root = topo[k];
    if (rank[root] >= 0 || outStart[root + 1] !== outStart[root]) continue;
    stack.push(root);
    while (stack.length) {
      const v = stack.pop();
      if (rank[v] >= 0) continue;
      rank[v] = counter++;
      for (let j = inStart[v + 1] - 1; j >= inStart[v]; j--) if (rank[inAdj[j]] < 0) stack.push(inAdj[j]);
    }
  }
  for (let i = 0; i < n; i++) if (rank[i] < 0) rank[i] = counter++;

  /** @type {number[][]} */
  const layers = Array.from({ length: nLayers }, () => []);
  const byRank = Array.from({ length: n }, (_, i) => i).sort((a, b) => rank[a] - rank[b]);
  for (const v of byRank) layers[layerOf[v]].push(v);

  // Barycenter sweeps on normalised positions (layers have different sizes; edges may skip layers).
  const pos = new Float64Array(n);
  const setPos = (layer) => {
    const c = (layer.length - 1) / 2;
    layer.forEach((v, i) => (pos[v] = i - c));
  };
  layers.forEach(setPos);
  const key = new Float64Array(n);
  const sweep = (from, to, step, start, adj) => {
    for (let l = from; l !== to; l += step) {
      const layer = layers[l];
      for (const v of layer) {
        const a = start[v];
        const b = start[v + 1];
        if (a === b) {
          key[v] = pos[v];
          continue;
        }
        let s = 0;
        for (let j = a; j < b; j++) s += pos[adj[j]];
        key[v] = s / (b - a);
      }
      layer.sort((p, q) => key[p] - key[q] || pos[p] - pos[q]);
      setPos(layer);
    }
  };
  sweep(nLayers - 2, -1, -1, outStart, outAdj); // right to left: follow consumers
  sweep(1, nLayers, 1, inStart, inAdj); // left to right: follow arguments

  // Coordinates within a layer: alternating sweeps towards the neighbours' mean, each an
  // exact isotonic regression under the no-overlap constraints.
  const y = new Float64Array(n);
  for (const layer of layers) {
    let acc = 0;
    layer.forEach((v, i) => {
      if (i > 0) acc += (H[layer[i - 1]] + H[v]) / 2 + gapY;
      y[v] = acc;
    });
    const shift = acc / 2;
    for (const v of layer) y[v] -= shift;
  }
  const place = (from, to, step, start, adj) => {
    for (let l = from; l !== to; l += step) {
      const layer = layers[l];
      const target = new Float64Array(layer.length);
      layer.forEach((v, i) => {
        const a = start[v];
        const b = start[v + 1];
        if (a === b) {
          target[i] = y[v];
          return;
        }
        let s = 0;
        for (let j = a; j < b; j++) s += y[adj[j]];
        target[i] = s / (b - a);
      });
      placeLayer(layer, target, y, H, gapY);
    }
  };
  place(nLayers - 2, -1, -1, outStart, outAdj);
  place(1, nLayers, 1, inStart, inAdj);
  place(nLayers - 2, -1, -1, outStart, outAdj);
  place(1, nLayers, 1, inStart, inAdj);

  // x from layer widths.
  const layerX = new Float64Array(nLayers);
  let xAcc = 0;
  for (let l = 0; l < nLayers; l++) {
    let w = 0;
    for (const v of layers[l]) w = Math.max(w, W[v]);
    layerX[l] = xAcc + w / 2;
    xAcc += w + gapX;
  }
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minY = Math.min(minY, y[i] - H[i] / 2);
    maxY = Math.max(maxY, y[i] + H[i] / 2);
  }
  const x = new Array(n);
  const yy = new Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = layerX[layerOf[i]];
    yy[i] = y[i] - minY;
  }
  const edges = graph.edges.map((e) => {
    const s = index.get(e.source);
    const t = index.get(e.target);
    return { source: e.source, target: e.target, points: [[x[s], yy[s]], [x[t], yy[t]]] };
  });
  return { x, y: yy, edges, width: Math.max(0, xAcc - gapX), height: maxY - minY, engine: "fast", direction: "LR" };
}

/** Use the given order when it is a complete topological order, else Kahn's algorithm. */
function topologicalOrder(n, graph, index, inStart, outStart, outAdj) {
  if (graph.order && graph.order.length === n) {
    const topo = new Int32Array(n);
    const seen = new Int32Array(n).fill(-1);
    let ok = true;
    for (let k = 0; k < n && ok; k++) {
      const v = index.get(graph.order[k]);
      if (v === undefined || seen[v] >= 0) ok = false;
      else {
        topo[k] = v;
        seen[v] = k;
      }
    }
    for (let v = 0; v < n && ok; v++) {
      for (let j = outStart[v]; j < outStart[v + 1]; j++) if (seen[outAdj[j]] <= seen[v]) ok = false;
    }
    if (ok) return topo;
  }
  const indeg = new Int32Array(n);
  for (let i = 0; i < n; i++) indeg[i] = inStart[i + 1] - inStart[i];
  const topo = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) if (indeg[i] === 0) topo[tail++] = i;
  while (head < tail) {
    const v = topo[head++];
    for (let j = outStart[v]; j < outStart[v + 1]; j++) if (--indeg[outAdj[j]] === 0) topo[tail++] = outAdj[j];
  }
  if (tail !== n) throw new Error("layout: the graph has a cycle");
  return topo;
}

/**
 * Minimise sum (y_i - target_i)^2 over one layer subject to y_{i+1} - y_i >= sep_i
 * (no overlaps, order kept). Substituting z_i = y_i - offset_i turns it into isotonic
 * regression, solved exactly by pool-adjacent-violators in O(n).
 */
function placeLayer(layer, target, y, H, gap) {
  const k = layer.length;
  if (k === 0) return;
  const offset = new Float64Array(k);
  for (let i = 1; i < k; i++) offset[i] = offset[i - 1] + (H[layer[i - 1]] + H[layer[i]]) / 2 + gap;
  const mean = new Float64Array(k);
  const weight = new Float64Array(k);
  const end = new Int32Array(k);
  let top = -1;
  for (let i = 0; i < k; i++) {
    top++;
    mean[top] = target[i] - offset[i];
    weight[top] = 1;
    end[top] = i;
    while (top > 0 && mean[top - 1] > mean[top]) {
      const w = weight[top - 1] + weight[top];
      mean[top - 1] = (mean[top - 1] * weight[top - 1] + mean[top] * weight[top]) / w;
      weight[top - 1] = w;
      end[top - 1] = end[top];
      top--;
    }
  }
  let i = 0;
  for (let b = 0; b <= top; b++) {
    for (; i <= end[b]; i++) y[layer[i]] = mean[b] + offset[i];
  }
}
