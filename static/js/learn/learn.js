// The Learn mode (/learn, /learn/<lesson>): a lesson's text beside the live chainrule view it
// drives. Lessons are data (GET /api/lessons/<id>); each step names a page (the embed or the
// app) and its state, which becomes that page's link in the frame. The lesson state
// (lesson, step, language) is the URL: every step is a link, `embed=1` an embeddable one.
import { fetchLesson, fetchLessons } from "../api.js";
import { el } from "../el.js";
import { errorText } from "../errors.js";
import { applyTranslations, setLanguage, t } from "../i18n.js";
import { forgetProgress, markDone, markSeen, readProgress } from "./progress.js";
import { createQuiz } from "./quiz.js";
import { lessonView, pageFromLocation, showView, viewHref } from "./view.js";

const $ = (id) => document.getElementById(id);
const page = pageFromLocation();
let lesson = null;
let path = [];
// the path and the lesson the server put in the page for its first load (the language it guessed)
let inline = readInline();

function readInline() {
  const tag = document.getElementById("learn-data");
  try {
    return tag ? JSON.parse(tag.textContent) : null;
  } catch {
    return null;
  }
}

/** The path and the lesson in the page's language: from the page itself the first time, else asked. */
function fetchPathAndLesson() {
  const held = inline;
  inline = null;
  if (held && held.lang === page.lang && (held.lesson?.id ?? "") === page.lesson) {
    return [{ ok: true, data: held.path }, held.lesson ? { ok: true, data: held.lesson } : null];
  }
  return Promise.all([fetchLessons(page.lang), page.lesson ? fetchLesson(page.lesson, page.lang) : null]);
}

/** The link of a lesson state. @param {{lesson: string, step: number, lang: string, embed: boolean}} s */
export function lessonHref(s) {
  const q = new URLSearchParams();
  if (s.step > 1) q.set("step", String(s.step));
  q.set("lang", s.lang);
  if (s.embed) q.set("embed", "1");
  return `/learn${s.lesson ? `/${s.lesson}` : ""}?${q}`;
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
  const [list, r] = await fetchPathAndLesson();
  path = list.ok ? list.data : [];
  lesson = null;
  if (r) {
    if (!r.ok) {
      $("learn-body").replaceChildren(el("p", { class: "error" }, t("learn.failed", { message: errorText(r.error) })));
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
  showView({ page: "embed", state: { expression: "y = w*x + b\nloss = abs(y_true - y)", values: { x: "2", y_true: "4", w: "3", b: "1" } } }, page.lang);
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
  const view = lessonView(lesson, page.step);
  showView(view, page.lang);
  setLinks(view);
  renderPath();
}

async function openLesson(id, atEnd) {
  page.lesson = id;
  page.step = 1;
  await load();
  if (atEnd) go({ step: lesson.steps.length + 1 });
  else history.pushState(null, "", lessonHref(page));
}

function setLinks(view) {
  $("learn-link").href = lessonHref({ ...page, embed: false });
  $("learn-embed").href = lessonHref({ ...page, embed: true });
  const open = $("learn-open");
  open.hidden = !view;
  if (view) open.href = viewHref({ ...view, page: "app" }, page.lang);
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
