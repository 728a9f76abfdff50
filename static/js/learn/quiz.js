// A "try it" task: the questions of an exercise (POST /api/exercise) as a form; Check grades
// them (POST /api/grade) and shows right/wrong with the hint, Reveal shows the answers.
import { gradeAnswers, makeExercise } from "../api.js";
import { el } from "../el.js";
import { errorText } from "../errors.js";
import { fmtFull } from "../format.js";
import { t } from "../i18n.js";

/**
 * What a student typed, as the grader takes it: a nested list when it looks like one, else
 * the text (a number or name-free arithmetic such as 1*1*2).
 * @param {string} text
 */
export function answerOf(text) {
  const s = text.trim();
  if (s.startsWith("[")) {
    try {
      return JSON.parse(s);
    } catch {
      return s;
    }
  }
  return s;
}

/**
 * Build the quiz in `form` for the exercise request `request`.
 * @param {HTMLFormElement} form
 * @param {HTMLElement} scoreLine
 * @param {object} request  a POST /api/exercise body
 * @param {{onSolved: () => void}} hooks
 */
export async function createQuiz(form, scoreLine, request, { onSolved }) {
  form.replaceChildren();
  scoreLine.textContent = "";
  const made = await makeExercise(request);
  if (!made.ok) {
    scoreLine.textContent = t("learn.failed", { message: errorText(made.error) });
    return;
  }
  const exercise = made.data.exercise;
  const rows = exercise.questions.map((q) => {
    const input = el("input", { type: "text", name: q.id, autocomplete: "off", spellcheck: false,
      "aria-label": t("learn.answerAria", { prompt: q.prompt }), dataset: { question: q.id } });
    const verdict = el("span", { class: "quiz-verdict", role: "status" });
    const hint = el("p", { class: "quiz-hint", hidden: true });
    form.append(el("div", { class: "quiz-row", dataset: { question: q.id } },
      el("label", { class: "quiz-prompt" }, q.prompt, input), verdict, hint));
    return { q, input, verdict, hint };
  });
  const show = (results, reveal) => {
    for (const { q, input, verdict, hint } of rows) {
      const r = results[q.id];
      if (reveal) input.value = fmtFull(r.expected);
      const right = reveal || r.correct;
      verdict.textContent = right ? `✓ ${t("learn.right")}` : `✗ ${t("learn.wrong")}`;
      verdict.className = `quiz-verdict ${right ? "right" : "wrong"}`;
      hint.hidden = right;
      hint.textContent = right ? "" : r.hint;
    }
  };
  const grade = async (reveal) => {
    const answers = {};
    for (const { q, input } of rows) if (input.value.trim() !== "") answers[q.id] = answerOf(input.value);
    const r = await gradeAnswers(exercise, reveal ? {} : answers);
    if (!r.ok) {
      scoreLine.textContent = errorText(r.error);
      return;
    }
    show(r.data.results, reveal);
    if (reveal) {
      scoreLine.textContent = "";
      return;
    }
    scoreLine.textContent = r.data.score === 1 ? t("learn.allRight") : t("learn.score", { correct: r.data.correct, total: r.data.total });
    if (r.data.score === 1) onSolved();
  };
  form.append(el("div", { class: "quiz-actions" },
    el("button", { type: "submit", class: "primary", id: "quiz-check" }, t("learn.check")),
    el("button", { type: "button", id: "quiz-reveal", on: { click: () => grade(true) } }, t("learn.reveal"))));
  form.onsubmit = (event) => {
    event.preventDefault();
    grade(false);
  };
}
