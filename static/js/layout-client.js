// Main-thread side of the layout worker: one worker, promise per request, and a
// synchronous fallback where module workers are unavailable.
import { layoutGraph } from "./layout.js";

/** Graphs up to this many nodes are laid out on the main thread (no worker round trip). */
export const MAIN_THREAD_MAX_NODES = 60;

let worker = null;
let nextId = 1;
const pending = new Map();

function getWorker() {
  if (worker !== null) return worker;
  try {
    worker = new Worker(new URL("./layout-worker.js", import.meta.url), { type: "module" });
    worker.addEventListener("message", (event) => {
      const { id, result, error } = event.data;
      const p = pending.get(id);
      if (!p) return;
      pending.delete(id);
      if (error) p.reject(new Error(error));
      else p.resolve(result);
    });
    worker.addEventListener("error", () => {
      // A worker that fails to load: fall back to the main thread for everything pending.
      for (const [id, p] of pending) {
        pending.delete(id);
        try {
          p.resolve(layoutGraph(p.graph, p.options));
        } catch (err) {
          p.reject(err);
        }
      }
      worker = false;
    });
  } catch {
    worker = false;
  }
  return worker;
}

/**
 * Lay out a graph in the worker (see layout.js for the graph format).
 * @param {Parameters<typeof layoutGraph>[0]} graph
 * @param {Parameters<typeof layoutGraph>[1]} [options]
 * @returns {Promise<ReturnType<typeof layoutGraph>>}
 */
export function layoutInWorker(graph, options = {}) {
  if (graph.nodes.length <= MAIN_THREAD_MAX_NODES) {
    // small graphs: done in a few ms here, sooner than a worker can start; start it meanwhile
    setTimeout(getWorker, 0);
    return Promise.resolve(layoutGraph(graph, options));
  }
  const w = getWorker();
  if (!w) return Promise.resolve(layoutGraph(graph, options));
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, graph, options });
    w.postMessage({ id, graph, options });
  });
}
