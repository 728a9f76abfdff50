// The step-through panel: the stepper's buttons, its counter and the explanation of the
// current step (typeset with KaTeX, plus the plain text and a sentence). A panel (panels.js);
// main.js calls render(stepState) whenever the stepper moves.
import { katex } from "../build/vendor.mjs";
import { createAnnouncer, spokenArithmetic } from "./announce.js";
import { fitFormula } from "./framing.js";
import { el } from "./el.js";
import { backwardStep, backwardSteps, forwardStep } from "./explain.js";
import { breakableTex } from "./format.js";
import { t } from "./i18n.js";

/**
 * @param {{stepper: ReturnType<typeof import("./stepper.js").createStepper>,
 *          onMode: (mode: "forward"|"backward") => void}} host
 *   onMode: a step in this direction began (narrow screens switch to its graph)
 */
export function createStepsPanel(host) {
  // (within host.root where several views share a page, as notebook widgets do)
  const $ = (id) => (host.root ?? document).querySelector(`#${id}`);
  let model = null;
  // Each step is said in a polite live region, as plain text (the KaTeX is not read out).
  const speaker = createAnnouncer("step-live", host.root ?? document);
  let said = null;

  /** The sentence under the arithmetic: what kind of step this is. */
  function sentenceFor(mode, node, step) {
    if (mode === "forward") {
      if (node.kind === "input") return t("explain.input", { name: node.label });
      return node.kind === "const" ? t("explain.const") : t("explain.op", { name: node.label });
    }
    if (step.outputNode) return t("explain.outputGrad");
    if (step.constant) return t("explain.constGrad", { name: node.label });
    if (step.noGrad) return t("explain.noGrad", { name: node.label });
    if (step.terms === 0) return t("explain.unused", { name: node.label });
    let s = step.terms > 1 ? t("explain.chainSum", { name: node.label, k: step.terms }) : t("explain.chain", { name: node.label });
    if (step.broadcast.length) s += " " + t("explain.broadcast", { name: node.label, axes: [...new Set(step.broadcast.flat())].join(", ") });
    if (step.nonElementwise.length) s += " " + t("explain.nonElementwise", { formula: step.nonElementwise.join(", ") });
    return s;
  }

  /** @param {import("./stepper.js").StepState} s */
  function render(s) {
    $("btn-forward").setAttribute("aria-pressed", String(s.mode === "forward"));
    $("btn-backward").setAttribute("aria-pressed", String(s.mode === "backward"));
    const play = $("btn-play");
    play.classList.toggle("playing", s.playing);
    play.setAttribute("aria-label", s.playing ? t("stepper.pause") : t("stepper.play"));
    play.dataset.i18nAria = s.playing ? "stepper.pause" : "stepper.play";
    const counter = $("step-counter");
    const mathEl = $("explain-math");
    const textEl = $("explain-text");
    const explain = $("explain");
    if (!model || s.mode === "none") {
      counter.textContent = "";
      mathEl.replaceChildren();
      textEl.textContent = t("stepper.idle");
      explain.dataset.mode = "none";
      delete explain.dataset.node;
      said = null;
      return;
    }
    const order = s.mode === "forward" ? model.order : backwardSteps(model);
    counter.textContent = t("stepper.counter", {
      mode: t(s.mode === "forward" ? "stepper.modeForward" : "stepper.modeBackward"),
      i: s.step + 1,
      n: order.length,
    });
    const id = host.stepper.current();
    const node = model.nodes.get(id);
    const step = s.mode === "forward" ? forwardStep(model, id) : backwardStep(model, id, { path: $("explain-path")?.checked });
    const math = { trust: false, throwOnError: false, strict: "ignore", maxExpand: 200 };
    fitFormula(mathEl, {
      render: () => katex.render(step.tex, mathEl, { ...math, displayMode: true }),
      // inline KaTeX breaks a line after "=" (and between the words of a text): one block per line of the step
      wrap: () => mathEl.replaceChildren(...(step.lines ?? [step]).map((line) => {
        const block = el("div", { class: "explain-wrapped" });
        katex.render(breakableTex(line.tex), block, { ...math, displayMode: false });
        return block;
      })),
    });
    const sentence = sentenceFor(s.mode, node, step);
    textEl.replaceChildren(el("code", { class: "plain" }, step.text), el("span", { class: "sentence" }, sentence));
    const spoken = `${counter.textContent}. ${sentence} ${spokenArithmetic(step.text)}`;
    // said when the step (or its numbers, or the language) changes, not on every redraw
    if (spoken !== said) speaker.say(spoken);
    said = spoken;
    explain.dataset.mode = s.mode;
    explain.dataset.node = id;
    host.onMode(s.mode);
  }

  // the optional whole-path product (backward steps)
  $("explain-path")?.addEventListener("change", () => render(host.stepper.get()));

  return {
    render,
    /** @param {import("./panels.js").Analysis} analysis */
    update(analysis) {
      if (analysis.model) model = analysis.model;
    },
    relabel() {
      render(host.stepper.get());
    },
  };
}
