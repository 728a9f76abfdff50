// Canvas drawing for big graphs. SVG costs a DOM node per box and per text, and the
// browser's text layout of ~20,000 <text> elements is what made 5,000-node graphs slow;
// a canvas redraws only what is on screen, and skips text when it would be unreadable.
// The <svg> above it still receives the zoom/pan gestures, so both renderers share d3-zoom.
import { fmtNumber, fmtShape, gradMagnitude, isTensor } from "./format.js";
import { t } from "./i18n.js";

/** Below this zoom no text is drawn (boxes and edges only). */
const TEXT_ZOOM = 0.3;
/** Below this zoom edge labels are not drawn. */
const EDGE_LABEL_ZOOM = 0.45;

/**
 * A canvas layer under an <svg>.
 * @param {SVGSVGElement} svgEl
 */
export function createCanvasLayer(svgEl) {
  const canvas = document.createElement("canvas");
  canvas.className = "graph-canvas";
  canvas.setAttribute("aria-hidden", "true");
  svgEl.parentNode.insertBefore(canvas, svgEl);
  const ctx = canvas.getContext("2d");
  let scene = null;
  let transform = { x: 0, y: 0, k: 1 };
  let frame = 0;

  function colours() {
    const cs = getComputedStyle(svgEl);
    const v = (name) => cs.getPropertyValue(name).trim();
    return {
      bg: v("--bg"),
      ink: v("--ink"),
      muted: v("--muted"),
      edge: v("--edge"),
      hot: v("--hot"),
      current: v("--current"),
      op: [v("--op"), v("--op-stroke")],
      input: [v("--input"), v("--input-stroke")],
      const: [v("--const"), v("--const-stroke")],
      group: [v("--group"), v("--group-stroke")],
      bad: v("--grad-bad"),
      mono: v("--mono"),
    };
  }

  function draw() {
    frame = 0;
    if (!scene) return;
    const w = svgEl.clientWidth;
    const h = svgEl.clientHeight;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
    }
    const c = colours();
    const { k } = transform;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * transform.x, dpr * transform.y);
    // visible window in layout coordinates
    const x0 = -transform.x / k;
    const y0 = -transform.y / k;
    const x1 = x0 + w / k;
    const y1 = y0 + h / k;
    const { boxes, edges, display } = scene;
    const inView = (b) => b.x + b.w / 2 >= x0 && b.x - b.w / 2 <= x1 && b.y + b.h / 2 >= y0 && b.y - b.h / 2 <= y1;

    // edges: one path per style
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = c.edge;
    ctx.beginPath();
    for (const e of edges) if (!e.hot) tracePath(ctx, e.points);
    ctx.stroke();
    ctx.strokeStyle = c.hot;
    ctx.lineWidth = 3;
    ctx.beginPath();
    for (const e of edges) if (e.hot) tracePath(ctx, e.points);
    ctx.stroke();

    // boxes
    const showText = k >= TEXT_ZOOM;
    for (const b of boxes) {
      if (!inView(b)) continue;
      const [fill, stroke] = c[b.kind] ?? c.op;
      ctx.fillStyle = b.fill ?? fill;
      ctx.globalAlpha = b.pending ? 0.55 : 1;
      ctx.fillRect(b.x - b.w / 2, b.y - b.h / 2, b.w, b.h);
      ctx.globalAlpha = 1;
      ctx.lineWidth = b.current ? 4 : b.output ? 3 : 1.5;
      ctx.strokeStyle = b.current ? c.current : stroke;
      ctx.strokeRect(b.x - b.w / 2, b.y - b.h / 2, b.w, b.h);
    }
    if (showText) {
      ctx.textBaseline = "alphabetic";
      ctx.textAlign = "left";
      ctx.fillStyle = c.ink;
      ctx.font = `bold 13px ${c.mono}`;
      for (const b of boxes) if (inView(b)) ctx.fillText(b.label, b.x - b.w / 2 + 8, b.y - b.h / 2 + 17, b.w - 16);
      ctx.font = `14px ${c.mono}`;
      for (const b of boxes) {
        if (!inView(b)) continue;
        ctx.fillStyle = b.pending ? c.muted : c.ink;
        ctx.fillText(b.main, b.x - b.w / 2 + 8, b.y - b.h / 2 + 38, b.w - 16);
      }
      if (k >= EDGE_LABEL_ZOOM && display.edgeLabels) {
        ctx.font = `12px ${c.mono}`;
        ctx.textAlign = "center";
        ctx.lineWidth = 4;
        ctx.strokeStyle = c.bg;
        for (const e of edges) {
          if (!e.label || e.mid[0] < x0 || e.mid[0] > x1 || e.mid[1] < y0 || e.mid[1] > y1) continue;
          ctx.strokeText(e.label, e.mid[0], e.mid[1] - 4);
          ctx.fillStyle = e.hot ? c.hot : c.ink;
          ctx.fillText(e.label, e.mid[0], e.mid[1] - 4);
        }
      }
    }
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(draw);
  }

  return {
    /**
     * Replace the scene (already-positioned boxes and edges) and redraw.
     * @param {{boxes: any[], edges: any[], display: any}|null} next
     */
    setScene(next) {
      scene = next;
      canvas.hidden = !next;
      if (next) schedule();
    },
    /** @param {{x: number, y: number, k: number}} tr */
    setTransform(tr) {
      transform = { x: tr.x, y: tr.y, k: tr.k };
      if (scene) schedule();
    },
    /** Draw now (used after a synchronous update). */
    drawNow: () => draw(),
    /**
     * The box under a point in screen (svg) coordinates.
     * @returns {string|null} node id
     */
    hit(px, py) {
      if (!scene) return null;
      const x = (px - transform.x) / transform.k;
      const y = (py - transform.y) / transform.k;
      for (const b of scene.boxes) if (Math.abs(x - b.x) <= b.w / 2 && Math.abs(y - b.y) <= b.h / 2) return b.id;
      return null;
    },
  };
}

function tracePath(ctx, p) {
  ctx.moveTo(p[0], p[1]);
  for (let i = 2; i < p.length; i += 6) ctx.bezierCurveTo(p[i], p[i + 1], p[i + 2], p[i + 3], p[i + 4], p[i + 5]);
}

/**
 * Text for the main line of a box (value forward, gradient backward).
 * @param {any} node
 * @param {boolean} backward
 * @param {boolean} known
 */
export function mainText(node, backward, known) {
  const v = backward ? node.grad : node.value;
  const s = !known ? "?" : isTensor(v) ? `[${fmtShape(node.shape)}]` : fmtNumber(v);
  return backward ? `${t("node.grad")} = ${s}` : s;
}

export { gradMagnitude };
