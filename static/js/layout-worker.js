// Module worker: runs layout.js off the main thread so big graphs never freeze the page.
// Message in: {id, graph, options}; message out: {id, result} or {id, error}.
import { layoutGraph } from "./layout.js";

self.addEventListener("message", (event) => {
  const { id, graph, options } = event.data;
  try {
    const t0 = performance.now();
    const result = layoutGraph(graph, options);
    result.ms = performance.now() - t0;
    self.postMessage({ id, result });
  } catch (err) {
    self.postMessage({ id, error: String(err && err.message ? err.message : err) });
  }
});
