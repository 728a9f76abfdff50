// Training runs as plain data (no DOM): the train request a panel state makes, a run's
// state at a position, the rows of a batch, the values the graph shows there.

/**
 * @typedef {{optimizer: Record<string, any>, result: Record<string, any>}} Run
 *   one optimizer's whole trajectory (a POST /api/train response)
 */

/**
 * The body of POST /api/train.
 * @param {{expression: string, output?: string, values: Record<string, any>, params: string[],
 *          data?: Record<string, any[]>|null, dataset?: string|null, batchSize: number,
 *          steps: number}} setup
 * @param {Record<string, any>} optimizer  {name, ...hyper}
 */
export function trainRequest(setup, optimizer) {
  const body = {
    expression: setup.expression,
    values: setup.values,
    params: setup.params,
    optimizer,
    steps: setup.steps,
    seed: 0,
  };
  if (setup.output) body.output = setup.output;
  if (setup.data) body.data = setup.data;
  if (setup.dataset) body.dataset = setup.dataset;
  if ((setup.data || setup.dataset) && setup.batchSize > 0) body.batch_size = setup.batchSize;
  return body;
}

/** @param {Run} run  @returns {number} the last position (after the last update) */
export const lastPosition = (run) => run.result.trajectory.length;

/**
 * A run at position k: k = 0 is the start, k = n the params after the last update.
 * `update` is the update that led here (trajectory[k-1].update), `entry` the trajectory
 * entry at k (loss, grads, batch there; null at the end).
 * @param {Run} run
 * @param {number} k
 */
export function runAt(run, k) {
  const traj = run.result.trajectory;
  const n = traj.length;
  const pos = Math.max(0, Math.min(k, n));
  const entry = pos < n ? traj[pos] : null;
  return {
    position: pos,
    entry,
    params: entry ? entry.params : run.result.final_params,
    loss: entry ? entry.loss : run.result.final_loss,
    update: pos > 0 ? traj[pos - 1].update ?? null : null,
    previous: pos > 0 ? traj[pos - 1] : null,
  };
}

/**
 * Losses along a run: position -> loss, n + 1 points (the last is final_loss).
 * @param {Run} run
 * @returns {number[]}
 */
export function lossSeries(run) {
  return [...run.result.trajectory.map((s) => toNumber(s.loss)), toNumber(run.result.final_loss)];
}

/**
 * A scalar param along a run, n + 1 points.
 * @param {Run} run
 * @param {string} name
 * @returns {number[]}
 */
export function paramSeries(run, name) {
  return [...run.result.trajectory.map((s) => toNumber(s.params[name])), toNumber(run.result.final_params[name])];
}

/**
 * The trajectories' range of each param, padded, for the surface request.
 * @param {import("./runs.js").Run[]} runs
 * @param {string[]} params
 * @returns {Record<string, [number, number]>}
 */
export function surfaceRanges(runs, params) {
  return Object.fromEntries(
    params.map((p) => {
      const vals = runs.flatMap((r) => paramSeries(r, p)).filter(Number.isFinite);
      let lo = Math.min(...vals);
      let hi = Math.max(...vals);
      const pad = Math.max(0.5, 0.2 * (hi - lo));
      lo -= pad;
      hi += pad;
      return [p, [lo, hi]];
    }),
  );
}

/**
 * The rows `indices` of every data column (all rows when indices is null).
 * @param {Record<string, any[]>} columns
 * @param {number[]|null|undefined} indices
 */
export function sliceRows(columns, indices) {
  if (!indices) return columns;
  return Object.fromEntries(Object.entries(columns).map(([k, col]) => [k, indices.map((i) => col[i])]));
}

/**
 * API numbers to JS numbers ("NaN"/"Infinity" strings included).
 * @param {any} v
 */
export function toNumber(v) {
  if (typeof v === "number") return v;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  return Number.NaN;
}

/**
 * The one label of an optimizer config, in the compare list, the results table and the example
 * menu alike: the registry's title, then the hyper-parameters set away from torch's defaults
 * (so "SGD lr=0.1", and momentum only when it is set: "SGD lr=0.1 momentum=0.9").
 * @param {Record<string, any>} opt  {name, ...hyper}
 * @param {{name: string, title: string}[]} [specs]  the registry (GET /api/meta optimizers)
 */
export function optimizerLabel(opt, specs = []) {
  const parts = Object.entries(opt)
    .filter(([k]) => k !== "name")
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("/") : v}`);
  return [specs.find((s) => s.name === opt.name)?.title ?? opt.name, ...parts].join(" ");
}
