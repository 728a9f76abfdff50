// The training session (static/js/training/session.js) without a browser: runs fetched once per
// setup, dropped when the setup changes meanwhile, moves ordered, Play's timer, an example's
// first run. Run with `node --test tests/js/` (make jstest).
import assert from "node:assert/strict";
import { mock, test } from "node:test";

import { createStore } from "../../static/js/state.js";
import { createTrainingSession, exampleMenu, exampleSetup, toCsv } from "../../static/js/training/session.js";

/** A promise with its resolve at hand, to answer requests in the order a test chooses. */
function deferred() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

/** A POST /api/train answer shaped as the server's: `steps` entries, w going down by lr each step. */
function trajectory(body) {
  const lr = body.optimizer.lr ?? 0.001;
  const w0 = Number(body.values.w ?? 3);
  const entries = Array.from({ length: body.steps }, (_, i) => ({
    params: Object.fromEntries(body.params.map((p) => [p, w0 - i * lr])),
    loss: 3 - i * lr,
    grads: Object.fromEntries(body.params.map((p) => [p, 1])),
    batch: body.batch_size ? [i % 2] : undefined,
  }));
  return {
    trajectory: entries,
    final_params: Object.fromEntries(body.params.map((p) => [p, w0 - body.steps * lr])),
    final_loss: 3 - body.steps * lr,
    optimizer: { name: body.optimizer.name, formula: [] },
  };
}

/**
 * A session over a fake API that records every request; `hold` keeps train answers pending
 * until the test releases them.
 */
function setup({ hold = false, state = {}, startValues = { w: "3", x: "2" } } = {}) {
  const store = createStore({
    expression: "y = w*x\nloss = y",
    optimizer: { name: "sgd", lr: 0.5 },
    trainParams: ["w"],
    ...state,
  });
  const requests = [];
  const pending = [];
  const refreshes = [];
  const api = {
    trainModel(body) {
      requests.push(body);
      const answer = { ok: true, data: trajectory(body) };
      if (!hold) return Promise.resolve(answer);
      const d = deferred();
      pending.push(() => d.resolve(answer));
      return d.promise;
    },
    lossSurface: async () => ({ ok: true, data: { grid: [] } }),
    fetchDataset: async ({ name }) => ({ ok: true, data: { columns: { x: [1, 2, 3, 4], name: [name, name, name, name] } } }),
  };
  const session = createTrainingSession({
    store,
    api,
    parseCsv: (text) => ({ ok: text.trim() !== "", columns: { x: text.split(",").map(Number) } }),
    startValues: () => startValues,
    refresh: async () => {
      refreshes.push(store.get().trainStep);
    },
    surfacePoints: () => 11,
    playMs: 100,
  });
  session.setNames(["w", "x"]);
  return { store, session, requests, pending, refreshes };
}

/** Let every settled promise run its callbacks. */
const settle = () => new Promise((r) => setImmediate(r));

test("the runs of one setup are fetched once, by every caller", async () => {
  const { session, requests, pending } = setup({ hold: true });
  const a = session.ensureRuns();
  const b = session.ensureRuns();
  assert.equal(requests.length, 1);
  pending.shift()();
  assert.deepEqual(await Promise.all([a, b]), [true, true]);
  assert.equal(await session.ensureRuns(), true);
  assert.equal(requests.length, 1);
  assert.equal(session.lastPosition(), 10);
  assert.deepEqual(requests[0], { expression: "y = w*x\nloss = y", values: { w: "3", x: "2" }, params: ["w"], optimizer: { name: "sgd", lr: 0.5 }, steps: 10, seed: 0 });
});

test("runs that arrive after their setup changed are dropped, and the new setup's are fetched", async () => {
  const { store, session, requests, pending } = setup({ hold: true });
  const first = session.ensureRuns();
  store.set({ trainSteps: 4 });
  pending.shift()();
  assert.equal(await first, false);
  assert.equal(session.runs(), null);
  const second = session.ensureRuns();
  pending.shift()();
  assert.equal(await second, true);
  assert.equal(requests.at(-1).steps, 4);
  assert.equal(session.lastPosition(), 4);
});

test("a setup change forgets the runs and goes back before the first step", async () => {
  const { store, session } = setup();
  await session.go(3);
  assert.equal(store.get().trainStep, 3);
  assert.equal(session.invalidate(), false); // nothing changed
  store.set({ optimizer: { name: "sgd", lr: 0.1 } });
  assert.equal(session.invalidate(), true);
  assert.equal(session.runs(), null);
  assert.equal(store.get().trainStep, -1);
});

test("no params: no request, and the session says why", async () => {
  const { store, session, requests } = setup({ state: { trainParams: [] } });
  assert.equal(await session.go(1), false);
  assert.equal(requests.length, 0);
  assert.deepEqual(session.problem(), { key: "train.needParams" });
  assert.equal(session.status().error, true);
  assert.equal(store.get().trainStep, -1);
});

test("Step goes one on, clamps at the end and says so past it", async () => {
  const { store, session, refreshes } = setup({ state: { trainSteps: 2 } });
  await session.step();
  assert.equal(store.get().trainStep, 1); // the first Step from the start goes to 1
  await session.step();
  assert.equal(store.get().trainStep, 2);
  assert.equal(session.pastEnd(), null);
  await session.step();
  assert.equal(store.get().trainStep, 2);
  assert.equal(session.pastEnd(), 2);
  assert.deepEqual(refreshes, [1, 2, 2]); // every move has its graph drawn
  await session.reset();
  assert.equal(store.get().trainStep, -1);
  assert.equal(session.pastEnd(), null);
});

test("an older move waiting for its runs never moves the position after a newer one", async () => {
  const { store, session, pending } = setup({ hold: true });
  const older = session.go(5);
  const newer = session.go(2);
  pending.shift()(); // one request serves both
  assert.equal(await older, false);
  assert.equal(await newer, true);
  assert.equal(store.get().trainStep, 2);
  // Reset while a move still waits: the move is dropped
  const { store: store2, session: session2, pending: pending2 } = setup({ hold: true });
  const waiting = session2.go(4);
  session2.reset();
  pending2.shift()();
  assert.equal(await waiting, false);
  assert.equal(store2.get().trainStep, -1);
});

test("an example's first run waits for its expression, so it is trained with the example's names and values", async () => {
  // the page shows another expression until the example's analysis has answered
  const { store, session, requests } = setup({ state: { trainParams: [] } });
  session.setNames(["a"]);
  const example = { id: "lin", expression: "loss = (w*x - y)**2", params: ["w"], optimizer: { name: "sgd", lr: 0.1 }, steps: 3, values: { w: 1 } };
  await session.start(exampleSetup(example, [], "sgd"), "", async () => {
    store.set({ expression: example.expression });
    await settle(); // the analysis answers later than the example was chosen
    session.setNames(["w", "x", "y"]);
  });
  assert.equal(requests.length, 1);
  assert.deepEqual(requests[0].params, ["w"]);
  assert.equal(requests[0].expression, example.expression);
  assert.equal(store.get().trainStep, 0);
  assert.notEqual(session.runs(), null);
});

test("Play steps on its timer, waits for each step's graph, and stops at the end", async () => {
  mock.timers.enable({ apis: ["setInterval"] });
  try {
    const { store, session, refreshes } = setup({ state: { trainSteps: 3 } });
    await session.togglePlay();
    assert.equal(session.playing(), true);
    for (let k = 1; k <= 4 && session.playing(); k++) {
      mock.timers.tick(100);
      await settle();
    }
    assert.equal(session.playing(), false);
    assert.equal(store.get().trainStep, 3);
    assert.deepEqual(refreshes, [0, 1, 2, 3]);
    // at the end, Play starts again from the start
    await session.togglePlay();
    assert.equal(store.get().trainStep, 0);
    session.pause(0);
    assert.equal(session.playing(), false);
  } finally {
    mock.timers.reset();
  }
});

test("Play does not take a second step while a step's graph is still being drawn", async () => {
  mock.timers.enable({ apis: ["setInterval"] });
  try {
    const { store, session } = setup();
    let release;
    await session.go(0);
    // a slow graph from here on
    const slow = createTrainingSession({
      store,
      api: { trainModel: async (b) => ({ ok: true, data: trajectory(b) }), lossSurface: async () => ({ ok: false, error: { message: "no" } }), fetchDataset: async () => ({ ok: false }) },
      parseCsv: () => ({ ok: false }),
      startValues: () => ({ w: "3", x: "2" }),
      refresh: () => new Promise((r) => (release = r)),
      playMs: 100,
    });
    slow.setNames(["w", "x"]);
    store.set({ trainStep: -1 });
    const playing = slow.togglePlay();
    await settle();
    await playing;
    mock.timers.tick(100);
    await settle();
    assert.equal(store.get().trainStep, 0);
    mock.timers.tick(500); // five more ticks: the graph of step 0 is still being drawn
    await settle();
    assert.equal(store.get().trainStep, 0);
    release();
    await settle();
    mock.timers.tick(100);
    await settle();
    assert.equal(store.get().trainStep, 1);
    slow.stop();
    assert.equal(slow.playing(), false);
  } finally {
    mock.timers.reset();
  }
});

test("state() puts the params at the step and the rows of its batch over the values panel", async () => {
  const { session, store } = setup({ state: { trainData: "linear", batchSize: 1 } });
  await session.loadDataset("linear");
  session.setNames(["w", "x"]);
  assert.deepEqual(session.state().values, { x: [1, 2, 3, 4], name: ["linear", "linear", "linear", "linear"] });
  await session.go(1);
  assert.equal(store.get().trainStep, 1);
  assert.deepEqual(session.state().values, { x: [2], name: ["linear"], w: 2.5 });
  assert.deepEqual(session.dataNames(), ["x", "name"]);
});

test("examples that differ only in their optimizer are also offered side by side", () => {
  const base = { expression: "loss = w*w", params: ["w"], steps: 5 };
  const menu = exampleMenu([
    { id: "a", title: "A", ...base, optimizer: { name: "sgd", lr: 0.1 } },
    { id: "b", title: "B", ...base, optimizer: { name: "sgd", lr: 0.1, momentum: 0.9 } },
    { id: "c", title: "C", expression: "loss = w", params: ["w"], optimizer: { name: "adam" } },
  ]);
  assert.deepEqual(menu.map((m) => m.key), ["a", "b", "c", "a+b"]);
  assert.deepEqual(menu[3].compare, [{ name: "sgd", lr: 0.1, momentum: 0.9 }]);
  assert.equal(menu[3].ex.id, "a");
  // no optimizer of its own: the server's default, torch's hyper-parameters
  assert.deepEqual(exampleSetup({ expression: "x" }, [], "adam").optimizer, { name: "adam" });
});

test("inline data becomes CSV with one column per vector component", () => {
  assert.equal(toCsv({ X: [[1, 2], [3, 4]], y: [0, 1] }), "X[0],X[1],y\n1,2,0\n3,4,1");
});
