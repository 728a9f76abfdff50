// Training state where there is no training panel (the embed): a link at training step k shows
// the graph at that step's params (and batch rows), as the app does, so the embedded frame of a
// link shows the same loss as the app. Like the app's restore, it trains once and only up to
// step k. A panel (panels.js): state() overlays the values.
import { fetchDataset, trainModel } from "../api.js";
import { parseCsv } from "./csv.js";
import { runAt, sliceRows, trainRequest } from "./runs.js";

/**
 * @param {{store: ReturnType<typeof import("../state.js").createStore>,
 *          startValues: () => Record<string, any>, refresh: () => void}} host
 *   startValues: the values the link gives; refresh: analyse the graph again (it reads state())
 */
export function createTrainingReplay(host) {
  const { store } = host;
  let columns = {}; // the link's training data, by column
  let params = {}; // the params at the link's step
  let batch = null; // the rows of that step's batch
  let started = false;

  async function loadColumns() {
    const s = store.get();
    if (s.trainData === "csv") {
      const p = parseCsv(s.csv);
      return p.ok ? p.columns : {};
    }
    if (!s.trainData) return {};
    const r = await fetchDataset({ name: s.trainData });
    return r.ok ? r.data.columns : {};
  }

  /** @param {string[]} names  the expression's free names */
  async function replay(names) {
    const s = store.get();
    columns = await loadColumns();
    const data = Object.keys(columns);
    const k = s.trainStep;
    const trained = s.trainParams.filter((p) => names.includes(p) && !data.includes(p));
    if (k >= 0 && trained.length) {
      const setup = {
        expression: s.expression,
        output: s.output,
        values: Object.fromEntries(Object.entries(host.startValues()).filter(([n]) => !data.includes(n))),
        params: trained,
        data: s.trainData === "csv" ? columns : null,
        dataset: s.trainData && s.trainData !== "csv" ? s.trainData : null,
        batchSize: s.batchSize,
        steps: Math.min(s.trainSteps, k + 1),
      };
      const r = await trainModel(trainRequest(setup, s.optimizer));
      if (r.ok) {
        const at = runAt({ optimizer: s.optimizer, result: r.data }, k);
        params = at.params;
        batch = at.entry?.batch ?? null;
      }
    }
    if (data.length || Object.keys(params).length) host.refresh();
  }

  return {
    /** Never playing: there is no Play here. */
    playing: () => false,
    /** Names whose values come from the link's training data. */
    dataNames: () => Object.keys(columns),
    /** @param {import("../panels.js").Analysis} analysis */
    update({ names }) {
      if (started) return;
      started = true;
      replay(names);
    },
    state: () => ({ values: { ...sliceRows(columns, batch), ...params } }),
  };
}
