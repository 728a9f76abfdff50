// What the step-through reveals on the graphs: which values and gradients are shown, the
// current node and the edges it reads, mapped onto visible (possibly collapsed) nodes.
// Shared by the app (main.js) and the server-free viewer (viewer.js).
import { gradLogRange } from "./format.js";

/**
 * The display state the graph views draw (render.js update()).
 * @param {ReturnType<typeof import("./stepper.js").createStepper>} stepper
 * @param {ReturnType<typeof import("./graphmodel.js").visibleGraph>} vis
 * @param {import("./graphmodel.js").Model} model
 */
export function displayState(stepper, vis, model) {
  const st = stepper.get();
  const own = (id) => vis.owner.get(id) ?? id;
  const revealed = new Set([...stepper.revealed()].map(own));
  const currentReal = stepper.current();
  const current = currentReal ? own(currentReal) : null;
  const hot = new Set();
  if (currentReal) {
    for (const e of vis.edges) {
      if (st.mode === "forward" && e.edge.target === currentReal) hot.add(e.id);
      if (st.mode === "backward" && e.edge.source === currentReal) hot.add(e.id);
    }
  }
  return {
    values: st.mode === "forward" ? revealed : null,
    grads: st.mode === "forward" ? new Set() : st.mode === "backward" ? revealed : null,
    current,
    hotEdges: hot,
    // local gradients are computed by the backward pass: none on the edges before it
    locals: st.mode !== "forward",
    ...gradLogRange(model.nodes.values()),
  };
}
