// The analysed graph as the views need it: adjacency, statement groups, and the visible
// graph once some statements or sub-expressions are collapsed into single boxes. Pure.

/** Collapse every statement by default when a graph has more nodes than this. */
export const COLLAPSE_THRESHOLD = 150;

/**
 * @typedef {{id: string, op: string, name?: string, label: string, shape: number[],
 *            value: any, grad: any}} ApiNode
 * @typedef {{id: string, source: string, target: string, arg: number, local: any,
 *            local_formula: string, grad: any}} ApiEdge
 * @typedef {ApiNode & {kind: "input"|"const"|"op", ins: ApiEdge[], outs: ApiEdge[],
 *            pos: number, statement: boolean}} ModelNode
 * @typedef {{nodes: Map<string, ModelNode>, order: string[], backward: string[],
 *            output: string, edges: ApiEdge[], response: any}} Model
 */

/**
 * Index an API response (POST /api/graph).
 * @param {any} response
 * @returns {Model}
 */
export function buildModel(response) {
  const nodes = new Map();
  for (const nd of response.nodes) {
    const kind = nd.op === "input" ? "input" : nd.op === "const" ? "const" : "op";
    nodes.set(nd.id, { ...nd, kind, ins: [], outs: [], pos: -1, statement: kind === "op" && !!nd.name });
  }
  for (const e of response.edges) {
    nodes.get(e.source)?.outs.push(e);
    nodes.get(e.target)?.ins.push(e);
  }
  for (const nd of nodes.values()) nd.ins.sort((a, b) => a.arg - b.arg);
  const order = response.forward_order?.length === nodes.size ? response.forward_order : [...nodes.keys()];
  order.forEach((id, i) => (nodes.get(id).pos = i));
  return {
    nodes,
    order,
    backward: response.backward_order ?? [...order].reverse(),
    output: response.output,
    edges: response.edges,
    response,
  };
}

/**
 * The nodes that collapsing `rootId` hides: its ancestors that are used only inside the
 * sub-expression, stopping at inputs and at other statements (named nodes).
 * @param {Model} model
 * @param {string} rootId
 * @returns {string[]} member ids, the root excluded
 */
export function membersOf(model, rootId) {
  const root = model.nodes.get(rootId);
  if (!root || root.kind !== "op") return [];
  const seen = new Set([rootId]);
  const candidates = [];
  const stack = [rootId];
  while (stack.length) {
    const v = model.nodes.get(stack.pop());
    for (const e of v.ins) {
      const u = model.nodes.get(e.source);
      if (seen.has(u.id) || u.kind === "input" || u.statement) continue;
      seen.add(u.id);
      candidates.push(u);
      stack.push(u.id);
    }
  }
  // Consumers come later in topological order: decide from the root backwards.
  candidates.sort((a, b) => b.pos - a.pos);
  const inside = new Set([rootId]);
  const members = [];
  for (const u of candidates) {
    if (u.outs.length && u.outs.every((e) => inside.has(e.target))) {
      inside.add(u.id);
      members.push(u.id);
    }
  }
  return members;
}

/**
 * Statements worth collapsing when a graph is big (those that hide at least one node).
 * @param {Model} model
 * @param {number} [threshold]
 * @returns {string[]}
 */
export function defaultCollapsed(model, threshold = COLLAPSE_THRESHOLD) {
  if (model.nodes.size <= threshold) return [];
  const out = [];
  for (const nd of model.nodes.values()) if (nd.statement && membersOf(model, nd.id).length > 0) out.push(nd.id);
  return out;
}

/**
 * @typedef {{id: string, node: ModelNode, members: string[], collapsible: boolean}} VisNode
 * @typedef {{id: string, source: string, target: string, edge: ApiEdge, grouped: boolean}} VisEdge
 */

/**
 * The graph that is drawn: collapsed roots stand for their members.
 * @param {Model} model
 * @param {Iterable<string>} collapsed  ids of collapsed roots
 * @returns {{nodes: VisNode[], edges: VisEdge[], owner: Map<string, string>, order: string[]}}
 */
export function visibleGraph(model, collapsed) {
  const owner = new Map();
  const groups = new Map();
  const roots = [...new Set(collapsed)]
    .filter((id) => model.nodes.get(id)?.kind === "op")
    .sort((a, b) => model.nodes.get(b).pos - model.nodes.get(a).pos);
  for (const r of roots) {
    if (owner.has(r)) continue; // inside an outer collapsed group
    const members = membersOf(model, r);
    if (!members.length) continue;
    for (const m of members) owner.set(m, r);
    groups.set(r, members);
  }
  const nodes = [];
  const order = [];
  for (const id of model.order) {
    if (owner.has(id)) continue;
    const node = model.nodes.get(id);
    nodes.push({
      id,
      node,
      members: groups.get(id) ?? [],
      collapsible: node.kind === "op" && node.ins.some((e) => {
        const u = model.nodes.get(e.source);
        return u.kind !== "input" && !u.statement;
      }),
    });
    order.push(id);
  }
  const edges = [];
  for (const e of model.edges) {
    const s = owner.get(e.source) ?? e.source;
    const t = owner.get(e.target) ?? e.target;
    if (s === t) continue;
    edges.push({ id: e.id, source: s, target: t, edge: e, grouped: s !== e.source || t !== e.target });
  }
  return { nodes, edges, owner, order };
}
