// A classifier's accuracy after training (POST /api/train's train_accuracy, test_accuracy
// and test) and, for a dataset of pictures, the first held-out pictures with the class the
// model predicts and the true one. The box lives in the training panel, after its charts.
import { select } from "../../build/vendor.mjs";
import { el } from "../el.js";
import { fmtNumber } from "../format.js";
import { t } from "../i18n.js";

const CELL = 7; // px per pixel of a picture

const percent = (x) => (100 * x).toFixed(1);

/** The box, made once inside the panel's root. */
function box(root) {
  let node = root.querySelector("#train-held-out");
  if (!node) {
    node = el("section", { id: "train-held-out", class: "held-out", hidden: true, "aria-live": "polite" });
    const after = root.querySelector("#train-loss-chart")?.closest("figure")?.parentElement;
    (after ?? root).append(node);
  }
  return node;
}

/** Ink 0 is white, ink 1 black (the dataset's pixels are ink levels in [0, 1]). */
const grey = (ink) => {
  const level = Math.round(255 * (1 - Math.min(1, Math.max(0, ink))));
  return `rgb(${level},${level},${level})`;
};

/** One picture: grey levels of a (H, W) row-major pixel list. */
function picture(item, [h, w]) {
  const svg = select(document.createElementNS("http://www.w3.org/2000/svg", "svg")).attr("width", w * CELL).attr("height", h * CELL)
    .attr("viewBox", `0 0 ${w * CELL} ${h * CELL}`).attr("role", "img")
    .attr("aria-label", t("heldout.pictureAria", item));
  svg.selectAll("rect").data(item.pixels).join("rect")
    .attr("x", (_, i) => (i % w) * CELL).attr("y", (_, i) => Math.floor(i / w) * CELL)
    .attr("width", CELL).attr("height", CELL)
    .attr("fill", grey);
  return svg.node();
}

function pictures(test) {
  const { shape, items } = test.pictures;
  return el("figure", { class: "held-out-pictures" },
    el("figcaption", null, t("heldout.picturesCaption", { count: items.length })),
    el("ol", { class: "digit-grid" }, items.map((item) => {
      const right = item.predicted === item.label;
      return el("li", { class: right ? "digit right" : "digit wrong",
                        dataset: { row: String(item.row), predicted: String(item.predicted), label: String(item.label) } },
        picture(item, shape),
        el("span", { class: "digit-predicted" }, t("heldout.predicted", item)),
        el("span", { class: "digit-label" }, t("heldout.label", item)));
    })));
}

/**
 * Show the accuracy of `result` (a POST /api/train response) when the panel stands at the
 * end of the run; hide the box otherwise (or when the run reports no accuracy).
 * @param {HTMLElement} root  the training panel
 * @param {any|null} result   the run's response, or null
 * @param {boolean} atEnd     the panel shows the final params
 */
export function renderHeldOut(root, result, atEnd) {
  const node = box(root);
  const scored = result && (result.train_accuracy !== null && result.train_accuracy !== undefined);
  node.hidden = !scored;
  node.replaceChildren();
  if (!scored) return;
  node.append(el("h3", null, t("heldout.title")));
  if (!atEnd) {
    node.append(el("p", { class: "held-out-note" }, t("heldout.atEnd")));
    return;
  }
  const test = result.test;
  if (result.test_accuracy !== null && test) {
    const right = Math.round(result.test_accuracy * test.rows);
    node.append(
      el("p", { class: "held-out-accuracy", dataset: { accuracy: String(result.test_accuracy) } },
        t("heldout.testAccuracy", { pct: percent(result.test_accuracy), right, rows: test.rows })),
      el("p", null, t("heldout.trainAccuracy", { pct: percent(result.train_accuracy) })),
      el("p", null, t("heldout.testLoss", { loss: fmtNumber(test.loss) })),
      el("p", { class: "held-out-note" }, t("heldout.predictNote", { node: test.predict })));
    if (test.pictures) node.append(pictures(test));
  } else {
    node.append(el("p", { class: "held-out-train" }, t("heldout.trainOnly", { pct: percent(result.train_accuracy) })));
  }
}
