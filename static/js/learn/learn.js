// The Learn mode (/learn, /learn/<lesson>): a lesson's text beside the live chainrule view it
// drives. Lessons are data (GET /api/lessons/<id>); each step names a page (the embed or the
// app) and its state, which becomes that page's link in the frame. The lesson state
// (lesson, step, language) is the URL: every step is a link, `embed=1` an embeddable one.
import { fetchLesson, fetchLessons } from "../api.js";
import { el } from "../el.js";
import { applyTranslations, LANGUAGES, setLanguage, t } from "../i18n.js";
import { defaults, serialize } from "../state.js";
import { forgetProgress, markDone, markSeen, readProgress } from "./progress.js";
import { createQuiz } from "./quiz.js";

const $ = (id) => document.getElementById(id);
const main = $("learn-main");
const query = new URLSearchParams(location.search);
const page = {
  lesson: main.dataset.lesson,
  step: Math.max(1, Number.parseInt(query.get("step") ?? "1", 10) || 1),
  lang: LANGUAGES.includes(query.get("lang")) ? query.get("lang") : initialLanguage(),
  embed: query.get("embed") === "1",
};
let lesson = null;
let path = [];

function initialLanguage() {
  try {
    const saved = localStorage.getItem("chainrule.lang");
    if (LANGUAGES.includes(saved)) return saved;
  } catch {
    // no storage: fall through
  }
  return (navigator.language || "en").toLowerCase().startsWith("vi") ? "vi" : "en";
}

/** The link of a lesson state. @param {{lesson: string, step: number, lang: string, embed: boolean}} s */
export function lessonHref(s) {
  const q = new URLSearchParams();
  if (s.step > 1) q.set("step", String(s.step));
  q.set("lang", s.lang);
  if (s.embed) q.set("embed", "1");
  return `/learn${s.lesson ? `/${s.lesson}` : ""}?${q}`;
}

/** The chainrule page a step shows, as a link. */
export function viewHref(view, lang) {
  const state = { ...defaults(), ...view.state, lang };
  const q = new URLSearchParams(serialize(state, { compress: false }));
  if (view.page === "embed" && view.panels) q.set("panels", view.panels.join(","));
  // the nodes the step's text is about: the view frames them at any size (framing.js)
  if (view.frame) q.set("frame", JSON.stringify(view.frame));
  return `${view.page === "embed" ? "/embed" : "/"}?${q}`;
}

function go(patch) {
  Object.assign(page, patch);
  history.pushState(null, "", lessonHref(page));
  render();
}

async function load() {
  setLanguage(page.lang);
  $("lang").value = page.lang;
  applyTranslations();
  // both at once: the live view (the first graph) waits for the lesson
  const [list, r] = await Promise.all([fetchLessons(page.lang), page.lesson ? fetchLesson(page.lesson, page.lang) : null]);
  path = list.ok ? list.data : [];
  lesson = null;
  if (r) {
    if (!r.ok) {
      $("learn-body").replaceChildren(el("p", { class: "error" }, t("learn.failed", { message: r.error.message })));
      return;
    }
    lesson = r.data;
  }
  render();
}

function render() {
  renderPath();
  if (!lesson) renderIndex();
  else renderLesson();
  document.body.dataset.ready = "true";
}

function renderPath() {
  const progress = readProgress();
  $("learn-path").replaceChildren(...path.map((item) => {
    const mark = progress[item.id]?.done ? `✓ ${t("learn.done")}` : progress[item.id] ? t("learn.seen") : "";
    return el("li", { class: item.id === page.lesson ? "current" : null },
      el("a", { href: lessonHref({ ...page, lesson: item.id, step: 1 }), "aria-current": item.id === page.lesson ? "page" : null,
        on: { click: (e) => { e.preventDefault(); page.lesson = item.id; page.step = 1; history.pushState(null, "", lessonHref(page)); load(); } } },
        item.title),
      mark ? el("span", { class: "learn-mark", dataset: { progress: progress[item.id]?.done ? "done" : "seen" } }, mark) : null);
  }));
}

function renderIndex() {
  $("learn-count").textContent = "";
  $("learn-title").textContent = t("learn.indexTitle");
  $("learn-body").replaceChildren(el("p", null, t("learn.indexIntro")),
    el("ol", { class: "learn-index" }, path.map((item) => el("li", null, el("strong", null, item.title), " · ", item.summary))));
  $("learn-try").hidden = true;
  $("learn-prev").hidden = true;
  const next = $("learn-next");
  next.hidden = path.length === 0;
  next.textContent = t("learn.start");
  next.onclick = () => { page.lesson = path[0].id; page.step = 1; history.pushState(null, "", lessonHref(page)); load(); };
  showView({ page: "embed", state: { expression: "y = w*x + b\nloss = abs(y_true - y)", values: { x: "2", y_true: "4", w: "3", b: "1" } } });
  setLinks(null);
}

function renderLesson() {
  const steps = lesson.steps.length;
  const trying = page.step > steps;
  page.step = Math.min(page.step, steps + 1);
  const step = lesson.steps[Math.min(page.step, steps) - 1];
  markSeen(lesson.id, page.step);
  $("learn-count").textContent = trying
    ? t("learn.countTry", { number: lesson.number, total: path.length })
    : t("learn.count", { number: lesson.number, total: path.length, step: page.step, steps });
  $("learn-title").textContent = lesson.title;
  $("learn-body").replaceChildren(...(trying ? [] : step.text.map((p) => el("p", null, p))));
  $("learn-try").hidden = !trying;
  if (trying) {
    $("learn-try-text").textContent = lesson.try.text;
    createQuiz($("learn-try-form"), $("learn-try-score"), { ...lesson.try.exercise, lang: page.lang }, {
      onSolved: () => { markDone(lesson.id); renderPath(); },
    });
  }
  const prev = $("learn-prev");
  prev.hidden = page.step === 1 && !lesson.previous;
  prev.textContent = t("learn.previous");
  prev.onclick = () => (page.step > 1 ? go({ step: page.step - 1 }) : openLesson(lesson.previous, true));
  const next = $("learn-next");
  next.hidden = trying && !lesson.next;
  next.textContent = trying ? t("learn.nextLesson") : t("learn.next");
  next.onclick = () => (trying ? openLesson(lesson.next, false) : go({ step: page.step + 1 }));
  const view = trying ? tryView(lesson.try.exercise) : step.view;
  showView(view);
  setLinks(view);
  renderPath();
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

async function openLesson(id, atEnd) {
  page.lesson = id;
  page.step = 1;
  await load();
  if (atEnd) go({ step: lesson.steps.length + 1 });
  else history.pushState(null, "", lessonHref(page));
}

function showView(view) {
  const frame = $("learn-frame");
  const href = viewHref(view, page.lang);
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
  $("learn-blocked").hidden = !blocked;
  $("learn-blocked-link").href = href;
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

function setLinks(view) {
  $("learn-link").href = lessonHref({ ...page, embed: false });
  $("learn-embed").href = lessonHref({ ...page, embed: true });
  const open = $("learn-open");
  open.hidden = !view;
  if (view) open.href = viewHref({ ...view, page: "app" }, page.lang);
}

// Once the frame's page is ready, bring the part the step is about into view.
$("learn-frame").addEventListener("load", () => {
  const frame = $("learn-frame");
  const doc = frame.contentDocument;
  const target = frame.dataset.focus ? doc?.getElementById(frame.dataset.focus) : null;
  // the graph with as much as fits above it (the step's arithmetic) in view; a panel at the top
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

$("lang").addEventListener("change", () => {
  page.lang = $("lang").value;
  try {
    localStorage.setItem("chainrule.lang", page.lang);
  } catch {
    // not remembered
  }
  history.replaceState(null, "", lessonHref(page));
  load();
});
$("learn-reset").addEventListener("click", () => { forgetProgress(); renderPath(); });
window.addEventListener("popstate", () => {
  const q = new URLSearchParams(location.search);
  const m = location.pathname.match(/^\/learn\/?([^/]*)$/);
  page.lesson = m ? decodeURIComponent(m[1]) : "";
  page.step = Math.max(1, Number.parseInt(q.get("step") ?? "1", 10) || 1);
  load();
});
if (page.embed) document.body.classList.add("learn-embed");
load();
