// Progress through the lessons, remembered in this browser only (localStorage): for each
// lesson the furthest step seen and whether its try-it task was solved.
const KEY = "chainrule.learn.progress";

/** @returns {Record<string, {seen: number, done: boolean}>} */
export function readProgress() {
  try {
    const parsed = JSON.parse(localStorage.getItem(KEY) ?? "{}");
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

function write(progress) {
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

export function forgetProgress() {
  write({});
}
