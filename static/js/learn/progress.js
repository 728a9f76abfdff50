// Progress through the lessons, remembered in this browser only (localStorage): for each
// lesson the furthest step seen and whether its try-it task was solved. In a page opened by a
// course platform (LTI) it is kept on the server for that user instead (docs/lti.md).
import { launchHeaders } from "../api.js";

const KEY = "chainrule.learn.progress";
const fromServer = document.querySelector('meta[name="chainrule-progress"]')?.getAttribute("content");
/** The launched user's progress (null outside a launch). */
let launched = fromServer ? JSON.parse(fromServer) : null;

/** @returns {Record<string, {seen: number, done: boolean}>} */
export function readProgress() {
  if (launched) return structuredClone(launched);
  try {
    const parsed = JSON.parse(localStorage.getItem(KEY) ?? "{}");
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

function write(progress) {
  if (launched) {
    launched = progress;
    fetch("/lti/api/progress", { method: "PUT", keepalive: true, body: JSON.stringify(progress),
      headers: { "Content-Type": "application/json", ...launchHeaders() } });
    return;
  }
  try {
    localStorage.setItem(KEY, JSON.stringify(progress));
  } catch {
    // private mode: progress is just not remembered
  }
}

/** Note that step `step` (1-based) of `lesson` was shown. */
export function markSeen(lesson, step) {
  const progress = readProgress();
  const entry = progress[lesson] ?? { seen: 0, done: false };
  progress[lesson] = { ...entry, seen: Math.max(entry.seen, step) };
  write(progress);
}

/** Note that the try-it task of `lesson` was solved. */
export function markDone(lesson) {
  const progress = readProgress();
  progress[lesson] = { seen: progress[lesson]?.seen ?? 0, done: true };
  write(progress);
}

/** Forget every lesson's progress (in a launch, the server's copy too: a PUT only adds). */
export function forgetProgress() {
  if (launched) {
    launched = {};
    fetch("/lti/api/progress", { method: "DELETE", keepalive: true, headers: launchHeaders() });
    return;
  }
  write({});
}
