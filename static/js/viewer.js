// A viewer of one finished analysis with no server behind it: the forward and backward
// graphs with step-through, built from the app's own modules (graphmodel, layout, render,
// stepper, the steps panel, the inspector) over the markup of templates/_graphs.html.
// The standalone HTML export (standalone.js) and the notebook widget start it.
import { displayState } from "./display.js";
import { backwardSteps, setOps } from "./explain.js";
import { buildModel, defaultCollapsed, visibleGraph } from "./graphmodel.js";
import { applyTranslations, setLanguage } from "./i18n.js";
import { createInspector } from "./inspector.js";
import { layoutGraph } from "./layout.js";
import { createGraphView, layoutOptions, nodeSize, READABLE_SCALE } from "./render.js";
import { createStepper } from "./stepper.js";
import { createStepsPanel } from "./steps.js";


/**
 * Draw `analysis` (a POST /api/graph response) in the page's graph panels.
 * @param {{analysis: object, ops?: object[], lang?: string}} data  ops: GET /api/ops (step texts)
 * @param {{onStep?: (s: import("./stepper.js").StepState, nodeId: string|null) => void,
 *          root?: Document|HTMLElement}} [hooks]  root: where the markup is (default the
 *   document; a notebook widget's element, so several widgets on a page stay apart), and
 *   where ← → step
 * @returns {{stepper: ReturnType<typeof createStepper>, model: object, destroy: () => void}}
 */
export function startViewer({ analysis, ops, lang = "en" }, hooks = {}) {
  const root = hooks.root ?? document;
  const $ = (id) => root.querySelector(`#${id}`);
  setLanguage(lang);
  applyTranslations(root);
  if (ops) setOps(ops);
  const model = buildModel(analysis);
  let collapsed = defaultCollapsed(model);
  let vis = null;
  let layout = null;

  const inspector = createInspector($("inspector"));
  const stepper = createStepper((s) => {
    hooks.onStep?.(s, stepper.current());
    steps.render(s);
    draw();
  });
  const steps = createStepsPanel({ stepper, root, onMode: (mode) => setView(mode) });
  const view = (direction, other) =>
    createGraphView($(`svg-${direction}`), {
      direction,
      onSelect: (id) => inspector.show(id),
      onToggle: (id) => toggle(id),
      onZoom: (tr) => views[other].setTransform(tr),
    });
  const views = { forward: view("forward", "backward"), backward: view("backward", "forward") };

  function relayout() {
    vis = visibleGraph(model, collapsed);
    vis.outputId = vis.owner.get(model.output) ?? model.output;
    layout = layoutGraph({
      nodes: vis.nodes.map((vn) => ({ id: vn.id, ...nodeSize(vn) })),
      edges: vis.edges.map((e) => ({ source: e.source, target: e.target })),
      order: vis.order,
    }, layoutOptions(vis, "LR"));
    draw();
    // the whole graph if its labels stay readable, else the output end at the smallest
    // readable zoom (the backward view follows the forward one's zoom)
    const out = vis.nodes.findIndex((vn) => vn.id === vis.outputId);
    views.forward.fit(READABLE_SCALE, out >= 0 ? { x: layout.x[out], y: layout.y[out] } : undefined);
  }
  function draw() {
    if (!vis || !layout) return;
    const display = displayState(stepper, vis, model);
    views.forward.update(vis, layout, display);
    views.backward.update(vis, layout, display);
  }
  function toggle(id) {
    collapsed = collapsed.includes(id) ? collapsed.filter((c) => c !== id) : [...collapsed, id];
    relayout();
  }
  function setView(which) {
    const graphs = $("graphs");
    graphs.classList.toggle("show-forward", which === "forward");
    graphs.classList.toggle("show-backward", which === "backward");
    $("tab-forward").setAttribute("aria-selected", String(which === "forward"));
    $("tab-backward").setAttribute("aria-selected", String(which === "backward"));
  }

  const on = (id, handler) => $(id)?.addEventListener("click", handler);
  on("btn-forward", () => stepper.start("forward"));
  on("btn-backward", () => stepper.start("backward"));
  on("btn-reset", () => stepper.reset());
  on("btn-prev", () => stepper.prev());
  on("btn-next", () => stepper.next());
  on("btn-play", () => stepper.toggle());
  on("btn-fit", () => views.forward.fit());
  on("btn-zoom-in", () => views.forward.zoomBy(1.3));
  on("btn-zoom-out", () => views.forward.zoomBy(1 / 1.3));
  on("btn-collapse-all", () => {
    collapsed = [...model.nodes.values()].filter((nd) => nd.statement).map((nd) => nd.id);
    relayout();
  });
  on("btn-expand-all", () => {
    collapsed = [];
    relayout();
  });
  on("tab-forward", () => setView("forward"));
  on("tab-backward", () => setView("backward"));
  const onKey = (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest?.("input, textarea, select, [contenteditable]")) return;
    if (event.key === "ArrowRight") stepper.next();
    else if (event.key === "ArrowLeft") stepper.prev();
    else return;
    event.preventDefault();
  };
  root.addEventListener("keydown", onKey);

  inspector.update?.({ model, data: analysis, error: null });
  steps.update({ model, data: analysis, error: null });
  stepper.load(model.order, backwardSteps(model));
  relayout();
  return {
    stepper,
    model,
    /** Stop listening (before the same markup gets a new viewer). */
    destroy() {
      root.removeEventListener("keydown", onKey);
      stepper.pause();
    },
  };
}
