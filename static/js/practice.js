// Practice mode: the current graph becomes a quiz (POST /api/exercise). Blanks sit on the
// backward graph, on the edges (local gradients) and nodes (gradients) in question; the student
// types into them, checks (POST /api/grade), gets a hint for a wrong answer, can reveal. A
// blank opens only when the ones it depends on are accepted (a node after its consumers and
// the local gradients to them; an edge's local gradient after its consumer's gradient), so the
// backward graph fills in in backward order. A panel (panels.js); the graph decorations live
// here, in their own SVG layer, not in render.js.
import { gradeAnswers, makeExercise } from "./api.js";
import { el } from "./el.js";
import { errorText } from "./errors.js";
import { getLanguage, t } from "./i18n.js";
import { answerOf } from "./learn/quiz.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const KINDS = ["local", "grad"];

/**
 * Which questions each question waits for, from the analysis' edges.
 * @param {object[]} questions  the exercise's questions
 * @param {object[]} edges      the /api/graph edges
 * @returns {Map<string, string[]>} question id -> ids of the questions it needs accepted first
 */
export function dependencies(questions, edges) {
  const gradQ = new Map(questions.filter((q) => q.kind === "grad").map((q) => [q.node, q.id]));
  const localQ = new Map(questions.filter((q) => q.kind === "local").map((q) => [q.edge, q.id]));
  const deps = new Map();
  for (const q of questions) {
    const need = [];
    if (q.kind === "grad") {
      for (const e of edges.filter((e) => e.source === q.node)) need.push(gradQ.get(e.target), localQ.get(e.id));
    } else {
      const edge = edges.find((e) => e.id === q.edge);
      need.push(gradQ.get(edge?.target));
    }
    deps.set(q.id, need.filter(Boolean));
  }
  return deps;
}

/**
 * @param {HTMLElement|null} root  #practice
 * @param {{store: any, svg: SVGSVGElement, values: () => Record<string, any>,
 *          redraw: () => void, showBackward: () => void}} host
 */
export function createPracticePanel(root, host) {
  if (!root) return null;
  const $ = (id) => root.querySelector(`#${id}`);
  const button = $("btn-practice");
  const status = $("practice-status");
  const hintLine = $("practice-hint");
  let data = null; // the current analysis
  let exercise = null;
  let deps = new Map();
  const accepted = new Set();
  const answers = new Map(); // question id -> text typed (kept across redraws)
  const wrong = new Map(); // question id -> hint
  let madeFor = null;
  let seq = 0;

  const active = () => host.store.get().practice === true;
  const isOpen = (q) => !accepted.has(q.id) && (deps.get(q.id) ?? []).every((d) => accepted.has(d));

  async function start() {
    if (!data) return;
    const s = host.store.get();
    const key = JSON.stringify([s.expression, host.values(), s.practiceAsk, s.practiceSeed, s.practiceCount, getLanguage()]);
    if (key === madeFor && exercise) return;
    madeFor = key;
    const mine = ++seq;
    const ask = s.practiceAsk.filter((k) => KINDS.includes(k));
    const r = await makeExercise({
      expression: s.expression, values: host.values(), ...(s.output ? { output: s.output } : {}),
      ask: ask.length ? ask : KINDS, seed: s.practiceSeed, ...(s.practiceCount > 0 ? { count: s.practiceCount } : {}), lang: getLanguage(),
    });
    if (mine !== seq) return;
    accepted.clear();
    answers.clear();
    wrong.clear();
    exercise = r.ok ? r.data.exercise : null;
    deps = exercise ? dependencies(exercise.questions, data.edges) : new Map();
    status.textContent = r.ok ? "" : errorText(r.error);
    host.showBackward();
    render();
    host.redraw();
  }

  function stop() {
    seq++;
    exercise = null;
    madeFor = null;
    render();
    host.redraw();
  }

  async function check() {
    if (!exercise) return;
    const given = {};
    for (const q of exercise.questions) if (isOpen(q) && (answers.get(q.id) ?? "").trim() !== "") given[q.id] = answerOf(answers.get(q.id));
    if (Object.keys(given).length === 0) return;
    const r = await gradeAnswers(exercise, given);
    if (!r.ok) {
      showHints([errorText(r.error)]);
      return;
    }
    const hints = [];
    for (const id of Object.keys(given)) {
      const result = r.data.results[id];
      if (result.correct) {
        accepted.add(id);
        wrong.delete(id);
      } else {
        const q = exercise.questions.find((x) => x.id === id);
        wrong.set(id, result.hint);
        hints.push(`${q.prompt.replace(/ = \?$/, "")}: ${result.hint}`);
      }
    }
    showHints(hints);
    render();
    host.redraw();
  }

  function reveal() {
    if (!exercise) return;
    for (const q of exercise.questions) if (isOpen(q)) accepted.add(q.id);
    wrong.clear();
    showHints([]);
    render();
    host.redraw();
  }

  function showHints(lines) {
    hintLine.hidden = lines.length === 0;
    hintLine.textContent = lines.join(" · ");
  }

  function render() {
    const on = active();
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? t("practice.stop") : t("practice.start");
    $("practice-check").hidden = !on || !exercise;
    $("practice-reveal").hidden = !on || !exercise;
    if (!on) {
      status.textContent = "";
      showHints([]);
    } else if (exercise) {
      const total = exercise.questions.length;
      status.textContent = accepted.size === total ? t("practice.done", { total }) : t("practice.progress", { done: accepted.size, total });
    }
  }

  /** The blanks: one input per open or locked question, in a layer of the graph's viewport. */
  function decorate() {
    const viewport = host.svg.querySelector("g.viewport");
    if (!viewport) return;
    let layer = viewport.querySelector("g.practice-layer");
    if (!layer) {
      layer = document.createElementNS(SVG_NS, "g");
      layer.setAttribute("class", "practice-layer");
    }
    viewport.append(layer); // last, so the blanks sit over nodes and labels
    const pending = exercise && active() ? exercise.questions.filter((q) => !accepted.has(q.id)) : [];
    const pendingEdges = new Set(pending.filter((q) => q.kind === "local").map((q) => q.edge));
    for (const label of host.svg.querySelectorAll("text.edge-label")) {
      label.classList.toggle("practice-blank", pendingEdges.has(label.__data__?.id));
    }
    const focused = document.activeElement?.dataset?.question;
    layer.replaceChildren(...pending.map((q) => blank(q)).filter(Boolean));
    if (focused) layer.querySelector(`input[data-question="${focused}"]`)?.focus();
  }

  function blank(q) {
    const box = place(q);
    if (!box) return null;
    const fo = document.createElementNS(SVG_NS, "foreignObject");
    for (const [k, v] of Object.entries(box)) fo.setAttribute(k, String(v));
    const open = isOpen(q);
    const input = el("input", {
      type: "text", class: wrong.has(q.id) ? "wrong" : null, value: answers.get(q.id) ?? "", disabled: !open,
      placeholder: open ? "?" : "…", autocomplete: "off", spellcheck: false, "aria-label": q.prompt,
      title: wrong.get(q.id) ?? (open ? q.prompt : t("practice.locked")), dataset: { question: q.id },
      on: {
        input: (event) => answers.set(q.id, event.target.value),
        keydown: (event) => {
          if (event.key === "Enter") {
            event.preventDefault();
            check();
          }
          event.stopPropagation(); // typing is not stepping (← → space)
        },
        click: (event) => event.stopPropagation(),
      },
    });
    fo.append(input);
    return fo;
  }

  /** Where a question's blank goes, in viewport coordinates. */
  function place(q) {
    if (q.kind === "grad") {
      const g = host.svg.querySelector(`g.node[data-id="${CSS.escape(q.node)}"]`);
      const m = g?.getAttribute("transform")?.match(/translate\(([-\d.e]+),\s*([-\d.e]+)\)/);
      if (!m) return null;
      const w = Number(g.querySelector("rect.box")?.getAttribute("width") ?? 120);
      return { x: Number(m[1]) + 6, y: Number(m[2]) + 24, width: w - 12, height: 22 };
    }
    const label = [...host.svg.querySelectorAll("text.edge-label")].find((l) => l.__data__?.id === q.edge);
    if (!label) return null;
    return { x: Number(label.getAttribute("x")) - 30, y: Number(label.getAttribute("y")) - 15, width: 60, height: 20 };
  }

  button.addEventListener("click", () => {
    host.store.set({ practice: !active() });
    if (active()) start();
    else stop();
  });
  $("practice-check").addEventListener("click", check);
  $("practice-reveal").addEventListener("click", reveal);

  return {
    update(analysis) {
      data = analysis.data ?? data;
      if (active() && analysis.data) start();
      render();
    },
    relabel() {
      madeFor = null; // prompts and hints in the new language
      if (active()) start();
      render();
    },
    /**
     * The display of the graphs in practice: every value shown, gradients hidden on the nodes
     * still in question.
     */
    display(base) {
      if (!active() || !exercise || !data) return base;
      const hidden = new Set(exercise.questions.filter((q) => q.kind === "grad" && !accepted.has(q.id)).map((q) => q.node));
      return { ...base, values: null, grads: new Set(data.nodes.map((n) => n.id).filter((id) => !hidden.has(id))), locals: true, current: null, hotEdges: new Set() };
    },
    decorate,
  };
}
