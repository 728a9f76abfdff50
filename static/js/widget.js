// Entry of the notebook widget (anywidget; chainrule/notebook/widget.py): the analysis comes from
// the kernel through the model, the viewer draws it into the graph panels' markup, and the
// step-through is written back to the model so Python can read it. Below, the app's training
// panel: its API calls (api.js) travel to the kernel as widget messages, answered there by
// the functions of the HTTP routes (chainrule/notebook/kernel.py); each training step re-analyses
// the graph there too, and the params at the step are written back (`params`).
import { analyzeGraph, setTransport } from "./api.js";
import { freeNames } from "./editor.js";
import { applyTranslations } from "./i18n.js";
import { META } from "./meta.js";
import { createStore } from "./state.js";
import { createTrainingPanel } from "./training/panel.js";
import { startViewer } from "./viewer.js";

/** Wait until the element is in the page (the viewer finds its parts by id). */
async function attached(el) {
  while (!el.isConnected) await new Promise((resolve) => requestAnimationFrame(resolve));
}

/**
 * The API over the model's custom messages: `{type: "api", id, method, url, body}` out, the
 * reply with the same id back (chainrule/notebook/kernel.py).
 */
function kernelTransport(model) {
  const pending = new Map();
  let next = 0;
  const onMessage = (msg) => {
    if (msg?.type !== "api" || !pending.has(msg.id)) return;
    pending.get(msg.id)(msg);
    pending.delete(msg.id);
  };
  model.on("msg:custom", onMessage);
  const send = (req) =>
    new Promise((resolve) => {
      next += 1;
      pending.set(next, resolve);
      model.send({ type: "api", id: next, ...req });
    });
  return { send, close: () => model.off("msg:custom", onMessage) };
}

/**
 * The training panel under the graphs, started from the widget's expression and values.
 * @param {HTMLElement} box  where its markup goes
 * @param {{model: any, functions: Set<string>, show: (analysis: object) => void}} host
 */
function startTraining(box, { model, functions, show }) {
  const source = model.get("source");
  // our own template (templates/_training.html): no user text is in it
  box.innerHTML = model.get("training_markup");
  applyTranslations(box);
  let values = source.values;
  // the kernel chose where training starts (chainrule/notebook/defaults.py): the inputs that are
  // not data, at a learning rate seen to lower the loss
  const store = createStore({
    expression: source.expression,
    values,
    output: source.output,
    trainParams: source.train?.params ?? [],
    optimizer: source.train?.optimizer ?? { name: META.default_optimizer },
  });
  const names = () => freeNames(store.get().expression, functions);
  let seq = 0;
  async function refresh() {
    const mine = ++seq;
    const s = store.get();
    const extra = panel.state().values;
    const r = await analyzeGraph({ expression: s.expression, values: { ...values, ...extra }, output: s.output || undefined });
    if (mine !== seq) return;
    if (r.ok) show(r.data);
    panel.update({ names: names() });
    if (s.trainStep >= 0) {
      model.set("params", Object.fromEntries(s.trainParams.filter((p) => p in extra).map((p) => [p, extra[p]])));
      model.save_changes();
    }
  }
  const panel = createTrainingPanel(box.querySelector("#training"), {
    store,
    startValues: () => values,
    loadExpression: (ex) => {
      values = ex.values;
      store.set({ expression: ex.expression, values: ex.values, output: ex.output ?? "" });
      return refresh(); // the example trains once its names are known
    },
    refresh,
  });
  panel.update({ names: names() });
  return panel;
}

export default {
  async render({ model, el }) {
    el.classList.add("chainrule-widget", "embed", "p-steps", "p-forward", "p-backward", "two-graphs");
    el.tabIndex = 0; // ← → step while the widget has the focus (never while typing in a cell)
    await attached(el);
    const graphs = document.createElement("div");
    const training = document.createElement("div");
    el.replaceChildren(graphs, training);
    let viewer = null;
    let analysis = model.get("analysis");
    const draw = () => {
      viewer?.destroy();
      // our own template (templates/_graphs.html): no user text is in it
      graphs.innerHTML = model.get("markup");
      viewer = startViewer(
        { analysis, ops: model.get("ops"), lang: model.get("lang") },
        {
          onStep: (s, node) => {
            model.set("step", { mode: s.mode, step: s.step, node });
            model.save_changes();
          },
          root: el,
        },
      );
      el.dataset.ready = "true";
    };
    const fromKernel = () => {
      analysis = model.get("analysis");
      draw();
    };
    draw();
    model.on("change:analysis", fromKernel);
    const transport = kernelTransport(model);
    if (model.get("source")?.expression) {
      setTransport(transport.send);
      const functions = new Set(model.get("ops").filter((op) => op.callable !== false).map((op) => op.name));
      startTraining(training, {
        model,
        functions,
        show: (a) => {
          analysis = a;
          draw();
        },
      });
    }
    return () => {
      model.off("change:analysis", fromKernel);
      transport.close();
      viewer?.destroy();
    };
  },
};
