// The training panel: which inputs are params, the optimizer, data, batch size, steps;
// Step / Play / End / Reset through the trajectories of POST /api/train; the update
// arithmetic, the batch rows, the loss curve and the loss surface. The graph above shows the
// current params: its `state()` (panels.js) puts them into the values main.js analyses.
import { fetchDataset, fetchDatasets, lossSurface, trainModel } from "../api.js";
import { fmtNumber, fmtValue } from "../format.js";
import { el } from "../el.js";
import { t } from "../i18n.js";
import { META } from "../meta.js";
import { LINK_LIMITS } from "../state.js";
import { renderBatch } from "./batch.js";
import { createLossChart } from "./charts.js";
import { parseCsv } from "./csv.js";
import { createOptimizerForm } from "./optimizer.js";
import { lastPosition, optimizerLabel, runAt, sliceRows, trainRequest } from "./runs.js";
import { createSurfaceChart, surfaceRanges } from "./surface.js";

const PLAY_MS = 350;
/** The server's limits (GET /api/meta): steps per run; batch rows as many as a dataset's. */
const MAX_STEPS = META.limits.max_train_steps;
const MAX_BATCH = META.limits.max_dataset_rows;
/** Grid points per axis of the loss surface: the server's cap for a curve, fewer for a contour. */
const CURVE_POINTS = META.limits.max_grid;
const CONTOUR_POINTS = Math.min(41, META.limits.max_grid);
const RESETS = ["expression", "values", "output", "trainParams", "optimizer", "trainData", "csv", "batchSize", "trainSteps", "compare"];

/**
 * @param {HTMLElement} root  the #training section (templates/_training.html)
 * @param {{store: ReturnType<typeof import("../state.js").createStore>,
 *          startValues: () => Record<string, any>,
 *          loadExpression: (ex: {expression: string, values: Record<string, any>, output?: string}) => void,
 *          refresh: () => void}} host
 *   startValues: the parsed values panel; loadExpression: put an expression and values in the
 *   editor; refresh: analyse the graph again (it reads state())
 */
export function createTrainingPanel(root, host) {
  const { store } = host;
  const $ = (id) => root.querySelector(`#${id}`);
  let listing = { datasets: [], optimizers: [], examples: [] };
  let menu = []; // training example menu entries: {key, ex, compare}
  let chosen = ""; // the menu entry last loaded
  let names = []; // free names of the expression
  /** @type {import("./runs.js").Run[]|null} */
  let runs = null;
  let runsKey = null;
  let surface = null;
  let playTimer = null;
  let busy = null; // the pending ensureRuns promise
  let errorText = "";
  const datasetCache = new Map();
  let restored = false;

  const lossChart = createLossChart($("train-loss-chart"));
  const surfaceChart = createSurfaceChart($("train-surface"));
  const optForm = createOptimizerForm($("train-optimizer"), (cfg) => store.set({ optimizer: cfg }));

  // ---------------------------------------------------------------- data

  /** The data columns of the current choice, or null (none, not loaded yet, bad CSV). */
  function dataColumns() {
    const s = store.get();
    if (s.trainData === "csv") {
      const p = parseCsv(s.csv);
      return p.ok ? p.columns : null;
    }
    if (s.trainData) return datasetCache.get(s.trainData) ?? null;
    return null;
  }

  async function loadDataset(name) {
    if (!name || name === "csv" || datasetCache.has(name)) return;
    const r = await fetchDataset({ name });
    if (r.ok) datasetCache.set(name, r.data.columns);
  }

  const dataNames = () => Object.keys(dataColumns() ?? {});

  /** The train setup the panel state describes. */
  function setup() {
    const s = store.get();
    const data = dataNames();
    const values = Object.fromEntries(Object.entries(host.startValues()).filter(([k]) => !data.includes(k)));
    return {
      expression: s.expression,
      output: s.output,
      values,
      params: s.trainParams.filter((p) => names.includes(p) && !data.includes(p)),
      data: s.trainData === "csv" ? dataColumns() : null,
      dataset: s.trainData && s.trainData !== "csv" ? s.trainData : null,
      batchSize: s.batchSize,
      steps: s.trainSteps,
    };
  }

  const optimizers = () => [store.get().optimizer, ...store.get().compare];
  const keyOf = (su) => JSON.stringify([su, optimizers()]);
  let runsUpTo = Infinity; // the runs hold this many steps at most (a link's restore: fewer)
  const currentKey = (upTo) => {
    const su = setup();
    su.steps = Math.min(su.steps, upTo);
    return keyOf(su);
  };

  // ---------------------------------------------------------------- runs

  function invalidate() {
    if (!runs) return;
    if (currentKey(runsUpTo) === runsKey) return;
    stop();
    runs = null;
    runsKey = null;
    surface = null;
    if (store.get().trainStep !== -1) store.set({ trainStep: -1 });
    render();
    host.refresh();
  }

  /**
   * Fetch every optimizer's trajectory for the current setup (once per setup); `upTo` asks
   * for fewer steps than the setup's (a link's restore replays only the steps it shows).
   */
  function ensureRuns(upTo = Infinity) {
    const su = setup();
    su.steps = Math.min(su.steps, upTo);
    const key = keyOf(su);
    if (runs && runsKey === currentKey(runsUpTo) && runsUpTo >= upTo) return Promise.resolve(true);
    if (runs && runsKey === key) return Promise.resolve(true);
    if (busy && busy.key === key) return busy.promise;
    const promise = (async () => {
      errorText = "";
      if (!su.params.length) return fail(t("train.needParams"));
      if (store.get().trainData === "csv" && !su.data) return fail(t("train.csvInvalid"));
      setStatus(t("train.running"));
      const results = await Promise.all(optimizers().map((opt) => trainModel(trainRequest(su, opt))));
      if (currentKey(upTo) !== key) return false;
      const bad = results.find((r) => !r.ok);
      if (bad) return fail(bad.error.message);
      runs = results.map((r, i) => ({ optimizer: optimizers()[i], result: r.data }));
      runsKey = key;
      runsUpTo = upTo;
      setStatus(results.flatMap((r) => r.data.warnings ?? []).join(" "));
      loadSurface(su);
      return true;
    })();
    busy = { key, promise };
    promise.finally(() => {
      if (busy?.promise === promise) busy = null;
    });
    return promise;
  }

  function fail(message) {
    errorText = message;
    setStatus(message, true);
    return false;
  }

  /** The loss surface over the params, when there are one or two scalar ones. */
  async function loadSurface(su) {
    surface = null;
    const first = runs[0].result.trajectory[0]?.params ?? {};
    const scalar = su.params.every((p) => typeof first[p] === "number");
    if (!scalar || su.params.length > 2) {
      $("train-surface-note").textContent = t("train.surfaceNone");
      surfaceChart.clear();
      return;
    }
    $("train-surface-note").textContent = t(su.params.length === 1 ? "train.surfaceCurve" : "train.surfaceContour");
    const body = {
      expression: su.expression,
      values: su.values,
      params: su.params,
      ranges: surfaceRanges(runs, su.params),
      resolution: su.params.length === 1 ? CURVE_POINTS : CONTOUR_POINTS,
    };
    if (su.output) body.output = su.output;
    if (su.data) body.data = su.data;
    if (su.dataset) body.dataset = su.dataset;
    const key = runsKey;
    const r = await lossSurface(body);
    if (key !== runsKey) return;
    if (!r.ok) {
      $("train-surface-note").textContent = r.error.message;
      return;
    }
    surface = r.data;
    render();
  }

  // ---------------------------------------------------------------- position

  const position = () => store.get().trainStep;

  async function go(k, upTo = Infinity) {
    if (!(await ensureRuns(upTo))) return stop();
    const n = lastPosition(runs[0]);
    const next = Math.max(0, Math.min(k, n));
    // Step past the last step: say why nothing moves
    const note = $("train-end-note");
    note.hidden = k <= n;
    note.textContent = k > n ? t("train.pastEnd", { n }) : "";
    store.set({ trainStep: next });
    render();
    await host.refresh(); // the graph of this step is drawn (and checked, see main.js) before Play moves on
    if (next >= n) stop();
  }

  function stop() {
    clearInterval(playTimer);
    playTimer = null;
    renderPlay();
  }

  async function play() {
    if (playTimer) return stop();
    if (!(await ensureRuns())) return;
    if (position() >= lastPosition(runs[0])) await go(0);
    let pending = null; // a step whose graph is still being analysed: Play waits for it
    playTimer = setInterval(() => {
      pending ??= go(position() + 1).finally(() => (pending = null));
    }, PLAY_MS);
    renderPlay();
  }

  // ---------------------------------------------------------------- rendering

  function setStatus(text, error = false) {
    const el = $("train-status");
    el.textContent = text;
    el.classList.toggle("error", error);
  }

  function renderPlay() {
    const btn = $("train-play");
    btn.setAttribute("aria-pressed", String(Boolean(playTimer)));
    btn.textContent = playTimer ? t("train.pause") : t("train.play");
  }

  function renderParams() {
    const s = store.get();
    const data = dataNames();
    const box = $("train-params");
    const candidates = names.filter((n) => !data.includes(n));
    if (!candidates.length) return box.replaceChildren(paragraph(t("train.noInputs")));
    const tick = (event) => {
      const set = new Set(store.get().trainParams);
      if (event.target.checked) set.add(event.target.value);
      else set.delete(event.target.value);
      store.set({ trainParams: names.filter((n) => set.has(n)) });
    };
    box.replaceChildren(
      ...candidates.map((name) =>
        el(
          "label",
          { class: "param-tick" },
          el("input", { type: "checkbox", value: name, checked: s.trainParams.includes(name), on: { change: tick } }),
          el("span", null, name),
        ),
      ),
    );
  }

  function renderDataInfo() {
    const s = store.get();
    $("train-csv-box").hidden = s.trainData !== "csv";
    const info = $("train-data-info");
    const cols = dataColumns();
    if (s.trainData === "csv") {
      const p = parseCsv(s.csv);
      const st = $("train-csv-status");
      st.textContent = p.ok ? t("train.csvOk", { rows: p.rows, columns: Object.keys(p.columns).join(", ") }) : t(p.error.key, p.error.params);
      st.classList.toggle("error", !p.ok && s.csv.trim() !== "");
    }
    if (!s.trainData) info.textContent = t("train.dataNone");
    else if (cols) {
      const d = listing.datasets.find((x) => x.name === s.trainData);
      const rows = Object.values(cols)[0]?.length ?? 0;
      info.textContent = t("train.dataInfo", { columns: Object.keys(cols).join(", "), rows }) + (d ? ` ${d.description}.` : "");
    } else info.textContent = "";
    $("train-batch").disabled = !s.trainData;
  }

  function renderCompare() {
    const list = $("train-compare");
    const cmp = store.get().compare;
    list.replaceChildren(
      ...cmp.map((opt, i) =>
        el(
          "li",
          { class: `run-chip run-${(i + 1) % 5}` },
          el("span", { class: "swatch-run", "aria-hidden": "true" }),
          el("span", null, optimizerLabel(opt, listing.optimizers)),
          el(
            "button",
            {
              type: "button",
              class: "small",
              "aria-label": t("train.compareRemove", { label: optimizerLabel(opt, listing.optimizers) }),
              on: { click: () => store.set({ compare: store.get().compare.filter((_, j) => j !== i) }) },
            },
            "×",
          ),
        ),
      ),
    );
    $("train-compare-help").hidden = cmp.length > 0;
    // every compared optimizer is one more training run: at most LINK_LIMITS.compare of them
    const full = cmp.length >= LINK_LIMITS.compare;
    $("train-compare-add").disabled = full;
    $("train-compare-add").title = full ? t("train.compareFull", { limit: LINK_LIMITS.compare }) : "";
  }

  function renderExamplesMenu() {
    const sel = $("train-example");
    const title = (m) => (t(`train.ex.${m.key}`) === `train.ex.${m.key}` ? m.title : t(`train.ex.${m.key}`));
    sel.replaceChildren(el("option", { value: "" }, t("train.examplePlaceholder")), ...menu.map((m, i) => el("option", { value: String(i) }, title(m))));
    sel.value = chosen;
  }

  function renderDataSelect() {
    const sel = $("train-data");
    const mk = (value, text) => el("option", { value }, text);
    sel.replaceChildren(
      mk("", t("train.dataNoneOption")),
      ...listing.datasets.map((d) => mk(d.name, t("train.dataset", { name: d.name }))),
      mk("csv", t("train.dataCsv")),
    );
    sel.value = store.get().trainData;
  }

  /** Everything that depends on the runs and the position. */
  function render() {
    const s = store.get();
    const k = s.trainStep;
    const ready = runs && k >= 0;
    const n = runs ? lastPosition(runs[0]) : 0;
    const range = $("train-position");
    range.max = String(Math.max(n, 1));
    range.value = String(Math.max(k, 0));
    range.disabled = !runs;
    $("train-counter").textContent = ready ? t("train.counter", { k, n }) : t("train.notStarted");
    root.dataset.position = String(k);
    root.dataset.state = ready ? (k >= n ? "end" : "running") : "idle";
    renderUpdate(ready ? runAt(runs[0], k) : null);
    renderRuns(ready ? k : -1);
    const box = $("train-batch-box");
    const entry = ready ? runAt(runs[0], k).entry : null;
    box.hidden = !renderBatch($("train-batch-table"), $("train-batch-caption"), entry, dataColumns(), runs?.[0].result.data_rows);
    if (ready) {
      lossChart.update(runs, k, { log: $("train-log").checked, zero: $("train-zero").checked, stepLabel: t("train.axisStep"), lossLabel: t("train.axisLoss") });
      if (surface) surfaceChart.update(surface, runs, k, { lossLabel: t("train.axisLoss") });
    } else {
      lossChart.clear();
      surfaceChart.clear();
      if (!runs) $("train-surface-note").textContent = t("train.surfaceIdle");
    }
  }

  function renderUpdate(st) {
    const box = $("train-update");
    const formula = $("train-formula");
    const opt = runs?.[0].result.optimizer;
    if (!st) {
      box.replaceChildren(paragraph(errorText || t("train.idleHelp")));
      formula.replaceChildren();
      return;
    }
    // The update the next Step applies: it uses the gradients the graph shows now, on the batch
    // the batch table shows, so the three always refer to the same batch (trajectory[k]).
    const parts = [];
    const next = st.entry?.update;
    if (next) {
      parts.push(el("p", { class: "update-head" }, t("train.updateHead", { k: st.position + 1, loss: fmtNumber(st.entry.loss) })));
      for (const [name, u] of Object.entries(next)) {
        const dataset = u.index ? { param: name, index: u.index.join(",") } : { param: name };
        for (const line of u.lines) parts.push(el("code", { class: "update-line", dataset }, line));
      }
      if (Object.values(next).some((u) => u.index)) parts.push(paragraph(t("train.updateTensor")));
    } else parts.push(paragraph(t("train.pastEnd", { n: st.position })));
    box.replaceChildren(...parts);
    if (opt) {
      const spec = listing.optimizers.find((o) => o.name === opt.name);
      formula.replaceChildren(
        el("p", { class: "formula-head" }, t("train.formulaHead", { torch: spec?.torch ?? opt.name })),
        ...opt.formula.map((f) => el("code", null, f)),
      );
    }
  }

  function renderRuns(k) {
    const tbody = $("train-runs").querySelector("tbody");
    $("train-runs").hidden = !runs || k < 0;
    if (!runs || k < 0) return tbody.replaceChildren();
    tbody.replaceChildren(
      ...runs.map((run, i) => {
        const st = runAt(run, k);
        return el(
          "tr",
          { class: `run-${i % 5}`, dataset: { run: String(i), params: JSON.stringify(st.params), loss: String(st.loss) } },
          el("th", { scope: "row" }, el("span", { class: "swatch-run", "aria-hidden": "true" }), ` ${optimizerLabel(run.optimizer, listing.optimizers)}`),
          el("td", null, fmtNumber(st.loss)),
          el("td", null, Object.entries(st.params).map(([p, v]) => `${p} = ${fmtValue(v)}`).join(", ")),
        );
      }),
    );
  }

  const paragraph = (text) => el("p", { class: "help" }, text);

  function renderAll() {
    renderExamplesMenu();
    renderDataSelect();
    optForm.set(store.get().optimizer);
    renderParams();
    renderDataInfo();
    renderCompare();
    $("train-batch").value = String(store.get().batchSize);
    $("train-steps").value = String(store.get().trainSteps);
    $("train-csv").value = store.get().csv;
    renderPlay();
    render();
  }

  // ---------------------------------------------------------------- examples

  /** Training examples, plus one "compare" entry per group that differs only in optimizer. */
  function buildMenu(examples) {
    const entries = examples.map((ex) => ({ key: ex.id, title: ex.title, ex, compare: [] }));
    const groups = new Map();
    for (const ex of examples) {
      const { id, title, description, optimizer, ...rest } = ex;
      const key = JSON.stringify(rest);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(ex);
    }
    for (const group of groups.values()) {
      if (group.length < 2) continue;
      const [first, ...others] = group;
      entries.push({
        key: group.map((e) => e.id).join("+"),
        title: t("train.exCompare", { titles: group.map((e) => optimizerLabel(e.optimizer, listing.optimizers)).join(" / ") }),
        ex: first,
        compare: others.map((e) => e.optimizer),
      });
    }
    return entries;
  }

  /** Put a CSV text for inline data (so an example's data can be edited in the panel). */
  function toCsv(data) {
    const cols = Object.keys(data);
    const header = cols.flatMap((c) => (Array.isArray(data[c][0]) ? data[c][0].map((_, j) => `${c}[${j}]`) : [c]));
    const rows = data[cols[0]].map((_, i) => cols.flatMap((c) => (Array.isArray(data[c][i]) ? data[c][i] : [data[c][i]])).join(","));
    return [header.join(","), ...rows].join("\n");
  }

  async function loadExample(entry) {
    stop();
    const ex = entry.ex;
    const dataset = typeof ex.dataset === "string" ? ex.dataset : ex.dataset?.name ?? "";
    await loadDataset(dataset);
    runs = null;
    runsKey = null;
    surface = null;
    errorText = "";
    store.set({
      trainParams: ex.params ?? [],
      optimizer: ex.optimizer ?? { name: "sgd" },
      compare: entry.compare,
      trainData: ex.data ? "csv" : dataset,
      csv: ex.data ? toCsv(ex.data) : "",
      batchSize: ex.batch_size ?? 0,
      trainSteps: ex.steps ?? 10,
      trainStep: -1,
    });
    host.loadExpression({ expression: ex.expression, values: ex.values ?? {}, output: ex.output });
    renderAll();
    const desc = $("train-example-desc");
    const dkey = `train.exDesc.${ex.id}`;
    desc.textContent = entry.compare.length ? t("train.exCompareDesc") : t(dkey) === dkey ? ex.description ?? "" : t(dkey);
    // the trajectory at once, so the surface and the start point show before the first Step
    if (await ensureRuns()) await go(0);
  }

  // ---------------------------------------------------------------- events

  function wire() {
    $("train-example").addEventListener("change", (e) => {
      const entry = menu[Number(e.target.value)];
      if (e.target.value !== "" && entry) {
        chosen = e.target.value;
        loadExample(entry);
      }
    });
    $("train-data").addEventListener("change", async (e) => {
      const v = e.target.value;
      await loadDataset(v);
      store.set({ trainData: v });
      renderParams();
      renderDataInfo();
      host.refresh();
    });
    let csvTimer = null;
    $("train-csv").addEventListener("input", (e) => {
      clearTimeout(csvTimer);
      csvTimer = setTimeout(() => {
        store.set({ csv: e.target.value });
        renderParams();
        renderDataInfo();
        host.refresh();
      }, 300);
    });
    const intInput = (id, prop, min, max) =>
      $(id).addEventListener("change", (e) => {
        const v = Number(e.target.value);
        const ok = Number.isInteger(v) && v >= min && v <= max;
        e.target.setAttribute("aria-invalid", String(!ok));
        e.target.classList.toggle("invalid", !ok);
        if (ok) store.set({ [prop]: v });
      });
    $("train-batch").max = String(MAX_BATCH);
    $("train-steps").max = String(MAX_STEPS);
    intInput("train-batch", "batchSize", 0, MAX_BATCH);
    intInput("train-steps", "trainSteps", 1, MAX_STEPS);
    $("train-step").addEventListener("click", () => go(Math.max(position(), 0) + 1));
    $("train-play").addEventListener("click", () => play());
    $("train-end").addEventListener("click", async () => {
      stop();
      if (await ensureRuns()) go(lastPosition(runs[0]));
    });
    $("train-reset").addEventListener("click", () => {
      stop();
      store.set({ trainStep: -1 });
      render();
      host.refresh();
    });
    $("train-position").addEventListener("input", (e) => {
      stop();
      go(Number(e.target.value));
    });
    $("train-log").addEventListener("change", () => render());
    $("train-zero").addEventListener("change", () => render());
    $("train-compare-add").addEventListener("click", () => {
      if (store.get().compare.length >= LINK_LIMITS.compare) return;
      store.set({ compare: [...store.get().compare, { ...store.get().optimizer }] });
    });
    store.subscribe((_s, changed) => {
      if (changed.has("compare")) renderCompare();
      // an example's own optimizer (the form itself changes it while it has the focus)
      if (changed.has("optimizer") && !root.contains(document.activeElement)) optForm.set(store.get().optimizer);
      if (changed.has("trainParams") && !root.contains(document.activeElement)) renderParams();
      if (RESETS.some((p) => changed.has(p))) queueMicrotask(invalidate);
    });
  }

  // ---------------------------------------------------------------- start

  wire();
  const ready = (async () => {
    const r = await fetchDatasets();
    if (r.ok) listing = r.data;
    menu = buildMenu(listing.examples ?? []);
    optForm.setListing(listing.optimizers ?? []);
    await loadDataset(store.get().trainData);
    renderAll();
  })();

  return {
    /** Resolves once the optimizers, datasets and the chosen data are loaded. */
    ready,
    /** Is Play running? (main.js stops it on a step whose graph raises a new health flag) */
    playing: () => Boolean(playTimer),
    /** Stop Play, back at step `k` if Play has already moved past it. */
    pause(k) {
      stop();
      if (k >= 0 && k !== position()) go(k);
    },
    /** Names whose values come from the chosen training data (not from the values panel). */
    dataNames,
    /**
     * After each analysis: the free names of the expression are the param candidates.
     * @param {import("../panels.js").Analysis} analysis
     */
    update({ names: list }) {
      const changed = JSON.stringify(list) !== JSON.stringify(names);
      names = list;
      if (changed) renderParams();
      if (!restored) {
        // a link that opens at a training step: replay the steps up to it, once (never the
        // link's whole run: a link is someone else's text, and each run costs the server)
        restored = true;
        const k = store.get().trainStep;
        if (k >= 0 && setup().params.length) go(k, k + 1);
      }
    },
    /**
     * Values that override the values panel in the graph: the data rows of the current batch
     * (all rows before training) and the params at the current training step.
     * @returns {{values: Record<string, any>}}
     */
    state() {
      const cols = dataColumns() ?? {};
      const k = store.get().trainStep;
      if (!runs || k < 0) return { values: { ...cols } };
      const st = runAt(runs[0], k);
      return { values: { ...sliceRows(cols, st.entry?.batch), ...st.params } };
    },
    /** Re-render every text after a language change. */
    relabel() {
      menu = buildMenu(listing.examples ?? []);
      renderAll();
    },
  };
}
