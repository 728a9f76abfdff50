// The Learn page's first live view, started as soon as this small module (and the state
// codecs) has arrived: from the lesson the server put in the page, before learn.js and its
// strings. learn.js shows the same view later, which the frame already shows (no reload).
import { lessonView, pageFromLocation, showView } from "./view.js";

const tag = document.getElementById("learn-data");
const page = pageFromLocation();
const data = tag ? JSON.parse(tag.textContent) : null;
if (data?.lesson && data.lang === page.lang && data.lesson.id === page.lesson) {
  showView(lessonView(data.lesson, Math.min(page.step, data.lesson.steps.length + 1)), page.lang);
}
