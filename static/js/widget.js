// Entry of the notebook widget (anywidget; app/notebook/widget.py): the analysis comes from
// the kernel through the model, the viewer draws it into the graph panels' markup, and the
// step-through is written back to the model so Python can read it.
import { startViewer } from "./viewer.js";

/** Wait until the element is in the page (the viewer finds its parts by id). */
async function attached(el) {
  while (!el.isConnected) await new Promise((resolve) => requestAnimationFrame(resolve));
}

export default {
  async render({ model, el }) {
    el.classList.add("chainrule-widget", "embed", "p-steps", "p-forward", "p-backward", "two-graphs");
    el.tabIndex = 0; // ← → step while the widget has the focus (never while typing in a cell)
    await attached(el);
    let viewer = null;
    const draw = () => {
      viewer?.destroy();
      // our own template (templates/_graphs.html): no user text is in it
      el.innerHTML = model.get("markup");
      viewer = startViewer(
        { analysis: model.get("analysis"), ops: model.get("ops"), lang: model.get("lang") },
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
    draw();
    model.on("change:analysis", draw);
    return () => {
      model.off("change:analysis", draw);
      viewer?.destroy();
    };
  },
};
