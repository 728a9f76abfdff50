// The keyboard model of a graph view: where each key takes the focus, following the edges.
// Pure functions over the visible graph (graphmodel.js visibleGraph + outputId), so the SVG
// and the canvas renderers share them and they can be tested without drawing anything.
//
// Moves: "inputs" (along an edge to the node's first input), "consumers" (to the node that
// uses it), "prev"/"next" (between siblings: the other inputs of the consumer we came from,
// or the other consumers of the input we came from), "output" and "inputs-end" (the
// graph's inputs, one after another). Arrow keys map onto these as the graph is drawn.

/**
 * @typedef {{id: string, node: {kind: string, label: string}}} KeyNode
 * @typedef {{nodes: KeyNode[], edges: {source: string, target: string, edge?: {arg?: number}}[],
 *            outputId?: string|null}} KeyGraph
 * @typedef {{via: "inputs"|"consumers", from: string}|null} KeyContext
 *   how the focus arrived: from a consumer to one of its inputs, or the reverse; it decides
 *   who the siblings are and where the opposite move returns to
 * @typedef {{id: string, context: KeyContext, moved: boolean}} KeyResult
 */

/** Arrow keys by layout direction: LR has the inputs on the left, BT at the bottom. */
const ARROWS = {
  LR: { ArrowLeft: "inputs", ArrowRight: "consumers", ArrowUp: "prev", ArrowDown: "next" },
  BT: { ArrowDown: "inputs", ArrowUp: "consumers", ArrowLeft: "prev", ArrowRight: "next" },
};
const ENDS = { Home: "output", End: "inputs-end" };

/**
 * The move a key asks for, or null for keys the graph does not handle.
 * @param {string} key  KeyboardEvent.key
 * @param {boolean} vertical  the layout runs bottom-to-top (BT)
 * @returns {"inputs"|"consumers"|"prev"|"next"|"output"|"inputs-end"|null}
 */
export function moveForKey(key, vertical) {
  return ARROWS[vertical ? "BT" : "LR"][key] ?? ENDS[key] ?? null;
}

/** Adjacency of a graph, computed once per graph object. */
const adjacencies = new WeakMap();

/**
 * Inputs (in argument order) and consumers (in drawing order) of every node.
 * @param {KeyGraph} graph
 * @returns {{inputs: Map<string, string[]>, consumers: Map<string, string[]>, pos: Map<string, number>}}
 */
export function adjacency(graph) {
  const cached = adjacencies.get(graph);
  if (cached) return cached;
  const pos = new Map(graph.nodes.map((vn, i) => [vn.id, i]));
  const inputs = new Map(graph.nodes.map((vn) => [vn.id, []]));
  const consumers = new Map(graph.nodes.map((vn) => [vn.id, []]));
  const byArg = [...graph.edges].sort((a, b) => (a.edge?.arg ?? 0) - (b.edge?.arg ?? 0));
  for (const e of byArg) {
    if (!pos.has(e.source) || !pos.has(e.target)) continue;
    const ins = inputs.get(e.target);
    if (!ins.includes(e.source)) ins.push(e.source);
    const outs = consumers.get(e.source);
    if (!outs.includes(e.target)) outs.push(e.target);
  }
  for (const outs of consumers.values()) outs.sort((a, b) => pos.get(a) - pos.get(b));
  const out = { inputs, consumers, pos };
  adjacencies.set(graph, out);
  return out;
}

/**
 * The siblings of a node, itself included, in order: the inputs of the consumer the focus
 * came down from, the consumers of the input it came up from, else the other inputs of its
 * first consumer.
 * @param {KeyGraph} graph
 * @param {string} id
 * @param {KeyContext} context
 * @returns {string[]}
 */
export function siblings(graph, id, context = null) {
  const { inputs, consumers } = adjacency(graph);
  if (context?.via === "inputs" && inputs.get(context.from)?.includes(id)) return inputs.get(context.from);
  if (context?.via === "consumers" && consumers.get(context.from)?.includes(id)) return consumers.get(context.from);
  const first = consumers.get(id)?.[0];
  return first ? inputs.get(first) : [id];
}

/** The graph's inputs (kind "input"), else every node without inputs, in drawing order. */
export function graphInputs(graph) {
  const { inputs } = adjacency(graph);
  const named = graph.nodes.filter((vn) => vn.node.kind === "input").map((vn) => vn.id);
  return named.length ? named : graph.nodes.filter((vn) => !inputs.get(vn.id)?.length).map((vn) => vn.id);
}

/** The node the graph computes (the output, else the last drawn). */
export function outputOf(graph) {
  return graph.outputId ?? graph.nodes[graph.nodes.length - 1]?.id ?? null;
}

/**
 * Where a move takes the focus from `id`.
 * @param {KeyGraph} graph
 * @param {string} id
 * @param {"inputs"|"consumers"|"prev"|"next"|"output"|"inputs-end"} move
 * @param {KeyContext} [context]
 * @returns {KeyResult}
 */
export function nextFocus(graph, id, move, context = null) {
  const { inputs, consumers } = adjacency(graph);
  const stay = { id, context, moved: false };
  const go = (to, ctx) => ({ id: to, context: ctx, moved: to !== id });
  switch (move) {
    case "inputs": {
      const ins = inputs.get(id) ?? [];
      if (!ins.length) return stay;
      // back down the edge the focus came up along, else the first input
      const back = context?.via === "consumers" && ins.includes(context.from) ? context.from : ins[0];
      return go(back, { via: "inputs", from: id });
    }
    case "consumers": {
      const outs = consumers.get(id) ?? [];
      if (!outs.length) return stay;
      const back = context?.via === "inputs" && outs.includes(context.from) ? context.from : outs[0];
      return go(back, { via: "consumers", from: id });
    }
    case "prev":
    case "next": {
      const sibs = siblings(graph, id, context);
      if (sibs.length < 2) return stay;
      const i = sibs.indexOf(id);
      const j = (i + (move === "next" ? 1 : -1) + sibs.length) % sibs.length;
      return go(sibs[j], context);
    }
    case "output": {
      const out = outputOf(graph);
      return out ? go(out, null) : stay;
    }
    case "inputs-end": {
      const ins = graphInputs(graph);
      if (!ins.length) return stay;
      // pressed again on an input: the next input
      const i = ins.indexOf(id);
      return go(ins[i < 0 ? 0 : (i + 1) % ins.length], null);
    }
    default:
      return stay;
  }
}
