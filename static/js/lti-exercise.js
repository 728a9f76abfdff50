// A graded exercise opened from a course (LTI): questions, the grading through
// POST /api/grade (the launch's session goes with it, see api.js), the score's way to the
// course, and, for instructors, the learners of the course.
import { gradeAnswers, launchHeaders } from "./api.js";

const data = JSON.parse(document.getElementById("lti-data").textContent);
const t = data.texts;
const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

function showExercise(exercise) {
  $("lti-expression").textContent = exercise.expression;
  $("lti-values").textContent = Object.entries(exercise.values).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(", ");
  const list = $("lti-questions");
  for (const q of exercise.questions) {
    const item = el("li");
    item.dataset.question = q.id;
    const label = el("label", q.prompt);
    const input = el("input");
    input.name = q.id;
    input.id = `answer-${q.id}`;
    input.autocomplete = "off";
    input.setAttribute("aria-label", `${t.answer}: ${q.prompt}`);
    label.htmlFor = input.id;
    item.append(label, " ", input, el("span", "", "lti-verdict"));
    list.append(item);
  }
}

/** An answer as the API takes it: a number, a JSON list, or arithmetic text. */
function answerOf(text) {
  const s = text.trim();
  if (s.startsWith("[")) {
    try { return JSON.parse(s); } catch { return s; }
  }
  const n = Number(s);
  return s !== "" && Number.isFinite(n) ? n : s;
}

function showGrade(result) {
  for (const [qid, r] of Object.entries(result.results)) {
    const verdict = document.querySelector(`[data-question="${qid}"] .lti-verdict`);
    let words = r.correct ? ` ✓ ${t.right}` : ` ✗ ${t.wrong}`;
    if (!r.correct && "expected" in r) words += ` (${t.expected} ${JSON.stringify(r.expected)})`;
    if (!r.correct && r.hint) words += `: ${r.hint}`;
    verdict.textContent = words;
    verdict.className = `lti-verdict ${r.correct ? "right" : "wrong"}`;
  }
  const box = $("lti-result");
  box.replaceChildren();
  const attempt = result.attempt;
  const score = el("p", `${t.score}: ${result.correct}/${result.total}`
    + (attempt ? ` (${t.attempt} ${attempt.number}, ${t.best} ${Math.round(attempt.best * 100)}%)` : ""), "lti-score");
  score.id = "lti-score";
  box.append(score);
  if (attempt && !attempt.final && !Object.values(result.results).some((r) => "expected" in r)) box.append(el("p", t.hidden));
  const pb = result.passback;
  if (pb) {
    const words = { sent: t.passback_sent, queued: t.passback_queued, failed: `${t.passback_failed}: ${pb.detail}` }[pb.status];
    const p = el("p", words, `lti-passback ${pb.status}`);
    p.id = "lti-passback";
    p.dataset.status = pb.status;
    box.append(p);
  } else {
    box.append(el("p", t.not_graded));
  }
}

async function check(event) {
  event.preventDefault();
  const button = $("lti-check");
  button.disabled = true;
  button.textContent = t.checking;
  const answers = {};
  for (const input of $("lti-answers").querySelectorAll("input")) {
    if (input.value.trim() !== "") answers[input.name] = answerOf(input.value);
  }
  const res = await gradeAnswers(data.exercise, answers);
  button.disabled = false;
  button.textContent = t.check;
  if (res.ok) {
    showGrade(res.data);
    if (data.instructor) loadRoster();
  } else {
    const p = el("p", `${t.error}: ${res.error.message}`, "lti-error");
    p.id = "lti-error";
    $("lti-result").replaceChildren(p);
  }
}

async function loadRoster() {
  const res = await fetch("/lti/api/roster", { headers: launchHeaders() });
  if (!res.ok) return;
  const rows = await res.json();
  const body = document.querySelector("#lti-roster-table tbody");
  body.replaceChildren();
  if (rows.length === 0) {
    const tr = el("tr");
    const td = el("td", t.no_learners);
    td.colSpan = 5;
    tr.append(td);
    body.append(tr);
  }
  for (const r of rows) {
    const tr = el("tr");
    tr.append(el("td", r.learner), el("td", String(r.attempts)),
      el("td", r.best_score === null ? "–" : `${Math.round(r.best_score * 100)}%`),
      el("td", r.last_attempt ?? "–"), el("td", `${r.scores_sent} / ${r.scores_queued} / ${r.scores_failed}`));
    body.append(tr);
  }
}

async function exportCsv() {
  const res = await fetch("/lti/api/roster.csv", { headers: launchHeaders() });
  if (!res.ok) return;
  const url = URL.createObjectURL(await res.blob());
  const a = el("a");
  a.href = url;
  a.download = "chainrule-learners.csv";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

showExercise(data.exercise);
$("lti-answers").addEventListener("submit", check);
if (data.instructor) {
  loadRoster();
  $("lti-export").addEventListener("click", exportCsv);
}
