// Wires the page: state store <-> URL, editor and values -> API -> model -> layout (worker)
// -> the two views, the stepper, the explanation, the table and the gradient check.
// Every handler: change state, then render from state.
import { analyzeGraph, fetchExamples, fetchOps } from "./api.js";
import { createCheckPanel } from "./check.js";
import { displayState } from "./display.js";
import { createEditor, freeNames } from "./editor.js";
import { valueField } from "./errors.js";
import { el } from "./el.js";
import { initEmbed } from "./embed.js";
import { backwardSteps, setOps } from "./explain.js";
import { initExport } from "./export.js";
import { isTensor } from "./format.js";
import { createHealthPanel } from "./health.js";
import { buildModel, defaultCollapsed, visibleGraph } from "./graphmodel.js";
import { framedBox, frameFromSearch } from "./framing.js";
import { applyTranslations, getLanguage, LANGUAGES, setLanguage, t } from "./i18n.js";
import { createInspector } from "./inspector.js";
import { createLinkNotice } from "./link-notice.js";
import { layoutInWorker } from "./layout-client.js";
import { createPanels } from "./panels.js";
import { createPracticePanel } from "./practice.js";
import { createProbePanel } from "./probe.js";
import { createGraphView, layoutOptions, nodeSize, READABLE_SCALE } from "./render.js";
import { initShare } from "./share.js";
import { createStepper } from "./stepper.js";
import { createStepsPanel } from "./steps.js";
import { createStore, parseLink, serialize } from "./state.js";
import { createNodeTable } from "./table.js";
import { createTrainingPanel } from "./training/panel.js";
import { createTrainingReplay } from "./training/replay.js";
import { createValuesPanel } from "./values.js";
import { createWarnings } from "./warnings.js";

const $ = (id) => document.getElementById(id);
const EMBED = document.body.classList.contains("embed");
const STORAGE = { lang: "chainrule.lang", theme: "chainrule.theme" };

const link = parseLink(location.search);
const store = createStore(link.state);
let functions = new Set();
let examples = [];
let model = null;
let vis = null;
let layout = null;
let analysisSeq = 0;
let layoutSeq = 0;
let inflight = null;
let collapsedFor = null; // the expression the collapsed set belongs to
let fittedFor = null;
let lastStatus = null;

// ------------------------------------------------------------------ preferences

function readStored(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
function writeStored(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // private mode: the choice just is not remembered
  }
}

function initialLanguage() {
  const s = store.get();
  if (s.lang) return s.lang;
  const saved = readStored(STORAGE.lang);
  if (LANGUAGES.includes(saved)) return saved;
  return (navigator.language || "en").toLowerCase().startsWith("vi") ? "vi" : "en";
}

function initialTheme() {
  const s = store.get();
  if (s.theme) return s.theme;
  const saved = readStored(STORAGE.theme);
  if (saved === "light" || saved === "dark") return saved;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  const btn = $("btn-theme");
  if (btn) {
    btn.setAttribute("aria-pressed", String(theme === "dark"));
    btn.textContent = theme === "dark" ? t("app.lightTheme") : t("app.darkTheme");
  }
}

// ------------------------------------------------------------------ components

const editor = createEditor(
  { textarea: $("source"), gutter: $("gutter"), error: $("editor-error") },
  {
    onEdit: () => markStale(true),
    onChange: (source) => {
      store.set({ expression: source });
      analyse();
    },
    onSubmit: (source) => {
      store.set({ expression: source });
      analyse();
    },
  },
);

const valuesPanel = createValuesPanel($("values"), {
  onChange: (texts) => store.set({ values: { ...store.get().values, ...texts } }),
  onSubmit: () => analyse(),
});
// The training panel (absent from /embed): its state() puts the current params and batch into the graph.
// Without the panel (the embed), a replay still shows a link's training step.
const training = $("training")
  ? createTrainingPanel($("training"), { store, startValues: () => valuesPanel.values(), loadExpression: (ex) => loadExample(ex), refresh: () => analyse() })
  : createTrainingReplay({ store, startValues: () => valuesPanel.values(), refresh: () => analyse() });
const inspector = createInspector($("inspector"));
// Gradient health and the mistakes card (health.js): badges are added after each drawing.
const health = createHealthPanel({ card: $("health-card"), mistakeCard: $("mistake-card") }, { focus: focusNode });
const check = createCheckPanel($("check-card"), { analyse, button: $("btn-check") });
let valuesTimer = null;
store.subscribe((_s, changed) => {
  if (changed.has("values")) {
    clearTimeout(valuesTimer);
    valuesTimer = setTimeout(analyse, 50);
  }
});

const stepper = createStepper((s) => {
  store.set({ mode: s.mode, step: s.step });
  steps.render(s);
  drawViews();
  revealCurrent();
});
const steps = createStepsPanel({
  stepper,
  onMode: (mode) => {
    if (mode !== store.get().view && window.matchMedia("(max-width: 899px)").matches) setView(mode);
  },
});

// Every panel around the graphs (panels.js): order matters for state(), later values win.
const probe = createProbePanel($("probe-card"), { analyse });
const practice = createPracticePanel($("practice"), {
  store, svg: $("svg-backward"), values: () => panels.state().values, redraw: () => drawViews(), showBackward: () => setView("backward"),
});
const nodeTable = createNodeTable($("node-table"));
const panels = createPanels([valuesPanel, training, steps, inspector, check, nodeTable, createWarnings($("warnings-card")), probe, practice, createLinkNotice(link.problems), health]);

/** Keep the node being explained on screen while stepping through a big graph. */
function revealCurrent() {
  if (FRAME) return; // a framed view (a lesson step) keeps its frame
  const id = stepper.current();
  if (!id || !vis || !layout || layout.x.length !== vis.nodes.length) return;
  const shown = vis.owner.get(id) ?? id;
  const i = vis.nodes.findIndex((vn) => vn.id === shown);
  if (i >= 0) views[visibleView()].reveal(layout.x[i], layout.y[i], nodeSize(vis.nodes[i]));
}

const views = {
  forward: createGraphView($("svg-forward"), {
    direction: "forward",
    onSelect: (id) => selectNode(id),
    onToggle: (id) => toggleCollapse(id),
    onTable: (id) => nodeTable?.open(model?.nodes.has(id) ? id : undefined),
    onZoom: (tr) => views.backward.setTransform(tr),
  }),
  backward: createGraphView($("svg-backward"), {
    direction: "backward",
    onSelect: (id) => selectNode(id),
    onToggle: (id) => toggleCollapse(id),
    onTable: (id) => nodeTable?.open(model?.nodes.has(id) ? id : undefined),
    onZoom: (tr) => views.forward.setTransform(tr),
  }),
};

/** A node's details, with its health flags. */
function selectNode(id) {
  inspector.show(id);
  health.annotateInspector();
}

/** Point at a node: its details, and the graph panned to it (a flag in the Health list, Play stopped). */
function focusNode(id) {
  selectNode(id);
  drawViews();
  if (!vis || !layout || layout.x.length !== vis.nodes.length) return;
  const shown = vis.owner.get(id) ?? id;
  const i = vis.nodes.findIndex((vn) => vn.id === shown);
  if (i >= 0) views[visibleView()].reveal(layout.x[i], layout.y[i]);
}

/** During training Play, a step whose graph raises a new health flag stops Play there. */
function stopPlayOnNewFlag(trainStep) {
  const fresh = health.fresh();
  if (!training?.playing() || !fresh.length) return;
  training.pause(trainStep);
  const flag = fresh[0];
  const note = $("health-stopped");
  if (note) {
    note.hidden = false;
    note.textContent = t("health.stopped", { step: trainStep, kind: t(`health.kind.${flag.kind}`), label: model.nodes.get(flag.node)?.label ?? flag.node });
  }
  health.point(flag.node);
}

// ------------------------------------------------------------------ analysis

/** Show a value row for every name the expression reads that the training data does not give. */
function syncValueNames() {
  const s = store.get();
  const names = freeNames(s.expression, functions);
  const fromData = new Set(training?.dataNames() ?? []);
  valuesPanel.set(names.filter((n) => !fromData.has(n)), s.values);
  return names;
}

/**
 * The values of the next analysis: the panels' values without the training data's spare
 * columns (a dataset gives Y beside y; an expression that uses y only would be told that
 * the value Y is unused).
 * @param {string[]} names  the expression's free names
 */
function requestValues(names) {
  const spare = new Set((training?.dataNames() ?? []).filter((n) => !names.includes(n)));
  return Object.fromEntries(Object.entries(panels.state().values).filter(([k]) => !spare.has(k)));
}

/**
 * Analyse the current expression and values; keeps the previous graph on errors. Every panel
 * then gets the analysis (panels.js).
 * @param {{check?: boolean}} [opts]
 * @returns {Promise<object|null>} the API data, or null on an error
 */
async function analyse(opts = {}) {
  const s = store.get();
  const names = syncValueNames();
  syncExamplesMenu();
  const seq = ++analysisSeq;
  inflight?.abort();
  inflight = new AbortController();
  setStatus(t("status.analyzing"));
  const body = { expression: s.expression, values: requestValues(names), lang: getLanguage() };
  if (s.output) body.output = s.output;
  if (s.mistake) body.mistake = s.mistake;
  if (opts.check) body.check = true;
  const r = await analyzeGraph(body, inflight.signal);
  if (seq !== analysisSeq || r.aborted) return null;
  if (!r.ok) {
    // errors about a value are shown beside that value (the values panel), others under the editor
    editor.showError(valueField(r.error) || r.error.code === "missing_value" ? null : r.error);
    markStale(true);
    panels.update({ expression: s.expression, names, data: null, model: null, error: r.error });
    setStatus(r.error.code === "network" ? t("status.network", { message: r.error.message }) : "");
    document.body.classList.add("has-error");
    return null;
  }
  document.body.classList.remove("has-error");
  editor.showError(null);
  markStale(false);
  model = buildModel(r.data);
  if (collapsedFor !== s.expression) {
    // A new expression: collapse big graphs by default; a link's collapsed set wins once.
    const fromUrl = collapsedFor === null ? s.collapsed.filter((id) => model.nodes.has(id)) : [];
    store.set({ collapsed: fromUrl.length ? fromUrl : defaultCollapsed(model) });
    collapsedFor = s.expression;
  }
  panels.update({ expression: s.expression, names, data: r.data, model, error: null, request: body });
  stopPlayOnNewFlag(s.trainStep);
  const st = store.get();
  stepper.load(model.order, backwardSteps(model), { mode: st.mode, step: st.step });
  await relayout();
  return r.data;
}

/**
 * Mark what is shown (graphs, step, gradient check) as out of date, or current again: after
 * an error, or while the text has changes not yet analysed.
 * @param {boolean} stale
 */
function markStale(stale) {
  document.body.classList.toggle("stale", stale && !!model);
  const note = $("stale-note");
  if (note) note.hidden = !(stale && model);
}

/** Lay out the visible graph in the worker, then draw both views. */
async function relayout() {
  if (!model) return;
  const seq = ++layoutSeq;
  const next = visibleGraph(model, store.get().collapsed);
  next.outputId = next.owner.get(model.output) ?? model.output;
  const graph = {
    nodes: next.nodes.map((vn) => ({ id: vn.id, ...nodeSize(vn) })),
    edges: next.edges.map((e) => ({ source: e.source, target: e.target })),
    order: next.order,
  };
  setStatus(t("status.layout", { n: graph.nodes.length }));
  const t0 = performance.now();
  const direction = layoutDirection();
  const result = await layoutInWorker(graph, layoutOptions(next, direction));
  if (seq !== layoutSeq) return;
  // The visible graph and its layout change together: anything drawn while a layout is being
  // computed (a step, a language change, Play) draws the previous pair, never a mix of two graphs.
  vis = next;
  layout = result;
  drawViews();
  const key = `${store.get().expression}|${vis.nodes.length}`;
  if (fittedFor !== key) {
    fitViews(visibleView());
    fittedFor = key;
  }
  const groups = vis.nodes.filter((vn) => vn.members.length).length;
  lastStatus = { n: vis.nodes.length, e: vis.edges.length, ms: Math.round(performance.now() - t0), engine: result.engine, groups };
  setStatus(statusText());
  document.body.dataset.ready = "true";
  // for the layout benchmark (bench/bench_layout.py): when the graph was drawn, and how big
  if (!performance.getEntriesByName("chainrule:first-graph").length) performance.mark("chainrule:first-graph");
  document.dispatchEvent(new CustomEvent("chainrule:drawn", { detail: { nodes: vis.nodes.length } }));
}

/** A filled frame (a lesson's view) below the step's arithmetic is a little wider than tall,
 * and its graph is read bottom to top there as in the rest of the lesson. */
const TALL_PANEL = 0.75;
const TALL_FILLED_PANEL = 0.55;

/** Layers bottom-to-top in tall panels (side by side, phones), left-to-right in wide ones. */
function layoutDirection() {
  const svg = [$("svg-forward"), $("svg-backward")].find((el) => el && el.clientWidth > 0);
  if (!svg) return "LR";
  const tall = document.body.classList.contains("fill") ? TALL_FILLED_PANEL : TALL_PANEL;
  return svg.clientHeight / svg.clientWidth > tall ? "BT" : "LR";
}

function statusText() {
  if (!lastStatus) return "";
  const base = t("status.done", lastStatus);
  return lastStatus.groups ? `${base} · ${t("status.collapsed", { k: lastStatus.groups })}` : base;
}

function setStatus(text) {
  const el = $("graph-status");
  if (el) el.textContent = text;
}

/** Where the output is drawn (layout coordinates), for the first view of big graphs. */
function outputFocus() {
  const i = vis.nodes.findIndex((vn) => vn.id === vis.outputId);
  return i >= 0 ? { x: layout.x[i], y: layout.y[i] } : undefined;
}

/** Initial view: the whole graph fitted to the panel if its labels stay readable, else
 * the output end at the smallest readable zoom. */
function fitViews(view = "forward") {
  const box = FRAME ? framedBox(FRAME, vis, layout, nodeSize, (id) => model.nodes.get(id)) : null;
  if (box) views[view].frame(box);
  else views[view].fit(READABLE_SCALE, outputFocus());
}
/** The nodes a link asks to show (a lesson step's), framed at every size (framing.js). */
const FRAME = frameFromSearch(location.search);

// ------------------------------------------------------------------ drawing

function drawViews() {
  if (!model || !vis || !layout || layout.x.length !== vis.nodes.length) return;
  const shown = displayState(stepper, vis, model);
  const display = practice ? practice.display(shown) : shown;
  views.forward.update(vis, layout, display);
  views.backward.update(vis, layout, display);
  practice?.decorate();
  health.decorate($("svg-forward"), "forward", display);
  health.decorate($("svg-backward"), "backward", { current: stepper.get().mode === "backward" ? stepper.current() : null });
}

function toggleCollapse(id) {
  const c = new Set(store.get().collapsed);
  if (c.has(id)) c.delete(id);
  else c.add(id);
  store.set({ collapsed: [...c] });
  relayout();
}

// ------------------------------------------------------------------ view tabs (narrow screens)

function setView(view) {
  store.set({ view });
  const graphs = $("graphs");
  graphs.classList.toggle("show-forward", view === "forward");
  graphs.classList.toggle("show-backward", view === "backward");
  $("tab-forward").setAttribute("aria-selected", String(view === "forward"));
  $("tab-backward").setAttribute("aria-selected", String(view === "backward"));
  $("tab-forward").tabIndex = view === "forward" ? 0 : -1;
  $("tab-backward").tabIndex = view === "backward" ? 0 : -1;
  if (layout && vis) requestAnimationFrame(() => fitViews(view));
}

// ------------------------------------------------------------------ language

function changeLanguage(lang) {
  setLanguage(lang);
  applyTranslations();
  applyTheme(document.documentElement.dataset.theme);
  renderExamplesMenu();
  panels.relabel(lang);
  drawViews();
  setStatus(statusText());
  if (model) analyse(); // the health messages come from the server in the page's language
  const select = $("lang");
  if (select) select.value = lang;
}

function renderExamplesMenu() {
  const menu = $("examples");
  if (!menu) return;
  menu.replaceChildren(
    el("option", { value: "" }, t("app.examplePlaceholder")),
    ...examples.map((ex, i) => el("option", { value: String(i) }, exampleTitle(ex) ?? `#${i + 1}`)),
  );
}

/** An example's title in the page's language (the registry's i18n), else its English title. */
function exampleTitle(ex) {
  return ex.i18n?.[getLanguage()]?.title ?? ex.title ?? ex.name ?? ex.id;
}

/** The examples menu names the example being shown, or none once the expression differs. */
function syncExamplesMenu() {
  const menu = $("examples");
  if (!menu) return;
  const expression = store.get().expression.trim();
  const index = examples.findIndex((ex) => ex.expression.trim() === expression);
  menu.value = index >= 0 ? String(index) : "";
}

/** Values as the text the values panel shows. */
const valueTexts = (values) =>
  Object.fromEntries(
    Object.entries(values ?? {}).map(([k, v]) => [
      k,
      typeof v === "number" ? String(v) : JSON.stringify(v).replace(/,(?=\S)/g, ", ").replace(/":/g, '": '),
    ]),
  );

/** Turn a classic backprop bug on or off; on a graph that uses no value twice, open the
 * example where it shows (b = x + x; c = b + b). */
function setMistake(mistake) {
  store.set({ mistake });
  const example = examples.find((ex) => ex.id === "mistakes");
  if (mistake && !sharesAValue() && example) loadExample(example);
  else analyse();
}

/** Does the current graph use some value more than once (where the mistakes show)? */
function sharesAValue() {
  if (!model) return false;
  const uses = new Map();
  for (const e of model.edges ?? []) uses.set(e.source, (uses.get(e.source) ?? 0) + 1);
  return [...uses.values()].some((n) => n > 1);
}

/** An example's state: its expression and values, and (when it carries one) the optimizer and learning rate it trains with. */
const exampleState = (ex) => ({
  expression: ex.expression,
  values: valueTexts(ex.values),
  output: ex.output ?? "",
  ...(ex.optimizer ? { optimizer: ex.optimizer } : {}),
});

/** Show an example; resolves once its graph is analysed (to the API data, or null). */
function loadExample(ex) {
  stepper.reset();
  inspector.hide();
  store.set({ ...exampleState(ex), collapsed: [] });
  clearTimeout(valuesTimer); // its values are analysed now, not once more in 50 ms
  collapsedFor = null;
  editor.value = ex.expression;
  check?.hide();
  return analyse();
}

// ------------------------------------------------------------------ events

function wire() {
  $("btn-forward").addEventListener("click", () => stepper.start("forward"));
  $("btn-backward").addEventListener("click", () => stepper.start("backward"));
  $("btn-reset").addEventListener("click", () => stepper.reset());
  $("btn-prev").addEventListener("click", () => stepper.prev());
  $("btn-next").addEventListener("click", () => stepper.next());
  $("btn-play").addEventListener("click", () => stepper.toggle());
  $("btn-fit").addEventListener("click", () => views[visibleView()].fit());
  $("btn-zoom-in").addEventListener("click", () => views[visibleView()].zoomBy(1.3));
  $("btn-zoom-out").addEventListener("click", () => views[visibleView()].zoomBy(1 / 1.3));
  $("btn-collapse-all").addEventListener("click", () => {
    if (!model) return;
    const all = [...model.nodes.values()].filter((nd) => nd.statement).map((nd) => nd.id);
    store.set({ collapsed: all });
    relayout();
  });
  $("btn-expand-all").addEventListener("click", () => {
    store.set({ collapsed: [] });
    relayout();
  });
  $("tab-forward").addEventListener("click", () => setView("forward"));
  $("tab-backward").addEventListener("click", () => setView("backward"));
  for (const id of ["tab-forward", "tab-backward"]) {
    $(id).addEventListener("keydown", (event) => {
      if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
        event.preventDefault();
        event.stopPropagation();
        const next = store.get().view === "forward" ? "backward" : "forward";
        setView(next);
        $(`tab-${next}`).focus();
      }
    });
  }
  $("btn-analyze")?.addEventListener("click", () => {
    editor.flush();
    store.set({ expression: editor.value });
    analyse();
  });
  $("shade-edges")?.addEventListener("change", (event) => {
    health.setShade(event.target.value);
    drawViews();
  });
  $("mistake")?.addEventListener("change", (event) => setMistake(event.target.value));
  $("examples")?.addEventListener("change", (event) => {
    const ex = examples[Number(event.target.value)];
    if (event.target.value !== "" && ex) loadExample(ex);
  });
  $("lang")?.addEventListener("change", (event) => {
    writeStored(STORAGE.lang, event.target.value);
    store.set({ lang: event.target.value });
    changeLanguage(event.target.value);
  });
  $("btn-theme")?.addEventListener("click", () => {
    const theme = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    writeStored(STORAGE.theme, theme);
    store.set({ theme });
    applyTheme(theme);
  });
  document.addEventListener("keydown", (event) => {
    const el = event.target;
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (el.closest?.("input, textarea, select, [contenteditable]")) return;
    if (event.key === "ArrowRight") stepper.next();
    else if (event.key === "ArrowLeft") stepper.prev();
    else if (event.key === " " && !el.closest?.("button, a, summary, [role=button], [role=tab]")) stepper.toggle();
    else return;
    event.preventDefault();
  });
  // Keep the URL in step with the state (serialize compresses long links; share.js copies them).
  let urlTimer = null;
  store.subscribe((s) => {
    clearTimeout(urlTimer);
    urlTimer = setTimeout(() => {
      const q = serialize(s);
      history.replaceState(null, "", q ? `${location.pathname}?${q}` : location.pathname);
    }, 250);
  });
}

let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    if (layout && layout.direction !== layoutDirection()) {
      fittedFor = null;
      relayout();
    } else if (FRAME && layout && vis) {
      drawViews(); // the views read their new size, then frame again
      fitViews(visibleView());
    }
  }, 200);
});

function visibleView() {
  const preferred = window.matchMedia("(max-width: 899px)").matches ? store.get().view : "forward";
  // an embed may show only the other graph (panels=backward)
  const other = preferred === "forward" ? "backward" : "forward";
  return EMBED && $(`svg-${preferred}`).clientWidth === 0 && $(`svg-${other}`).clientWidth > 0 ? other : preferred;
}

// ------------------------------------------------------------------ start

async function start() {
  setLanguage(initialLanguage());
  applyTranslations();
  const select = $("lang");
  if (select) select.value = getLanguage();
  applyTheme(initialTheme());
  wire();
  initShare({ store });
  initEmbed({ store });
  initExport({
    graph: () => (model && vis && layout && layout.x.length === vis.nodes.length ? { model, vis, layout } : null),
    requestBody: () => {
      const s = store.get();
      return { expression: s.expression, values: valuesPanel.values(), ...(s.output ? { output: s.output } : {}), ...(s.mistake ? { mistake: s.mistake } : {}) };
    },
  });
  setView(store.get().view);
  if ($("mistake")) $("mistake").value = store.get().mistake;
  steps.render(stepper.get());
  // The training panel's data only matters first when a link chose some (its names are not
  // values to type); otherwise the first graph does not wait for the datasets.
  const [ops, exs] = await Promise.all([fetchOps(), fetchExamples(), store.get().trainData ? training?.ready : null]);
  if (ops.ok) {
    setOps(ops.data);
    functions = new Set(ops.data.filter((op) => op.callable !== false).map((op) => op.name));
  }
  if (exs.ok) examples = exs.data;
  renderExamplesMenu();
  const s = store.get();
  if (!s.expression && examples.length) {
    // First visit: the worked example, already analysed.
    // (a link that names an optimizer keeps it)
    const { optimizer, ...rest } = exampleState(examples[0]);
    store.set(link.state.optimizer || !optimizer ? rest : { ...rest, optimizer });
    if ($("examples")) $("examples").value = "0";
  }
  editor.value = store.get().expression;
  clearTimeout(valuesTimer); // the values just set are analysed now, not once more in 50 ms
  await analyse();
}

start();

// Exposed for the end-to-end tests and the layout benchmark; not an API.
window.chainrule = { store, stepper, get model() { return model; }, get vis() { return vis; }, get layout() { return layout; }, isTensor };
