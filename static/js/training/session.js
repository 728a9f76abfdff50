// A training session without any DOM: the train setup the page state describes, the runs of
// POST /api/train for it (fetched once per setup, dropped when the setup changes), the loss
// surface, the position along the runs, Play's timer and the datasets already fetched. The
// panel (panel.js) draws it; Node's test runner drives it alone (tests/js/).
//
// Moves along the runs are ordered: every move (Step, Play's next step, End, Reset, an
// example's start) supersedes the ones before it, so an older move that was still waiting for
// its runs never moves the position after a newer one.
import { lastPosition, runAt, sliceRows, surfaceRanges, trainRequest } from "./runs.js";

/** Milliseconds between two steps of Play (a step also waits for its graph). */
export const PLAY_MS = 350;

/** State properties whose change makes the runs of another setup. */
export const SETUP_PROPERTIES = ["expression", "values", "output", "trainParams", "optimizer", "trainData", "csv", "batchSize", "trainSteps", "compare"];

/**
 * @typedef {{code: string, params?: Record<string, any>, message: string}} Detail  an API warning or error
 * @typedef {{key?: string, params?: Record<string, any>, message?: string, apiError?: Detail,
 *            warnings?: Detail[], error?: boolean}} Note
 *   something to tell the student: an i18n key (with params), an API error or warnings (the
 *   panel says them in the page's language), or plain words
 * @typedef {{trainModel: Function, lossSurface: Function, fetchDataset: Function}} TrainApi
 *   the api.js calls the session makes (each resolves to {ok, data} or {ok: false, error})
 */

/**
 * A response's warnings with their codes (older servers: the plain texts, code "other").
 * @param {{warnings?: string[], warning_details?: Detail[]}} data
 * @returns {Detail[]}
 */
export function warningDetails(data) {
  if (data.warning_details?.length) return data.warning_details;
  return (data.warnings ?? []).map((message) => ({ code: "other", params: {}, message }));
}

/**
 * @param {{store: ReturnType<typeof import("../state.js").createStore>,
 *          api: TrainApi,
 *          parseCsv: (text: string) => {ok: boolean, columns?: Record<string, any[]>},
 *          startValues: () => Record<string, any>,
 *          refresh: () => Promise<any>|void,
 *          surfacePoints?: (params: number) => number,
 *          playMs?: number}} host
 *   startValues: the values panel's parsed values; refresh: analyse the graph again (it reads
 *   state()); surfacePoints: grid points per axis of the loss surface for 1 or 2 params
 */
export function createTrainingSession(host) {
  const { store, api } = host;
  const playMs = host.playMs ?? PLAY_MS;
  const datasets = new Map(); // name -> columns, fetched once
  const listeners = new Set();
  let names = []; // the expression's free names (from the last analysis)
  /** @type {import("./runs.js").Run[]|null} */
  let runs = null;
  let runsKey = null;
  let runsUpTo = Infinity; // the runs hold this many steps at most (a link's restore: fewer)
  let surface = null;
  /** @type {Note|null} */
  let surfaceNote = { key: "train.surfaceIdle" };
  let busy = null; // {key, promise} of the runs being fetched
  let playTimer = null;
  /** @type {Note|null} */
  let status = null;
  /** @type {Note|null} */
  let problem = null; // why there are no runs
  let pastEnd = null; // the last position, when a Step asked past it
  let moves = 0; // the number of the latest move
  let loadingBy = 0; // the start() move whose example is being put on the page and analysed, or 0

  const emit = () => {
    for (const fn of listeners) fn();
  };

  // ---------------------------------------------------------------- data

  /** The data columns of the current choice, or null (none, not loaded yet, bad CSV). */
  function dataColumns() {
    const s = store.get();
    if (s.trainData === "csv") {
      const p = host.parseCsv(s.csv);
      return p.ok ? p.columns : null;
    }
    return s.trainData ? datasets.get(s.trainData) ?? null : null;
  }

  /** Fetch a built-in dataset's columns once. @param {string} name */
  async function loadDataset(name) {
    if (!name || name === "csv" || datasets.has(name)) return;
    const r = await api.fetchDataset({ name });
    if (r.ok) datasets.set(name, r.data.columns);
  }

  const dataNames = () => Object.keys(dataColumns() ?? {});

  /** The train setup the page state describes (steps capped at `upTo`). */
  function setup(upTo = Infinity) {
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
      steps: Math.min(s.trainSteps, upTo),
    };
  }

  const optimizers = () => [store.get().optimizer, ...store.get().compare];
  const keyOf = (su) => JSON.stringify([su, optimizers()]);

  // ---------------------------------------------------------------- runs

  /** Forget the runs (and stop) when the setup they were made for is no longer the page's. */
  function invalidate() {
    if (!runs || keyOf(setup(runsUpTo)) === runsKey) return false;
    stop();
    clearRuns();
    if (store.get().trainStep !== -1) store.set({ trainStep: -1 });
    emit();
    return true;
  }

  function clearRuns() {
    runs = null;
    runsKey = null;
    surface = null;
    surfaceNote = { key: "train.surfaceIdle" };
  }

  /**
   * Every optimizer's trajectory for the current setup, fetched once per setup; `upTo` asks
   * for fewer steps than the setup's (a link's restore replays only the steps it shows).
   * Resolves to false (and says why) when there are none: no params, bad data, a refusal, or
   * the setup changed while they were being fetched.
   */
  function ensureRuns(upTo = Infinity) {
    const su = setup(upTo);
    const key = keyOf(su);
    if (runs && (runsKey === key || (runsKey === keyOf(setup(runsUpTo)) && runsUpTo >= upTo))) return Promise.resolve(true);
    if (busy && busy.key === key) return busy.promise;
    const promise = fetchRuns(su, key, upTo);
    busy = { key, promise };
    promise.finally(() => {
      if (busy?.promise === promise) busy = null;
    });
    return promise;
  }

  async function fetchRuns(su, key, upTo) {
    problem = null;
    if (!su.params.length) return fail({ key: "train.needParams" });
    if (store.get().trainData === "csv" && !su.data) return fail({ key: "train.csvInvalid" });
    const opts = optimizers();
    setStatus({ key: "train.running" });
    const results = await Promise.all(opts.map((opt) => api.trainModel(trainRequest(su, opt))));
    if (keyOf(setup(upTo)) !== key) return false; // the setup changed meanwhile: these runs are not its
    const bad = results.find((r) => !r.ok);
    if (bad) return fail({ apiError: bad.error });
    runs = results.map((r, i) => ({ optimizer: opts[i], result: r.data }));
    runsKey = key;
    runsUpTo = upTo;
    // each run says the setup's warnings (an unused value, ...) again: say each once
    const said = new Map(results.flatMap((r) => warningDetails(r.data)).map((w) => [w.message, w]));
    setStatus(said.size ? { warnings: [...said.values()] } : null);
    loadSurface(su);
    return true;
  }

  /** @param {Note} note */
  function fail(note) {
    problem = note;
    setStatus({ ...note, error: true });
    return false;
  }

  /** @param {Note|null} note */
  function setStatus(note) {
    status = note;
    emit();
  }

  /** The loss surface over the params, when there are one or two scalar ones. */
  async function loadSurface(su) {
    surface = null;
    const first = runs[0].result.trajectory[0]?.params ?? {};
    const scalar = su.params.every((p) => typeof first[p] === "number");
    if (!scalar || su.params.length > 2 || !host.surfacePoints) {
      surfaceNote = { key: "train.surfaceNone" };
      return emit();
    }
    surfaceNote = { key: su.params.length === 1 ? "train.surfaceCurve" : "train.surfaceContour" };
    const body = {
      expression: su.expression,
      values: su.values,
      params: su.params,
      ranges: surfaceRanges(runs, su.params),
      resolution: host.surfacePoints(su.params.length),
    };
    if (su.output) body.output = su.output;
    if (su.data) body.data = su.data;
    if (su.dataset) body.dataset = su.dataset;
    const key = runsKey;
    emit();
    const r = await api.lossSurface(body);
    if (key !== runsKey) return;
    if (r.ok) surface = r.data;
    else surfaceNote = { apiError: r.error };
    emit();
  }

  // ---------------------------------------------------------------- position and Play

  const position = () => store.get().trainStep;

  /**
   * Move to position k (clamped to the runs), fetching the runs first if needed, then have
   * the graph drawn there. A later move supersedes this one.
   * @returns {Promise<boolean>} whether this move happened
   */
  async function go(k, upTo = Infinity, move = ++moves) {
    const ok = await ensureRuns(upTo);
    if (move !== moves) return false;
    if (!ok) {
      stop();
      return false;
    }
    const n = lastPosition(runs[0]);
    const next = Math.max(0, Math.min(k, n));
    pastEnd = k > n ? n : null;
    store.set({ trainStep: next });
    emit();
    await host.refresh(); // this step's graph is drawn (and checked, see main.js) before Play moves on
    if (next >= n && move === moves) stop();
    return true;
  }

  function stop() {
    if (!playTimer) return;
    clearInterval(playTimer);
    playTimer = null;
    emit();
  }

  /** Play from here (from the start when at the end), or pause when playing. */
  async function togglePlay() {
    if (playTimer) return stop();
    const move = ++moves;
    if (!(await ensureRuns()) || move !== moves) return;
    if (position() >= lastPosition(runs[0])) await go(0);
    let pending = null; // a step whose graph is still being analysed: Play waits for it
    playTimer = setInterval(() => {
      pending ??= go(position() + 1).finally(() => (pending = null));
    }, playMs);
    emit();
  }

  return {
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** The runs (one per optimizer, the chosen one first), or null. */
    runs: () => runs,
    /** The loss surface response, or null; and what to say about it. */
    surface: () => surface,
    surfaceNote: () => surfaceNote,
    /** What the last fetch said (running, warnings, a refusal), or null. */
    status: () => status,
    /** Why there are no runs (the idle text), or null. */
    problem: () => problem,
    /** The last position, when the last Step asked past it; else null. */
    pastEnd: () => pastEnd,
    playing: () => Boolean(playTimer),
    /** Whether a chosen example is still being loaded (its graph analysed). */
    loading: () => loadingBy !== 0,
    position,
    lastPosition: () => (runs ? lastPosition(runs[0]) : 0),
    dataColumns,
    dataNames,
    loadDataset,
    setup,
    ensureRuns,
    invalidate,
    /** @param {string[]} list  the expression's free names (the param candidates) */
    setNames(list) {
      names = list;
    },
    names: () => names,
    /** Step one past the current position (the first Step from the start goes to 1). */
    step: () => go(Math.max(position(), 0) + 1),
    go: (k, upTo) => go(k, upTo),
    /** The last position of the runs. */
    async end() {
      stop();
      const move = ++moves;
      if ((await ensureRuns()) && move === moves) await go(lastPosition(runs[0]));
    },
    /** Back before the first step: the graph shows the start values again. */
    reset() {
      stop();
      moves++;
      pastEnd = null;
      store.set({ trainStep: -1 });
      emit();
      return host.refresh();
    },
    togglePlay,
    stop() {
      moves++;
      stop();
    },
    /** Stop Play, back at step `k` if Play has already moved past it. */
    pause(k) {
      moves++;
      stop();
      if (k >= 0 && k !== position()) go(k);
    },
    /**
     * Start an example: forget the runs, put its setup in the state, let `load` put its
     * expression in the editor and analyse it (so the names and start values are the
     * example's), then train and stand at the start.
     * @param {Record<string, any>} patch  the state the example sets (exampleSetup)
     * @param {string} dataset  the built-in dataset it trains on, or ""
     * @param {() => Promise<any>|void} load
     */
    async start(patch, dataset, load) {
      stop();
      const move = ++moves;
      // until its graph is analysed, the page's names and status are the previous expression's
      loadingBy = move;
      emit();
      try {
        await loadDataset(dataset);
        if (move !== moves) return;
        clearRuns();
        problem = null;
        pastEnd = null;
        store.set({ ...patch, trainStep: -1 });
        emit();
        await load();
      } finally {
        if (loadingBy === move) {
          loadingBy = 0;
          emit();
        }
      }
      if (move !== moves) return;
      if (await ensureRuns()) {
        if (move === moves) await go(0);
      }
    },
    /**
     * Values that override the values panel in the graph: the data rows of the current batch
     * (all rows before training) and the params at the current training step.
     * @returns {{values: Record<string, any>}}
     */
    state() {
      const cols = dataColumns() ?? {};
      const k = position();
      if (!runs || k < 0) return { values: { ...cols } };
      const st = runAt(runs[0], k);
      return { values: { ...sliceRows(cols, st.entry?.batch), ...st.params } };
    },
  };
}

/**
 * The state a training example sets: its params, optimizer, data, batch size and steps.
 * @param {Record<string, any>} ex  a training example (GET /api/datasets examples)
 * @param {Record<string, any>[]} compare  optimizers compared with its own
 * @param {string} defaultOptimizer  the server's default (GET /api/meta)
 */
export function exampleSetup(ex, compare, defaultOptimizer) {
  const dataset = exampleDataset(ex);
  return {
    trainParams: ex.params ?? [],
    optimizer: ex.optimizer ?? { name: defaultOptimizer },
    compare,
    trainData: ex.data ? "csv" : dataset,
    csv: ex.data ? toCsv(ex.data) : "",
    batchSize: ex.batch_size ?? 0,
    trainSteps: ex.steps ?? 10,
  };
}

/** The built-in dataset an example trains on, or "". */
export const exampleDataset = (ex) => (typeof ex.dataset === "string" ? ex.dataset : ex.dataset?.name ?? "");

/**
 * Inline data as CSV text (so an example's data can be edited in the panel); a vector
 * column becomes one column per component, `x[0]`, `x[1]`, ...
 * @param {Record<string, any[]>} data
 */
export function toCsv(data) {
  const cols = Object.keys(data);
  const header = cols.flatMap((c) => (Array.isArray(data[c][0]) ? data[c][0].map((_, j) => `${c}[${j}]`) : [c]));
  const rows = data[cols[0]].map((_, i) => cols.flatMap((c) => (Array.isArray(data[c][i]) ? data[c][i] : [data[c][i]])).join(","));
  return [header.join(","), ...rows].join("\n");
}

/**
 * Training examples as menu entries, plus one "compare" entry per group of examples that
 * differ only in their optimizer.
 * @param {Record<string, any>[]} examples
 * @returns {{key: string, title: string, ex: Record<string, any>, compare: Record<string, any>[], group?: Record<string, any>[]}[]}
 */
export function exampleMenu(examples) {
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
    entries.push({ key: group.map((e) => e.id).join("+"), title: "", ex: first, compare: others.map((e) => e.optimizer), group });
  }
  return entries;
}
