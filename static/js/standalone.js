// Entry of the standalone HTML export (POST /api/export/html): one file with this bundle,
// the styles and the analysis inlined, opened from anywhere with no server and no network.
import { startViewer } from "./viewer.js";

const data = JSON.parse(document.getElementById("chainrule-data").textContent);
const viewer = startViewer(data);
// for tests and curious readers, as the app exposes window.chainrule
window.chainrule = { ...viewer, analysis: data.analysis };
document.body.dataset.ready = "true";
