// The live view beside a lesson: the chainrule page (the embed or the app) a step shows, in
// the lesson page's frame. It needs only the page state's codecs (state.js), so the frame can
// start loading before the rest of the Learn page (its strings, its quiz) has arrived.
import { META } from "../meta.js";
import { defaults, serialize } from "../state.js";

const LANGUAGES = META.languages?.length ? META.languages : ["en", "vi"];

/** The lesson state the page's link names: lesson, step, language, embed. */
export function pageFromLocation() {
  const query = new URLSearchParams(location.search);
  return {
    lesson: document.getElementById("learn-main").dataset.lesson,
    step: Math.max(1, Number.parseInt(query.get("step") ?? "1", 10) || 1),
    lang: LANGUAGES.includes(query.get("lang")) ? query.get("lang") : initialLanguage(),
    embed: query.get("embed") === "1",
  };
}

function initialLanguage() {
  try {
    const saved = localStorage.getItem("chainrule.lang");
    if (LANGUAGES.includes(saved)) return saved;
  } catch {
    // no storage: fall through
  }
  return (navigator.language || "en").toLowerCase().startsWith("vi") ? "vi" : "en";
}

/** The chainrule page a step shows, as a link. */
export function viewHref(view, lang) {
  const state = { ...defaults(), ...view.state, lang };
  const q = new URLSearchParams(serialize(state, { compress: false }));
  if (view.page === "embed" && view.panels) q.set("panels", view.panels.join(","));
  // the lesson's frame has a fixed height: the graph fills it, on a phone too
  if (view.page === "embed") q.set("fill", "1");
  // the nodes the step's text is about: the view frames them at any size (framing.js)
  if (view.frame) q.set("frame", JSON.stringify(view.frame));
  return `${view.page === "embed" ? "/embed" : "/"}?${q}`;
}

/** The view of step `number` of `lesson` (one past its last step: its try-it). */
export function lessonView(lesson, number) {
  return number > lesson.steps.length ? tryView(lesson.try.exercise) : lesson.steps[number - 1].view;
}

/**
 * The view beside a try-it task: its expression and values, without the answers (no backward
 * graph; not even the forward graph when forward values are asked).
 */
export function tryView(exercise) {
  const values = Object.fromEntries(Object.entries(exercise.values ?? {}).map(([k, v]) => [k, JSON.stringify(v)]));
  const asksValues = (exercise.ask ?? []).includes("value");
  // the task may ask about any node: frame the whole graph (its inputs and its output), so no
  // node sits half outside the view
  const assigned = [...String(exercise.expression).matchAll(/^\s*([\p{L}_][\p{L}\p{N}_]*)\s*=(?!=)/gmu)].map((m) => m[1]);
  const output = exercise.output ?? assigned.at(-1);
  const frame = [...Object.keys(values), ...(output ? [output] : [])];
  return {
    page: "embed",
    state: { expression: exercise.expression, values },
    panels: asksValues ? ["editor"] : ["editor", "forward"],
    ...(frame.length ? { frame } : {}),
  };
}

/** Show `view` in the frame (nothing to do when it already shows it). */
export function showView(view, lang) {
  const frame = document.getElementById("learn-frame");
  const href = viewHref(view, lang);
  if (frame.dataset.href === href) return;
  frame.dataset.href = href;
  frame.dataset.page = view.page;
  // what to bring into view in the frame: the step's `focus`, else a training run's loss curve
  // (an embed step: its graph, which frames the nodes the step names)
  frame.dataset.focus = view.focus ?? (view.page === "app" && view.state.trainParams ? "train-loss-chart" : view.frame ? "graphs" : "");
  // The app may only be framed by this server: inside a course page's frame, an app step
  // (training) becomes a link that opens it, rather than a frame the browser refuses.
  const blocked = view.page === "app" && framedElsewhere();
  frame.hidden = blocked;
  document.getElementById("learn-blocked").hidden = !blocked;
  document.getElementById("learn-blocked-link").href = href;
  if (blocked) return;
  // replace(), not a new src: the frame's pages stay out of the history, so Back goes to the
  // previous step rather than to the frame's previous page
  if (frame.contentWindow && frame.getAttribute("src")) frame.contentWindow.location.replace(href);
  else frame.src = href;
}

/** Whether a page of another site frames this one (then the app cannot be framed inside). */
function framedElsewhere() {
  return [...(location.ancestorOrigins ?? [])].some((origin) => origin !== location.origin);
}

// Once the frame's page is ready, bring the part the step is about into view.
document.getElementById("learn-frame").addEventListener("load", () => {
  const frame = document.getElementById("learn-frame");
  const doc = frame.contentDocument;
  let target = frame.dataset.focus ? doc?.getElementById(frame.dataset.focus) : null;
  // the graph and the step's arithmetic above it: a filled frame sizes its graph to fit below
  // the arithmetic (embed.js), so it shows from the arithmetic's top; else a panel at the top
  const arithmetic = doc?.body.classList.contains("fill") ? doc.getElementById("explain") : null;
  if (target?.id === "graphs" && arithmetic?.getClientRects().length) target = arithmetic;
  const block = target?.id === "graphs" ? "nearest" : "start";
  const wait = () => {
    if (!doc.defaultView) return; // the frame moved on to another page
    if (doc.body.dataset.ready === "true") bringIntoView(doc, target, block);
    else setTimeout(wait, 100);
  };
  if (target) wait();
});

/**
 * Scroll the frame's page to `target`, below the step bar where that bar sticks to the top
 * (it covered the training update and the charts).
 */
function bringIntoView(doc, target, block) {
  if (!doc.defaultView || !target.isConnected) return; // the frame moved on to another page
  const bar = doc.querySelector(".stepper");
  const sticks = bar && doc.defaultView.getComputedStyle(bar).position === "sticky";
  // with room for the heading above a chart
  target.style.scrollMarginTop = sticks ? `${Math.ceil(bar.getBoundingClientRect().height) + 32}px` : "";
  target.scrollIntoView({ block });
  doc.body.dataset.focused = target.id;
}
