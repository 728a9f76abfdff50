// Draws one view (forward or backward) of the visible graph. Up to DETAIL_MAX_NODES nodes:
// an <svg> updated with keyed D3 joins (stepping and collapsing update nodes in place),
// focusable nodes, tooltips, heatmaps. Bigger graphs: a canvas under the same <svg>
// (render-canvas.js), because SVG text layout dominates past a few hundred nodes.
// User text only ever reaches the DOM through .text() / attributes.
import { select, zoom, zoomIdentity, zoomTransform } from "../build/vendor.mjs";
import { frameTransform } from "./framing.js";
import { fmtNumber, fmtShape, fmtValue, fmtFull, gradMagnitude, heatmapGrid, isTensor } from "./format.js";
import { t } from "./i18n.js";
import { createCanvasLayer, mainText } from "./render-canvas.js";
import { edgeGeometry, labelRoom, parallelOffsets, placeLabels } from "./edges.js";
import { adjacency, moveForKey, nextFocus } from "./graph-keys.js";
import { createAnnouncer } from "./announce.js";

/** Node box sizes (layout units = px at zoom 1). */
export const NODE = { width: 148, height: 50, tensorHeight: 86, groupWidth: 160, groupHeight: 56 };
/** Above this many nodes the view is drawn on a canvas (the table view stays complete). */
export const DETAIL_MAX_NODES = 400;
const LABEL_MAX = 12;
/** Node labels are 13 px (app.css): at this zoom they are 11 px on screen, the smallest any
 * view (the app, the widget, the standalone page) opens at. */
export const READABLE_SCALE = 11 / 13;
/** Views made so far: each graph's description gets an id of its own (a notebook holds several). */
let describedViews = 0;
/** Space around a node's box where its focus ring is drawn (layout units). */
const RING_GAP = 5;
/** The space between layers laid out left to right, when no edge label needs more (layout units). */
const LAYER_GAP = 56;
/** Below this zoom, edge labels and op tags are hidden (unreadable anyway). */
const FAR_ZOOM = 0.45;

/**
 * Size of a visible node's box.
 * @param {import("./graphmodel.js").VisNode} vn
 * @returns {{width: number, height: number}}
 */
export function nodeSize(vn) {
  if (vn.members.length) return { width: NODE.groupWidth, height: NODE.groupHeight };
  if (isTensor(vn.node.value) && vn.node.shape?.length) return { width: NODE.width, height: NODE.tensorHeight };
  return { width: NODE.width, height: NODE.height };
}

const clip = (s, n = LABEL_MAX) => (s.length > n ? s.slice(0, n - 1) + "…" : s);

/** Positions and edge curves per (visible graph, layout): both views and every step share them. */
const geometries = new WeakMap();

/**
 * Node boxes by id and edge curves by id for a laid-out visible graph, computed once.
 * @param {import("./graphmodel.js").VisNode[]|any} vis
 * @param {any} layout
 */
function geometry(vis, layout) {
  const cached = geometries.get(layout);
  if (cached && cached.vis === vis) return cached;
  const pos = new Map();
  vis.nodes.forEach((vn, i) => {
    const s = nodeSize(vn);
    pos.set(vn.id, { x: layout.x[i], y: layout.y[i], w: s.width, h: s.height });
  });
  const vertical = layout.direction === "BT";
  const offsets = parallelOffsets(vis.edges);
  const edgeGeom = new Map();
  layout.edges.forEach((le, i) => {
    const ve = vis.edges[i];
    edgeGeom.set(ve.id, edgeGeometry(le.points, pos.get(ve.source), pos.get(ve.target), vertical, offsets.get(ve.id)));
  });
  const out = { vis, pos, edgeGeom, vertical, spots: null };
  geometries.set(layout, out);
  return out;
}

/**
 * Where the local gradients' labels go, placed once per (visible graph, layout): beside
 * their edges, clear of the node boxes and of each other (edges.js `placeLabels`).
 */
function labelSpots(geo) {
  if (!geo.spots) {
    const edges = geo.vis.edges.filter((d) => !d.grouped).map((d) => ({ id: d.id, flat: geo.edgeGeom.get(d.id).flat, text: localLabel(d.edge) }));
    geo.spots = placeLabels(edges, [...geo.pos.values()], geo.vertical);
  }
  return geo.spots;
}

/**
 * The layout options of a visible graph: bottom to top, layers 40 apart; left to right, layers
 * far enough apart for the widest local gradient's label to sit between them, off the boxes.
 * @param {{edges: {grouped?: boolean, edge: any}[]}} vis
 * @param {"LR"|"BT"} direction
 */
export function layoutOptions(vis, direction) {
  if (direction === "BT") return { direction, gapX: 40, gapY: 16 };
  const widest = Math.max(0, ...vis.edges.filter((d) => !d.grouped).map((d) => labelRoom(localLabel(d.edge))));
  return { direction, gapX: Math.max(LAYER_GAP, Math.ceil(widest)) };
}

/**
 * The local gradient as an edge label: a number for scalars, the formula otherwise.
 * @param {import("./graphmodel.js").ApiEdge} e
 */
export function localLabel(e) {
  if (e.local !== null && e.local !== undefined && !isTensor(e.local)) return fmtNumber(e.local, 3);
  return clip(e.local_formula ?? "", 12);
}

/**
 * Create a view bound to an <svg>.
 * @param {SVGSVGElement} svgEl
 * @param {{direction: "forward"|"backward", onSelect?: (id: string) => void,
 *          onToggle?: (id: string) => void, onZoom?: (transform: any) => void,
 *          onTable?: (id: string) => void}} options
 *   onTable: T pressed on a node (open the table view at its row)
 */
export function createGraphView(svgEl, options) {
  const { direction } = options;
  const svg = select(svgEl);
  svg.selectAll("*").remove();
  const arrowId = `arrow-${direction}`;
  const defs = svg.append("defs");
  for (const [suffix, cls] of [["", "arrow"], ["-hot", "arrow hot"]]) {
    defs
      .append("marker")
      .attr("id", arrowId + suffix)
      .attr("class", cls)
      .attr("viewBox", "0 0 10 10")
      .attr("refX", 9)
      .attr("refY", 5)
      .attr("markerUnits", "userSpaceOnUse")
      .attr("markerWidth", suffix ? 12 : 10)
      .attr("markerHeight", suffix ? 12 : 10)
      .attr("orient", "auto-start-reverse")
      .append("path")
      .attr("d", "M0,0L10,5L0,10z");
  }
  const viewport = svg.append("g").attr("class", "viewport");
  const gEdges = viewport.append("g").attr("class", "edges");
  const gLabels = viewport.append("g").attr("class", "edge-labels");
  const gNodes = viewport.append("g").attr("class", "nodes");
  let bounds = { width: 1, height: 1 };
  let syncing = false;
  let size = null;
  let vertical = false;
  let canvasMode = false;
  let lastVis = null;
  let lastCurrent = null;
  let focusId = null;
  let lastLayout = null;
  let lastDisplay = null;
  /** How the keyboard focus arrived at focusId (graph-keys.js), null after a click or Tab. */
  let keyContext = null;
  /** The node the keyboard is moving to: its focus event keeps keyContext. */
  let keyTarget = null;
  const canvas = createCanvasLayer(svgEl);
  const speaker = createAnnouncer("graph-live", svgEl.ownerDocument);
  // The short description: how the keys move, and what the graph computes.
  const describe = svgEl.ownerDocument.createElement("p");
  describe.id = `graph-desc-${direction}-${++describedViews}`;
  describe.className = "sr-only";
  svgEl.after(describe);
  svgEl.setAttribute("aria-describedby", describe.id);

  function drawEdgeLabels(geo, display) {
    const { vis } = geo;
    const labelled = direction === "backward" && display.locals !== false ? vis.edges.filter((d) => !d.grouped) : [];
    const spots = labelled.length ? labelSpots(geo) : null;
    const labelOf = new Map(vis.nodes.map((vn) => [vn.id, vn.node.label]));
    gLabels
      .selectAll("text.edge-label")
      .data(labelled, (d) => d.id)
      .join("text")
      .attr("class", (d) => `edge-label${display.hotEdges.has(d.id) ? " hot" : ""}`)
      .attr("x", (d) => spots.get(d.id).x)
      .attr("y", (d) => spots.get(d.id).y)
      .attr("text-anchor", (d) => spots.get(d.id).anchor)
      .text((d) => localLabel(d.edge))
      .selectAll("title")
      .data((d) => [d])
      .join("title")
      .text((d) => `grad(${labelOf.get(d.target)}, ${labelOf.get(d.source)}) = ${d.edge.local_formula ?? ""}`);
  }

  const zoomer = zoom()
    .scaleExtent([0.02, 4])
    .on("zoom", (event) => {
      viewport.attr("transform", event.transform);
      svgEl.classList.toggle("far", event.transform.k < FAR_ZOOM);
      canvas.setTransform(event.transform);
      if (!syncing && options.onZoom) options.onZoom(event.transform);
    });
  svg.call(zoomer).on("dblclick.zoom", null);
  svg.on("click.canvas", (event) => {
    if (!canvasMode) return;
    const r = svgEl.getBoundingClientRect();
    const id = canvas.hit(event.clientX - r.left, event.clientY - r.top);
    if (id) options.onSelect?.(id);
  });

  /**
   * Draw (or update) the graph.
   * @param {ReturnType<typeof import("./graphmodel.js").visibleGraph>} vis
   * @param {ReturnType<typeof import("./layout.js").layoutGraph>} layout  positions in vis.nodes order
   * @param {{values: Set<string>|null, grads: Set<string>|null, current: string|null,
   *          hotEdges: Set<string>, maxLog: number, minLog: number, locals?: boolean}} display
   *   `values`/`grads`: node ids whose value/gradient is revealed (null = all);
   *   `locals: false` hides the local gradients on the edges (not computed yet).
   */
  function update(vis, layout, display) {
    lastVis = vis;
    lastLayout = layout;
    lastDisplay = display;
    lastCurrent = display.current;
    const detail = vis.nodes.length <= DETAIL_MAX_NODES;
    // Read the size before writing to the DOM, so fit() right after does not force a layout.
    size = [svgEl.clientWidth, svgEl.clientHeight];
    canvasMode = !detail;
    svgEl.classList.toggle("big", canvasMode);
    bounds = { width: layout.width, height: layout.height };
    const backward = direction === "backward";
    vertical = layout.direction === "BT";
    const geo = geometry(vis, layout);
    const { pos, edgeGeom } = geo;

    if (canvasMode) {
      gEdges.selectAll("*").remove();
      gLabels.selectAll("*").remove();
      const known = (id) => (backward ? display.grads === null || display.grads.has(id) : display.values === null || display.values.has(id));
      const boxes = vis.nodes.map((d) => {
        const p = pos.get(d.id);
        const k = known(d.id);
        const fill = backward && k ? gradFill(d.node.grad, display) : null;
        return {
          id: d.id, x: p.x, y: p.y, w: p.w, h: p.h,
          kind: d.members.length ? "group" : d.node.kind,
          fill: fill && fill.startsWith("var(") ? null : fill,
          pending: !k, current: d.id === display.current, output: d.id === vis.outputId,
          label: d.members.length ? `${clip(d.node.label, 12)} (${d.members.length + 1})` : clip(d.node.label),
          main: mainText(d.node, backward, k),
        };
      });
      const edges = vis.edges.map((d) => {
        const g = edgeGeom.get(d.id);
        return { points: g.flat, mid: g.mid, hot: display.hotEdges.has(d.id), label: backward && display.locals !== false && !d.grouped ? localLabel(d.edge) : "" };
      });
      // drawn at the next frame (setScene schedules it), once, after a fit's new transform too
      canvas.setScene({ boxes, edges, display: { edgeLabels: backward } });
    } else {
      canvas.setScene(null);
      drawEdges(geo, display);
    }
    drawNodes(vis, pos, display);
    describe.textContent = `${t(vertical ? "graph.keysBT" : "graph.keysLR")} ${summary(vis, display)}`;
  }

  /** The graph in one sentence: its size and its output's value (once the view shows it). */
  function summary(vis, display) {
    const out = vis.nodes.find((vn) => vn.id === vis.outputId)?.node;
    if (!out) return "";
    const known = display.values === null || display.values?.has(vis.outputId);
    return t("graph.summary", { n: vis.nodes.length, e: vis.edges.length, label: out.label, value: known ? fmtValue(out.value, out.shape) : t("node.pending") });
  }

  function drawEdges(geo, display) {
    const { vis, edgeGeom } = geo;
    const backward = direction === "backward";

    gEdges
      .selectAll("path.edge")
      .data(vis.edges, (d) => d.id)
      .join("path")
      .attr("class", (d) => `edge${display.hotEdges.has(d.id) ? " hot" : ""}${d.grouped ? " grouped" : ""}`)
      .attr("d", (d) => edgeGeom.get(d.id).d)
      .attr(backward ? "marker-start" : "marker-end", (d) => `url(#${arrowId}${display.hotEdges.has(d.id) ? "-hot" : ""})`)
      .attr(backward ? "marker-end" : "marker-start", null);

    // Backward view: every edge carries its local gradient d(target)/d(source).
    drawEdgeLabels(geo, display);
  }

  /**
   * The nodes as SVG: every node, or (canvas mode) only the one that holds the keyboard
   * focus, drawn transparent over the canvas so that it can be focused, named and ringed.
   */
  function drawNodes(vis, pos, display) {
    const backward = direction === "backward";
    const stop = rovingId();
    const drawn = canvasMode ? vis.nodes.filter((vn) => vn.id === stop) : vis.nodes;
    const nodes = gNodes
      .selectAll("g.node")
      .data(drawn, (d) => d.id)
      .join((enter) => {
        const g = enter.append("g").attr("data-id", (d) => d.id);
        g.append("rect").attr("class", "focus-ring").attr("rx", 10);
        g.append("rect").attr("class", "box").attr("rx", 7);
        g.append("text").attr("class", "label").attr("x", 8).attr("y", 17);
        // the node's accessible name (ariaFor) says all it shows: the name starts with the
        // label (what a voice user says to click it); the other texts are not read twice.
        // The op tag comes last: it is hidden when zoomed out, and what stays visible must
        // still be the start of the name ("w 3 input", then "w 3")
        g.append("text").attr("class", "main").attr("x", 8).attr("y", 38).attr("aria-hidden", "true");
        g.append("text").attr("class", "op").attr("aria-hidden", "true").attr("y", 17).attr("text-anchor", "end");
        // spaces between the texts, as a reader of the box sees them ("w 3 input", not "w3input")
        g.each(function spaced() {
          for (const cls of ["main", "op"]) this.querySelector(`text.${cls}`).before(" ");
        });
        g.on("click", (event, d) => {
          if (event.target.closest(".toggle")) return;
          options.onSelect?.(d.id);
        });
        g.on("keydown", (event, d) => onNodeKey(event, d.id));
        g.on("focus", (_event, d) => {
          if (keyTarget !== d.id) keyContext = null; // arrived by Tab or a click
          keyTarget = null;
          if (focusId !== d.id) setFocusId(d.id);
        });
        return g;
      });

    nodes
      .attr("class", (d) => {
        const known = backward ? display.grads === null || display.grads.has(d.id) : display.values === null || display.values.has(d.id);
        const kind = d.members.length ? "group" : d.node.kind;
        return `node ${kind}${d.id === display.current ? " current" : ""}${known ? "" : " pending"}${d.id === vis.outputId ? " output" : ""}${canvasMode ? " proxy" : ""}`;
      })
      .attr("transform", (d) => {
        const p = pos.get(d.id);
        return `translate(${p.x - p.w / 2},${p.y - p.h / 2})`;
      })
      .attr("tabindex", (d) => (d.id === stop ? 0 : -1))
      .attr("role", "button")
      .attr("aria-roledescription", t("node.role"))
      .attr("data-label", (d) => d.node.label)
      .attr("aria-label", (d) => ariaFor(d, display));

    nodes
      .select("rect.focus-ring")
      .attr("x", -RING_GAP)
      .attr("y", -RING_GAP)
      .attr("width", (d) => pos.get(d.id).w + 2 * RING_GAP)
      .attr("height", (d) => pos.get(d.id).h + 2 * RING_GAP);
    nodes
      .select("rect.box")
      .attr("width", (d) => pos.get(d.id).w)
      .attr("height", (d) => pos.get(d.id).h)
      .style("fill", (d) => (backward && (display.grads === null || display.grads.has(d.id)) ? gradFill(d.node.grad, display) : null));
    nodes.select("text.label").text((d) => clip(d.node.label));
    nodes
      .select("text.main")
      .attr("class", `main ${backward ? "grad" : "value"}`)
      .text((d) => mainLine(d, display));

    // Collapse / expand toggles.
    // (filter on the node's fresh datum: ids are reused when a new analysis arrives)
    nodes.filter((d) => !canToggle(d)).selectAll("text.toggle").remove();
    nodes
      .filter(canToggle)
      .selectAll("text.toggle")
      .data((d) => [d])
      .join((enter) =>
        enter
          .append("text")
          .attr("class", "toggle")
          .attr("aria-hidden", "true") // C on the focused node does the same (onNodeKey)
          .on("click", (event, dd) => {
            event.stopPropagation();
            options.onToggle?.(dd.id);
          }),
      )
      .attr("x", (d) => pos.get(d.id).w - 6)
      .attr("y", (d) => pos.get(d.id).h - 6)
      .attr("text-anchor", "end")
      .attr("aria-label", (d) => (d.members.length ? t("canvas.expand") : t("canvas.collapse")))
      .text((d) => (d.members.length ? "⊞" : "⊟"));

    nodes
      .select("text.op")
      .attr("x", (d) => pos.get(d.id).w - 8)
      .text(opText);

    nodes.each(function drawExtras(d) {
      const g = select(this);
      // Heatmap preview for tensors (values forward, gradients backward).
      const v = backward ? d.node.grad : d.node.value;
      const shown = backward ? display.grads === null || display.grads.has(d.id) : display.values === null || display.values.has(d.id);
      const grid = !d.members.length && isTensor(v) && shown ? heatmapGrid(v) : null;
      const cells = grid ? grid.cells.map((c, i) => ({ c, i })) : [];
      const cw = grid ? Math.min(14, (NODE.width - 16) / grid.cols) : 0;
      const ch = grid ? Math.min(8, 30 / grid.rows) : 0;
      g.selectAll("rect.cell")
        .data(cells, (c) => c.i)
        .join("rect")
        .attr("class", "cell")
        .attr("x", (c) => 8 + (c.i % grid.cols) * cw)
        .attr("y", (c) => 46 + Math.floor(c.i / grid.cols) * ch)
        .attr("width", cw - 1)
        .attr("height", ch - 1)
        .style("fill", (c) => heatColour(c.c, grid.maxAbs));
      // full value on hover (native tooltip); click opens the inspector
      g.selectAll("title")
        .data([d])
        .join("title")
        .attr("aria-hidden", "true") // the mouse's tooltip; the accessible name says it all
        .text(`${d.node.label} (${d.node.op})\n${t("node.value")}: ${fmtFull(d.node.value, 1500)}\n${t("node.grad")}: ${fmtFull(d.node.grad, 1500)}`);
    });
  }

  // Roving tabindex: the graph is one tab stop (the node last focused, else the current
  // step's, else the output); the arrow keys move between nodes in forward order.
  function rovingId() {
    if (!lastVis) return null;
    const ids = lastVis.nodes;
    if (focusId && ids.some((vn) => vn.id === focusId)) return focusId;
    if (lastCurrent && ids.some((vn) => vn.id === lastCurrent)) return lastCurrent;
    return lastVis.outputId ?? ids[ids.length - 1]?.id ?? null;
  }

  function setFocusId(id) {
    focusId = id;
    const stop = rovingId();
    // canvas mode draws only the focused node: draw the new one
    if (canvasMode && lastVis && gNodes.select("g.node").datum()?.id !== stop) update(lastVis, lastLayout, lastDisplay);
    gNodes.selectAll("g.node").attr("tabindex", (d) => (d.id === stop ? 0 : -1));
  }

  /** Keys on a focused node: Enter/Space open its details, the others follow the edges (graph-keys.js). */
  function onNodeKey(event, id) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      options.onSelect?.(id);
      return;
    }
    if ((event.key === "c" || event.key === "C") && canToggle(lastVis.nodes.find((vn) => vn.id === id))) {
      event.preventDefault();
      options.onToggle?.(id);
      return;
    }
    if (event.key === "t" || event.key === "T") {
      // the long description: the table view, at this node's row
      event.preventDefault();
      options.onTable?.(id);
      return;
    }
    const move = moveForKey(event.key, vertical);
    if (!move || !lastVis) return;
    // the arrows move between nodes (and do not step the passes meanwhile)
    event.preventDefault();
    event.stopPropagation();
    const to = nextFocus(lastVis, id, move, keyContext);
    keyContext = to.context;
    if (!to.moved) {
      speaker.say(blockedText(move, id));
      return;
    }
    focusNode(to.id);
    const along = move === "inputs" ? edgeText(to.id, id) : move === "consumers" ? edgeText(id, to.id) : "";
    if (along) speaker.say(along);
  }

  /** Give a node the keyboard focus, panning to it when it is off-screen. */
  function focusNode(id) {
    keyTarget = id;
    setFocusId(id);
    const i = lastVis.nodes.findIndex((vn) => vn.id === id);
    if (i >= 0 && lastLayout) api.reveal(lastLayout.x[i], lastLayout.y[i], nodeSize(lastVis.nodes[i]));
    gNodes.selectAll("g.node").filter((d) => d.id === id).node()?.focus({ preventScroll: true });
  }

  const labelOf = (id) => lastVis.nodes.find((vn) => vn.id === id)?.node.label ?? id;

  /** Why a key did not move the focus, in words. */
  function blockedText(move, id) {
    const label = labelOf(id);
    if (move === "inputs") return t("graph.noInputs", { label });
    if (move === "consumers") return t("graph.noConsumers", { label });
    return t("graph.noSiblings", { label });
  }

  /** Backward view, moving along an edge: its local gradient, as the edge label shows it. */
  function edgeText(source, target) {
    if (direction !== "backward" || lastDisplay?.locals === false) return "";
    const e = lastVis.edges.find((ve) => ve.source === source && ve.target === target && !ve.grouped);
    if (!e) return "";
    return t("graph.edge", { local: `∂${labelOf(target)}/∂${labelOf(source)} = ${localLabel(e.edge)}` });
  }

  /**
   * The line under a node's label: its value (forward) or gradient (backward), "?" while
   * the step-through has not reached it.
   */
  function mainLine(d, display) {
    if (direction === "backward") {
      // a constant has no gradient to wait for: a dash, never the blank of a pending one
      if (d.node.kind === "const") return `${t("node.grad")}: —`;
      if (display.grads !== null && !display.grads.has(d.id)) return `${t("node.grad")} = ?`;
      return `${t("node.grad")} = ${short(d.node.grad, d.node.shape)}`;
    }
    if (display.values !== null && !display.values.has(d.id)) return "?";
    return short(d.node.value, d.node.shape);
  }

  /**
   * A node's accessible name: first what the box shows, in its order (label, the main line,
   * the operation: what a voice user reads off the screen), then in parentheses what it does
   * not show (a number not computed yet said so, the value behind a gradient, a tensor's
   * numbers, a clipped label in full) and where its edges lead. Text a decoration adds to
   * the box (health.js) is appended after it.
   */
  function ariaFor(d, display) {
    const backward = direction === "backward";
    const known = (set) => set === null || set === undefined || set.has(d.id);
    const pending = t("node.pending");
    const line = mainLine(d, display);
    const more = line.endsWith("?") ? [pending] : [];
    if (backward) more.push(`${t("node.value")} ${known(display.values) ? fmtValue(d.node.value, d.node.shape) : pending}`);
    if (isTensor(d.node.value) && known(backward ? display.grads : display.values)) {
      more.push(backward ? `${t("node.grad")} ${fmtValue(d.node.grad, d.node.shape)}` : `${t("node.value")} ${fmtValue(d.node.value, d.node.shape)}`);
    }
    if (clip(d.node.label) !== d.node.label) more.push(t("node.fullLabel", { label: d.node.label }));
    if (d.members.length) more.push(t("node.groupAria"));
    else if (d.node.kind === "op" && opTag(d.node) !== d.node.op) more.push(t("node.fullOp", { op: d.node.op }));
    const { inputs, consumers } = adjacency(lastVis);
    const names = (ids) => ids.map(labelOf).join(", ");
    if (inputs.get(d.id)?.length) more.push(t("node.inputsAria", { names: names(inputs.get(d.id)) }));
    more.push(consumers.get(d.id)?.length ? t("node.usedByAria", { names: names(consumers.get(d.id)) }) : t("node.outputAria"));
    return `${clip(d.node.label)}: ${line}, ${opText(d)} (${more.join("; ")})`;
  }

  function gradFill(g, display) {
    if (g === null || g === undefined) return null; // constants have no gradient
    const m = gradMagnitude(g);
    if (!Number.isFinite(m)) return "var(--grad-bad)";
    if (m === 0) return null;
    const span = Math.max(1e-9, display.maxLog - display.minLog);
    const k = Math.max(0, Math.min(1, (Math.log10(m) - display.minLog) / span));
    return `rgba(234, 88, 12, ${(0.1 + 0.55 * k).toFixed(3)})`;
  }

  /**
   * Fit the whole graph in the view (never zooming in past 1.2). With `minScale`, a graph
   * too big to fit legibly is shown at that scale instead, centred on `focus` (the output).
   * @param {number} [minScale]
   * @param {{x: number, y: number}} [focus]  layout coordinates
   */
  function fit(minScale = 0, focus = undefined) {
    const [w, h] = size && size[0] ? size : [svgEl.clientWidth || 600, svgEl.clientHeight || 400];
    const pad = 24;
    const k0 = Math.min((w - 2 * pad) / Math.max(1, bounds.width), (h - 2 * pad) / Math.max(1, bounds.height), 1.2);
    if (k0 < minScale && focus) {
      // the output sits at the far end: keep it near that edge, the graph behind it in view
      const fx = vertical ? w / 2 : w - pad - NODE.width * minScale;
      const fy = vertical ? pad + NODE.height * minScale : h / 2;
      svg.call(zoomer.transform, zoomIdentity.translate(fx - focus.x * minScale, fy - focus.y * minScale).scale(minScale));
      return;
    }
    const tx = (w - bounds.width * k0) / 2;
    const ty = (h - bounds.height * k0) / 2;
    svg.call(zoomer.transform, zoomIdentity.translate(tx, ty).scale(k0));
  }

  /** Show exactly the layout box [x0, y0, x1, y1] (framing.js). */
  function frame(box) {
    const [w, h] = size && size[0] ? size : [svgEl.clientWidth || 600, svgEl.clientHeight || 400];
    const { k, x, y } = frameTransform(box, [w, h]);
    svg.call(zoomer.transform, zoomIdentity.translate(x, y).scale(k));
  }

  const api = {
    update,
    fit,
    frame,
    /** @returns {"svg"|"canvas"} how the last update drew */
    mode: () => (canvasMode ? "canvas" : "svg"),
    /** @param {number} factor */
    zoomBy: (factor) => svg.call(zoomer.scaleBy, factor),
    /** Apply another view's transform without echoing it back. */
    setTransform(transform) {
      syncing = true;
      svg.call(zoomer.transform, transform);
      syncing = false;
    },
    /**
     * Pan (keeping the zoom) to a node only when it is off-screen (not wholly in view):
     * a graph that moves under the reader's eyes at every step is harder to follow.
     * @param {number} x  centre, layout coordinates
     * @param {number} y
     * @param {{width: number, height: number}} [box]  the node's size
     */
    reveal(x, y, box = { width: 0, height: 0 }) {
      const tr = zoomTransform(svgEl);
      const [w, h] = [svgEl.clientWidth, svgEl.clientHeight];
      const [x0, y0] = tr.apply([x - box.width / 2, y - box.height / 2]);
      const [x1, y1] = tr.apply([x + box.width / 2, y + box.height / 2]);
      if (w && (x0 < 0 || x1 > w || y0 < 0 || y1 > h)) svg.call(zoomer.translateTo, x, y);
    },
  };
  return api;
}

/** Can a node be collapsed (a statement's sub-expression) or expanded (a group)? */
const canToggle = (d) => !!d && (d.members.length > 0 || (d.node.kind === "op" && d.collapsible));

function short(v, shape) {
  if (isTensor(v)) return `[${fmtShape(shape)}]`;
  return fmtNumber(v);
}

/** The operation tag at a box's top right (a group: how many nodes it holds). */
function opText(d) {
  return d.members.length ? t("node.group", { k: d.members.length + 1 }) : opTag(d.node);
}

function opTag(node) {
  if (node.kind === "input") return t("kind.input");
  if (node.kind === "const") return t("kind.const");
  return clip(node.op, 8);
}

function heatColour(x, maxAbs) {
  if (!Number.isFinite(x)) return "var(--grad-bad)";
  const k = maxAbs > 0 ? x / maxAbs : 0;
  // diverging: blue (negative) — neutral — red (positive)
  return k >= 0 ? `rgba(220, 38, 38, ${(0.15 + 0.8 * k).toFixed(3)})` : `rgba(37, 99, 235, ${(0.15 - 0.8 * k).toFixed(3)})`;
}
