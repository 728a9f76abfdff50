// The training panel: the DOM of a training session (session.js, which holds the runs, the
// position and Play). Which inputs are params, the optimizer, data, batch size, steps; Step /
// Play / End / Reset; the update arithmetic, the batch rows, the loss curve and the loss
// surface. A panel (panels.js): its `state()` puts the current params into the graph.
import { fetchDataset, fetchDatasets, lossSurface, trainModel } from "../api.js";
import { fmtNumber, fmtValue } from "../format.js";
import { el } from "../el.js";
import { errorText, warningText } from "../errors.js";
import { getLanguage, t } from "../i18n.js";
import { META } from "../meta.js";
import { LINK_LIMITS } from "../state.js";
import { renderBatch } from "./batch.js";
import { renderHeldOut } from "./digits.js";
import { createLossChart } from "./charts.js";
import { parseCsv } from "./csv.js";
import { createOptimizerForm } from "./optimizer.js";
import { optimizerLabel, runAt } from "./runs.js";
import { createTrainingSession, exampleDataset, exampleMenu, exampleSetup, SETUP_PROPERTIES } from "./session.js";
import { createSurfaceChart } from "./surface.js";

/** The server's limits (GET /api/meta): steps per run; batch rows as many as a dataset's. */
const MAX_STEPS = META.limits.max_train_steps;
const MAX_BATCH = META.limits.max_dataset_rows;
/** Grid points per axis of the loss surface: the server's cap for a curve, fewer for a contour. */
const surfacePoints = (params) => (params === 1 ? META.limits.max_grid : Math.min(41, META.limits.max_grid));

/** A session note as text: its i18n key, the API's error or warnings in the page's language, or plain words. */
function noteText(note) {
  if (!note) return "";
  if (note.key) return t(note.key, note.params);
  if (note.apiError) return errorText(note.apiError);
  if (note.warnings) return note.warnings.map(warningText).join(" ");
  return note.message ?? "";
}
/** A formula's note (what it leaves unsaid) in the page's language; the English is the server's ({message}). */
function formulaNote(n) {
  const key = `train.note.${n.code}`;
  return t(key) === key ? n.message : t(key, { message: n.message });
}
/** A translation when there is one, else the server's text. */
const translated = (key, fallback) => (t(key) === key ? fallback : t(key));

/**
 * @param {HTMLElement} root  the #training section (templates/_training.html)
 * @param {{store: ReturnType<typeof import("../state.js").createStore>,
 *          startValues: () => Record<string, any>,
 *          loadExpression: (ex: {expression: string, values: Record<string, any>, output?: string}) => Promise<any>|void,
 *          refresh: () => Promise<any>|void}} host
 *   startValues: the parsed values panel; loadExpression: put an expression and values in the
 *   editor and analyse them; refresh: analyse the graph again (it reads state())
 */
export function createTrainingPanel(root, host) {
  const { store } = host;
  const $ = (id) => root.querySelector(`#${id}`);
  const session = createTrainingSession({
    store,
    api: { fetchDataset, lossSurface, trainModel },
    parseCsv,
    startValues: host.startValues,
    refresh: host.refresh,
    surfacePoints,
  });
  let listing = { datasets: [], optimizers: [], examples: [] };
  let menu = []; // training example menu entries (session.js exampleMenu)
  let chosen = ""; // the menu entry last loaded
  let restored = false;

  const lossChart = createLossChart($("train-loss-chart"));
  const surfaceChart = createSurfaceChart($("train-surface"));
  const optForm = createOptimizerForm($("train-optimizer"), (cfg) => store.set({ optimizer: cfg }), META.default_optimizer);
  const paragraph = (text) => el("p", { class: "help" }, text);
  const label = (opt) => optimizerLabel(opt, listing.optimizers);

  // ---------------------------------------------------------------- rendering

  function renderStatus() {
    const note = session.loading() ? { key: "train.loading" } : session.status();
    const status = $("train-status");
    status.textContent = noteText(note);
    status.classList.toggle("error", Boolean(note?.error));
    const n = session.pastEnd();
    const end = $("train-end-note");
    end.hidden = n === null;
    end.textContent = n === null ? "" : t("train.pastEnd", { n });
  }

  function renderPlay() {
    const btn = $("train-play");
    btn.setAttribute("aria-pressed", String(session.playing()));
    btn.textContent = session.playing() ? t("train.pause") : t("train.play");
  }

  let paramsLoading = false; // whether the params box shows the loading note

  function renderParams() {
    const s = store.get();
    const data = session.dataNames();
    const candidates = session.names().filter((n) => !data.includes(n));
    const box = $("train-params");
    // the names are the previous expression's until the chosen example is analysed
    paramsLoading = session.loading();
    if (paramsLoading) return box.replaceChildren(paragraph(t("train.loading")));
    if (!candidates.length) return box.replaceChildren(paragraph(t("train.noInputs")));
    const tick = (event) => {
      const set = new Set(store.get().trainParams);
      if (event.target.checked) set.add(event.target.value);
      else set.delete(event.target.value);
      store.set({ trainParams: session.names().filter((n) => set.has(n)) });
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
    if (s.trainData === "csv") {
      const p = parseCsv(s.csv);
      const st = $("train-csv-status");
      st.textContent = p.ok ? t("train.csvOk", { rows: p.rows, columns: Object.keys(p.columns).join(", ") }) : t(p.error.key, p.error.params);
      st.classList.toggle("error", !p.ok && s.csv.trim() !== "");
    }
    const info = $("train-data-info");
    const cols = session.dataColumns();
    if (!s.trainData) info.textContent = t("train.dataNone");
    else if (cols) {
      const d = listing.datasets.find((x) => x.name === s.trainData);
      const rows = Object.values(cols)[0]?.length ?? 0;
      info.textContent = t("train.dataInfo", { columns: Object.keys(cols).join(", "), rows }) + (d ? ` ${d.i18n?.[getLanguage()]?.description ?? d.description}.` : "");
    } else info.textContent = "";
    $("train-batch").disabled = !s.trainData;
  }

  function renderCompare() {
    const cmp = store.get().compare;
    const remove = (i) => store.set({ compare: store.get().compare.filter((_, j) => j !== i) });
    $("train-compare").replaceChildren(
      ...cmp.map((opt, i) =>
        el(
          "li",
          { class: `run-chip run-${(i + 1) % 5}` },
          el("span", { class: "swatch-run", "aria-hidden": "true" }),
          el("span", null, label(opt)),
          el("button", { type: "button", class: "small", "aria-label": t("train.compareRemove", { label: label(opt) }), on: { click: () => remove(i) } }, "×"),
        ),
      ),
    );
    $("train-compare-help").hidden = cmp.length > 0;
    // every compared optimizer is one more training run: at most LINK_LIMITS.compare of them
    const full = cmp.length >= LINK_LIMITS.compare;
    $("train-compare-add").disabled = full;
    $("train-compare-add").title = full ? t("train.compareFull", { limit: LINK_LIMITS.compare }) : "";
  }

  const menuTitle = (m) =>
    translated(`train.ex.${m.key}`, m.group ? t("train.exCompare", { titles: m.group.map((e) => label(e.optimizer)).join(" / ") }) : m.title);

  function renderSelects() {
    const examples = $("train-example");
    examples.replaceChildren(el("option", { value: "" }, t("train.examplePlaceholder")), ...menu.map((m, i) => el("option", { value: String(i) }, menuTitle(m))));
    examples.value = chosen;
    const data = $("train-data");
    const option = (value, text) => el("option", { value }, text);
    data.replaceChildren(
      option("", t("train.dataNoneOption")),
      ...listing.datasets.map((d) => option(d.name, t("train.dataset", { name: d.name }))),
      option("csv", t("train.dataCsv")),
    );
    data.value = store.get().trainData;
  }

  /** Everything that depends on the runs and the position. */
  function render() {
    const runs = session.runs();
    const k = session.position();
    const ready = Boolean(runs) && k >= 0;
    const n = session.lastPosition();
    const range = $("train-position");
    range.max = String(Math.max(n, 1));
    range.value = String(Math.max(k, 0));
    range.disabled = !runs;
    $("train-counter").textContent = ready ? t("train.counter", { k, n }) : t("train.notStarted");
    root.dataset.position = String(k);
    const loading = session.loading();
    root.dataset.state = loading ? "loading" : ready ? (k >= n ? "end" : "running") : "idle";
    if (loading) root.setAttribute("aria-busy", "true");
    else root.removeAttribute("aria-busy");
    if (loading !== paramsLoading) renderParams();
    // a Step meanwhile would train the previous expression's names
    for (const id of ["train-step", "train-play", "train-end", "train-reset"]) $(id).disabled = loading;
    const at = ready ? runAt(runs[0], k) : null;
    renderUpdate(at);
    renderRuns(ready ? k : -1);
    renderHeldOut(root, ready ? runs[0].result : null, ready && k >= n);
    const box = $("train-batch-box");
    box.hidden = !renderBatch($("train-batch-table"), $("train-batch-caption"), at?.entry ?? null, session.dataColumns(), runs?.[0].result.data_rows);
    $("train-surface-note").textContent = noteText(session.surfaceNote());
    if (ready) {
      lossChart.update(runs, k, { log: $("train-log").checked, zero: $("train-zero").checked, stepLabel: t("train.axisStep"), lossLabel: t("train.axisLoss") });
      if (session.surface()) surfaceChart.update(session.surface(), runs, k, { lossLabel: t("train.axisLoss") });
    } else {
      lossChart.clear();
      surfaceChart.clear();
    }
    renderStatus();
    renderPlay();
  }

  /** The update the next Step applies, and the optimizer's rule. */
  function renderUpdate(at) {
    const box = $("train-update");
    const formula = $("train-formula");
    if (!at) {
      // while an example loads, the status line says so (once)
      box.replaceChildren(...(session.loading() ? [] : [paragraph(noteText(session.problem()) || t("train.idleHelp"))]));
      return formula.replaceChildren();
    }
    // It uses the gradients the graph shows now, on the batch the batch table shows, so the
    // three always refer to the same batch (trajectory[k]).
    const parts = [];
    const next = at.entry?.update;
    if (next) {
      parts.push(el("p", { class: "update-head" }, t("train.updateHead", { k: at.position + 1, loss: fmtNumber(at.entry.loss) })));
      for (const [name, u] of Object.entries(next)) {
        const dataset = u.index ? { param: name, index: u.index.join(",") } : { param: name };
        for (const line of u.lines) parts.push(el("code", { class: "update-line", dataset }, line));
      }
      if (Object.values(next).some((u) => u.index)) parts.push(paragraph(t("train.updateTensor")));
    } else parts.push(paragraph(t("train.pastEnd", { n: at.position })));
    box.replaceChildren(...parts);
    const opt = session.runs()[0].result.optimizer;
    const spec = listing.optimizers.find((o) => o.name === opt.name);
    formula.replaceChildren(
      el("p", { class: "formula-head" }, t("train.formulaHead", { torch: spec?.torch ?? opt.name })),
      ...opt.formula.map((f) => el("code", null, f)),
      ...(opt.formula_notes ?? []).map((n) => el("p", { class: "help formula-note", dataset: { note: n.code } }, formulaNote(n))),
    );
  }

  function renderRuns(k) {
    const runs = session.runs();
    const tbody = $("train-runs").querySelector("tbody");
    $("train-runs").hidden = !runs || k < 0;
    if (!runs || k < 0) return tbody.replaceChildren();
    tbody.replaceChildren(
      ...runs.map((run, i) => {
        const st = runAt(run, k);
        return el(
          "tr",
          { class: `run-${i % 5}`, dataset: { run: String(i), params: JSON.stringify(st.params), loss: String(st.loss) } },
          el("th", { scope: "row" }, el("span", { class: "swatch-run", "aria-hidden": "true" }), ` ${label(run.optimizer)}`),
          el("td", null, fmtNumber(st.loss)),
          el("td", null, Object.entries(st.params).map(([p, v]) => `${p} = ${fmtValue(v)}`).join(", ")),
        );
      }),
    );
  }

  function renderAll() {
    const s = store.get();
    renderSelects();
    optForm.set(s.optimizer);
    renderParams();
    renderDataInfo();
    renderCompare();
    $("train-batch").value = String(s.batchSize);
    $("train-steps").value = String(s.trainSteps);
    $("train-csv").value = s.csv;
    render();
  }

  // ---------------------------------------------------------------- examples

  async function loadExample(entry) {
    const { ex } = entry;
    const desc = $("train-example-desc");
    desc.textContent = entry.compare.length ? t("train.exCompareDesc") : translated(`train.exDesc.${ex.id}`, ex.description ?? "");
    // the trajectory at once, so the surface and the start point show before the first Step
    await session.start(exampleSetup(ex, entry.compare, META.default_optimizer), exampleDataset(ex), () => {
      renderAll();
      return host.loadExpression({ expression: ex.expression, values: ex.values ?? {}, output: ex.output });
    });
  }

  // ---------------------------------------------------------------- events

  /** An integer input bound to a state property; out-of-range text is marked, not applied. */
  function bindInteger(id, prop, min, max) {
    $(id).max = String(max);
    $(id).addEventListener("change", (e) => {
      const v = Number(e.target.value);
      const ok = Number.isInteger(v) && v >= min && v <= max;
      e.target.setAttribute("aria-invalid", String(!ok));
      e.target.classList.toggle("invalid", !ok);
      if (ok) store.set({ [prop]: v });
    });
  }

  /** The data changed: new param candidates and data info, and the graph with its rows. */
  function dataChanged(patch) {
    store.set(patch);
    renderParams();
    renderDataInfo();
    host.refresh();
  }

  function wire() {
    const on = (id, type, fn) => $(id).addEventListener(type, fn);
    on("train-example", "change", (e) => {
      const entry = menu[Number(e.target.value)];
      if (e.target.value === "" || !entry) return;
      chosen = e.target.value;
      loadExample(entry);
    });
    on("train-data", "change", async (e) => {
      const v = e.target.value;
      await session.loadDataset(v);
      dataChanged({ trainData: v });
    });
    let csvTimer = null;
    on("train-csv", "input", (e) => {
      clearTimeout(csvTimer);
      csvTimer = setTimeout(() => dataChanged({ csv: e.target.value }), 300);
    });
    bindInteger("train-batch", "batchSize", 0, MAX_BATCH);
    bindInteger("train-steps", "trainSteps", 1, MAX_STEPS);
    on("train-step", "click", () => session.step());
    on("train-play", "click", () => session.togglePlay());
    on("train-end", "click", () => session.end());
    on("train-reset", "click", () => session.reset());
    on("train-position", "input", (e) => {
      session.stop();
      session.go(Number(e.target.value));
    });
    on("train-log", "change", render);
    on("train-zero", "change", render);
    on("train-compare-add", "click", () => {
      if (store.get().compare.length >= LINK_LIMITS.compare) return;
      store.set({ compare: [...store.get().compare, { ...store.get().optimizer }] });
    });
    session.subscribe(render);
    store.subscribe((_s, changed) => {
      if (changed.has("compare")) renderCompare();
      // an example's own optimizer (the form itself changes it while it has the focus)
      if (changed.has("optimizer") && !root.contains(document.activeElement)) optForm.set(store.get().optimizer);
      if (changed.has("trainParams") && !root.contains(document.activeElement)) renderParams();
      if (SETUP_PROPERTIES.some((p) => changed.has(p))) {
        queueMicrotask(() => {
          if (session.invalidate()) host.refresh();
        });
      }
    });
  }

  // ---------------------------------------------------------------- start

  wire();
  const ready = (async () => {
    const r = await fetchDatasets();
    if (r.ok) listing = r.data;
    menu = exampleMenu(listing.examples ?? []);
    optForm.setListing(listing.optimizers ?? []);
    await session.loadDataset(store.get().trainData);
    renderAll();
  })();

  return {
    /** Resolves once the optimizers, datasets and the chosen data are loaded. */
    ready,
    /** Is Play running? (main.js stops it on a step whose graph raises a new health flag) */
    playing: session.playing,
    /** Stop Play, back at step `k` if Play has already moved past it. */
    pause: session.pause,
    /** Names whose values come from the chosen training data (not from the values panel). */
    dataNames: session.dataNames,
    /**
     * After each analysis: the free names of the expression are the param candidates.
     * @param {import("../panels.js").Analysis} analysis
     */
    update({ names }) {
      const changed = JSON.stringify(names) !== JSON.stringify(session.names());
      session.setNames(names);
      if (changed) renderParams();
      if (!restored) {
        // a link that opens at a training step: replay the steps up to it, once (never the
        // link's whole run: a link is someone else's text, and each run costs the server)
        restored = true;
        const k = store.get().trainStep;
        if (k >= 0 && session.setup().params.length) session.go(k, k + 1);
      }
    },
    /** The data rows of the current batch and the params at the current step (session.js). */
    state: session.state,
    /** Re-render every text after a language change. */
    relabel: renderAll,
  };
}
