// Export from the page: the forward or backward graph as a self-contained SVG (inline
// styles, renders standalone) or a PNG at 2x, and the server's exports (analysis JSON,
// Graphviz DOT, LaTeX derivation) downloaded under the server's filename.
// Graphs drawn as SVG are re-rendered off screen with every value and gradient shown
// (whatever the step-through reveals) and their computed styles inlined; graphs big
// enough to be drawn on a canvas get an SVG built from the layout and a PNG drawn by the
// canvas renderer, since they have no SVG nodes to copy.
import { exportFile } from "./api.js";
import { errorText } from "./errors.js";
import { edgeGeometry, parallelOffsets, svgPath } from "./edges.js";
import { gradLogRange, gradMagnitude } from "./format.js";
import { getLanguage, t } from "./i18n.js";
import { createCanvasLayer, mainText } from "./render-canvas.js";
import { createGraphView, DETAIL_MAX_NODES, localLabel, nodeSize } from "./render.js";

const SVGNS = "http://www.w3.org/2000/svg";
const PAD = 24;
/** PNG scale (device pixels per layout unit), lowered for graphs past the canvas limits. */
const PNG_SCALE = 2;
const MAX_SIDE = 16384;
const MAX_AREA = 120e6;
/** Computed style properties copied onto each exported SVG element. */
const STYLE_PROPS = [
  "fill", "fill-opacity", "stroke", "stroke-width", "stroke-opacity", "stroke-dasharray",
  "stroke-linecap", "stroke-linejoin", "opacity", "font-family", "font-size", "font-weight",
  "font-style", "text-anchor", "dominant-baseline", "paint-order",
];

// ------------------------------------------------------------------ pure helpers

/** The display state with every value and gradient revealed and nothing highlighted. */
function fullDisplay(model) {
  return { values: null, grads: null, current: null, hotEdges: new Set(), ...gradLogRange(model.nodes.values()) };
}

/**
 * A file name like the server's: chainrule-<output>-<direction>.<ext>.
 * @param {string} output
 * @param {string} direction
 * @param {string} ext
 */
export function graphFilename(output, direction, ext) {
  const stem = String(output ?? "").replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "graph";
  return `chainrule-${stem}-${direction}.${ext}`;
}

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function themeColours() {
  const cs = getComputedStyle(document.documentElement);
  const v = (name) => cs.getPropertyValue(name).trim();
  return {
    bg: v("--bg"), ink: v("--ink"), muted: v("--muted"), edge: v("--edge"), mono: v("--mono"),
    op: [v("--op"), v("--op-stroke")], input: [v("--input"), v("--input-stroke")],
    const: [v("--const"), v("--const-stroke")], group: [v("--group"), v("--group-stroke")],
  };
}

/** Boxes and edges of the whole graph with every value/gradient (the canvas renderer's scene). */
function sceneFor(vis, layout, backward, display) {
  const pos = new Map();
  vis.nodes.forEach((vn, i) => {
    const s = nodeSize(vn);
    pos.set(vn.id, { x: layout.x[i], y: layout.y[i], w: s.width, h: s.height });
  });
  const vertical = layout.direction === "BT";
  const boxes = vis.nodes.map((d) => {
    const p = pos.get(d.id);
    const label = d.members.length ? `${d.node.label} (${d.members.length + 1})` : d.node.label;
    return {
      id: d.id, x: p.x, y: p.y, w: p.w, h: p.h, kind: d.members.length ? "group" : d.node.kind,
      fill: backward ? gradFill(d.node.grad, display) : null, pending: false, current: false,
      output: d.id === vis.outputId, label: label.length > 16 ? `${label.slice(0, 15)}…` : label,
      main: mainText(d.node, backward, true),
    };
  });
  const offsets = parallelOffsets(vis.edges);
  const edges = vis.edges.map((d, i) => {
    const g = edgeGeometry(layout.edges[i].points, pos.get(d.source), pos.get(d.target), vertical, offsets.get(d.id));
    return { points: g.flat, mid: g.mid, hot: false, label: backward && !d.grouped ? localLabel(d.edge) : "" };
  });
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const b of boxes) {
    x0 = Math.min(x0, b.x - b.w / 2);
    y0 = Math.min(y0, b.y - b.h / 2);
    x1 = Math.max(x1, b.x + b.w / 2);
    y1 = Math.max(y1, b.y + b.h / 2);
  }
  return { boxes, edges, bbox: { x: x0 - PAD, y: y0 - PAD, width: x1 - x0 + 2 * PAD, height: y1 - y0 + 2 * PAD } };
}

function gradFill(g, display) {
  const m = gradMagnitude(g);
  if (g === null || g === undefined || !Number.isFinite(m) || m === 0) return null;
  const span = Math.max(1e-9, display.maxLog - display.minLog);
  const k = Math.max(0, Math.min(1, (Math.log10(m) - display.minLog) / span));
  return `rgba(234, 88, 12, ${(0.1 + 0.55 * k).toFixed(3)})`;
}

/** A standalone SVG built from the layout (graphs drawn on a canvas). */
function svgFromScene(scene, direction) {
  const c = themeColours();
  const { x, y, width, height } = scene.bbox;
  const out = [
    `<svg xmlns="${SVGNS}" width="${Math.ceil(width)}" height="${Math.ceil(height)}" viewBox="${x} ${y} ${width} ${height}">`,
    `<title>${esc(`chainrule ${direction} graph`)}</title>`,
    `<rect x="${x}" y="${y}" width="${width}" height="${height}" fill="${esc(c.bg)}"/>`,
    `<g fill="none" stroke="${esc(c.edge)}" stroke-width="1.5">`,
  ];
  for (const e of scene.edges) out.push(`<path d="${svgPath(e.points)}"/>`);
  out.push("</g>", `<g font-family="${esc(c.mono)}" fill="${esc(c.ink)}">`);
  for (const b of scene.boxes) {
    const [fill, stroke] = c[b.kind] ?? c.op;
    const left = b.x - b.w / 2;
    const top = b.y - b.h / 2;
    out.push(
      `<g data-label="${esc(b.label)}"><rect x="${left}" y="${top}" width="${b.w}" height="${b.h}" rx="7" fill="${esc(b.fill ?? fill)}" stroke="${esc(stroke)}" stroke-width="${b.output ? 3 : 1.5}"${b.kind === "const" ? ' stroke-dasharray="4 3"' : ""}/>`,
      `<text x="${left + 8}" y="${top + 17}" font-size="13" font-weight="700">${esc(b.label)}</text>`,
      `<text x="${left + 8}" y="${top + 38}" font-size="14">${esc(b.main)}</text></g>`,
    );
  }
  out.push("</g>");
  const labelled = scene.edges.filter((e) => e.label);
  if (labelled.length) {
    out.push(`<g font-family="${esc(c.mono)}" font-size="12" text-anchor="middle" fill="${esc(c.ink)}" stroke="${esc(c.bg)}" stroke-width="4" paint-order="stroke">`);
    for (const e of labelled) out.push(`<text x="${e.mid[0]}" y="${e.mid[1] - 4}">${esc(e.label)}</text>`);
    out.push("</g>");
  }
  out.push("</svg>");
  return out.join("\n");
}

// ------------------------------------------------------------------ off-screen rendering

/** A hidden-from-view host in the document (computed styles and sizes need layout). */
function offscreen(width, height) {
  const host = document.createElement("div");
  host.className = "graph-panel";
  host.setAttribute("aria-hidden", "true");
  host.style.cssText = `position:fixed;left:-${width + 100000}px;top:0;width:${width}px;height:${height}px;overflow:hidden;border:0;contain:strict`;
  const svg = document.createElementNS(SVGNS, "svg");
  svg.setAttribute("class", "graph");
  svg.style.cssText = `width:${width}px;height:${height}px`;
  host.append(svg);
  document.body.append(host);
  return { host, svg };
}

/** The exported properties' computed values for an element. */
function styleOf(el, cs = getComputedStyle(el)) {
  return Object.fromEntries(STYLE_PROPS.map((p) => [p, cs.getPropertyValue(p)]));
}

/** Render with render.js off screen, inline the computed styles, return standalone SVG text. */
function svgFromView(vis, layout, direction, display) {
  const { host, svg } = offscreen(Math.max(200, layout.width + 2 * PAD), Math.max(200, layout.height + 2 * PAD));
  try {
    const view = createGraphView(svg, { direction });
    view.update(vis, layout, display);
    const viewport = svg.querySelector("g.viewport");
    const box = viewport.getBBox();
    const clone = svg.cloneNode(true);
    const from = [...svg.querySelectorAll("*")];
    const to = [...clone.querySelectorAll("*")];
    // Inline what differs from the parent (the rest inherits), plus opacity, which does not.
    const computed = new Map([[svg, styleOf(svg)]]);
    const rootStyle = computed.get(svg);
    from.forEach((el, i) => {
      const copy = to[i];
      const cs = getComputedStyle(el);
      if (cs.display === "none" || el.matches("text.toggle")) {
        copy.remove();
        return;
      }
      copy.removeAttribute("tabindex");
      copy.removeAttribute("class");
      if (el.tagName === "title") return;
      const mine = styleOf(el, cs);
      computed.set(el, mine);
      const parent = computed.get(el.parentNode) ?? rootStyle;
      const own = STYLE_PROPS.filter((p) => mine[p] !== parent[p] || (p === "opacity" && mine[p] !== "1"));
      if (own.length) copy.setAttribute("style", own.map((p) => `${p}:${mine[p]}`).join(";"));
      else copy.removeAttribute("style");
    });
    clone.querySelector("g.viewport, g")?.removeAttribute("transform");
    const [x, y, w, h] = [box.x - PAD, box.y - PAD, box.width + 2 * PAD, box.height + 2 * PAD];
    clone.setAttribute("style", STYLE_PROPS.filter((p) => p !== "opacity").map((p) => `${p}:${rootStyle[p]}`).join(";"));
    clone.removeAttribute("class");
    clone.removeAttribute("role");
    clone.removeAttribute("aria-label");
    clone.setAttribute("xmlns", SVGNS);
    clone.setAttribute("width", String(Math.ceil(w)));
    clone.setAttribute("height", String(Math.ceil(h)));
    clone.setAttribute("viewBox", `${x} ${y} ${w} ${h}`);
    const bg = document.createElementNS(SVGNS, "rect");
    for (const [k, v] of Object.entries({ x, y, width: w, height: h, fill: themeColours().bg })) bg.setAttribute(k, String(v));
    clone.insertBefore(bg, clone.querySelector("g"));
    const title = document.createElementNS(SVGNS, "title");
    title.textContent = `chainrule ${direction} graph`;
    clone.insertBefore(title, clone.firstChild);
    return new XMLSerializer().serializeToString(clone);
  } finally {
    host.remove();
  }
}

/** Draw a scene with the canvas renderer off screen; resolves to a PNG blob. */
function pngFromScene(scene, direction) {
  const dpr = window.devicePixelRatio || 1;
  const { bbox } = scene;
  const s = Math.min(
    PNG_SCALE / dpr,
    MAX_SIDE / (dpr * bbox.width),
    MAX_SIDE / (dpr * bbox.height),
    Math.sqrt(MAX_AREA / (dpr * dpr * bbox.width * bbox.height)),
  );
  const { host, svg } = offscreen(Math.ceil(bbox.width * s), Math.ceil(bbox.height * s));
  try {
    const layer = createCanvasLayer(svg);
    layer.setScene({ boxes: scene.boxes, edges: scene.edges, display: { edgeLabels: direction === "backward" } });
    layer.setTransform({ x: -bbox.x * s, y: -bbox.y * s, k: s });
    const canvas = host.querySelector("canvas");
    // the layer clears to transparent: paint the background under what it draws
    layer.drawNow();
    const out = document.createElement("canvas");
    out.width = canvas.width;
    out.height = canvas.height;
    const ctx = out.getContext("2d");
    ctx.fillStyle = themeColours().bg;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(canvas, 0, 0);
    return toPng(out);
  } finally {
    host.remove();
  }
}

/** Rasterize SVG text at PNG_SCALE (capped); resolves to a PNG blob. */
async function pngFromSvg(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const w = Number(doc.documentElement.getAttribute("width"));
  const h = Number(doc.documentElement.getAttribute("height"));
  const s = Math.min(PNG_SCALE, MAX_SIDE / w, MAX_SIDE / h, Math.sqrt(MAX_AREA / (w * h)));
  const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(w * s);
    canvas.height = Math.round(h * s);
    canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
    return await toPng(canvas);
  } finally {
    URL.revokeObjectURL(url);
  }
}

const toPng = (canvas) =>
  new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("PNG encoding failed"))), "image/png"));

/**
 * The graph as standalone SVG text and, on request, a PNG.
 * @param {{model: any, vis: any, layout: any}} g
 * @param {"forward"|"backward"} direction
 * @param {"svg"|"png"} format
 * @returns {Promise<Blob>}
 */
export async function graphImage({ model, vis, layout }, direction, format) {
  const display = fullDisplay(model);
  if (vis.nodes.length <= DETAIL_MAX_NODES) {
    const text = svgFromView(vis, layout, direction, display);
    if (format === "svg") return new Blob([`<?xml version="1.0" encoding="UTF-8"?>\n${text}\n`], { type: "image/svg+xml" });
    return pngFromSvg(text);
  }
  const scene = sceneFor(vis, layout, direction === "backward", display);
  if (format === "svg") return new Blob([`<?xml version="1.0" encoding="UTF-8"?>\n${svgFromScene(scene, direction)}\n`], { type: "image/svg+xml" });
  return pngFromScene(scene, direction);
}

/** Save a blob under a name (an <a download> click; works for blob: URLs under our CSP). */
export function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

// ------------------------------------------------------------------ the menu

/**
 * Wire the export menu (no-op where it is absent).
 * @param {{graph: () => ({model: any, vis: any, layout: any}|null),
 *          requestBody: () => Record<string, any>}} deps
 *   graph: what is drawn now (null before the first analysis); requestBody: the body of POST /api/graph
 */
export function initExport({ graph, requestBody }) {
  const button = document.getElementById("btn-export");
  const menu = document.getElementById("export-menu");
  const status = document.getElementById("share-status");
  if (!button || !menu) return;
  const items = () => [...menu.querySelectorAll('[role="menuitem"]')];
  let busy = false;

  function open(focusIndex = 0) {
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    const list = items();
    list[(focusIndex + list.length) % list.length].focus();
  }
  function close(refocus = true) {
    if (menu.hidden) return;
    menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (refocus) button.focus();
  }

  button.addEventListener("click", () => (menu.hidden ? open(0) : close()));
  button.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      open(event.key === "ArrowDown" ? 0 : -1);
    }
  });
  menu.addEventListener("keydown", (event) => {
    const list = items();
    const i = list.indexOf(document.activeElement);
    const go = (k) => list[(k + list.length) % list.length].focus();
    if (event.key === "ArrowDown") go(i + 1);
    else if (event.key === "ArrowUp") go(i - 1);
    else if (event.key === "Home") go(0);
    else if (event.key === "End") go(list.length - 1);
    else if (event.key === "Escape") close();
    else if (event.key === "Tab") return close(false);
    else return;
    event.preventDefault();
    event.stopPropagation();
  });
  document.addEventListener("pointerdown", (event) => {
    if (!menu.hidden && !event.target.closest?.(".menu-wrap")) close(false);
  });
  menu.addEventListener("click", async (event) => {
    const item = event.target.closest('[role="menuitem"]');
    if (!item || busy) return;
    close();
    busy = true;
    try {
      await run(item.dataset.export, item.dataset.direction ?? "forward");
    } finally {
      busy = false;
    }
  });

  const say = (text) => {
    if (status) status.textContent = text;
  };

  async function run(format, direction) {
    const g = graph();
    if (!g) return say(t("export.nothing"));
    say(t("export.working"));
    try {
      if (format === "svg" || format === "png") {
        const blob = await graphImage(g, direction, format);
        const name = graphFilename(g.model.nodes.get(g.model.output)?.label, direction, format);
        download(blob, name);
        return say(t("export.done", { name }));
      }
      // the standalone page speaks the page's language
      const extra = format === "dot" ? { direction } : format === "html" ? { lang: getLanguage() } : {};
      const r = await exportFile(format, { ...requestBody(), ...extra });
      if (!r.ok) return say(t("export.failed", { message: errorText(r.error) }));
      download(r.blob, r.filename);
      say(t("export.done", { name: r.filename }));
    } catch (err) {
      say(t("export.failed", { message: String(err?.message ?? err) }));
    }
  }
}

