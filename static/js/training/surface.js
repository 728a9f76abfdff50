// The loss over the params (POST /api/surface): with one scalar param a curve with each
// run's current point as a ball (the momentum picture); with two a filled contour plot
// with each run's trajectory up to the current step.
import { axisBottom, axisLeft, contours, geoPath, geoTransform, interpolateViridis, line, scaleLinear, scaleSequential, select } from "../../build/vendor.mjs";
import { fmtNumber } from "../format.js";
import { paramSeries, toNumber } from "./runs.js";

const W = 460;
const H = 300;
const M = { top: 22, right: 14, bottom: 34, left: 58 };

/** Linear interpolation of a 1-D grid at v. */
function interp(xs, ys, v) {
  if (v <= xs[0]) return ys[0];
  if (v >= xs.at(-1)) return ys.at(-1);
  let i = 1;
  while (xs[i] < v) i++;
  const t = (v - xs[i - 1]) / (xs[i] - xs[i - 1]);
  return ys[i - 1] + t * (ys[i] - ys[i - 1]);
}

/**
 * @param {SVGSVGElement} svgEl
 */
export function createSurfaceChart(svgEl) {
  const svg = select(svgEl).attr("viewBox", `0 0 ${W} ${H}`).attr("preserveAspectRatio", "xMidYMid meet");
  const fill = svg.append("g").attr("class", "surface-fill");
  const gx = svg.append("g").attr("class", "axis x").attr("transform", `translate(0,${H - M.bottom})`);
  const gy = svg.append("g").attr("class", "axis y").attr("transform", `translate(${M.left},0)`);
  const xLabel = svg.append("text").attr("class", "axis-label").attr("x", W - M.right).attr("y", H - 4).attr("text-anchor", "end");
  const yLabel = svg.append("text").attr("class", "axis-label").attr("x", 4).attr("y", 12);
  const plot = svg.append("g").attr("class", "plot");
  let drawnFor = null; // the surface object the background was drawn for

  function clear() {
    for (const g of [fill, plot, gx, gy]) g.selectAll("*").remove();
    xLabel.text("");
    yLabel.text("");
    drawnFor = null;
    delete svgEl.dataset.kind;
  }

  function draw1d(surf, runs, position, lossLabel) {
    const p = surf.params[0];
    const xs = surf.axes[p];
    const ys = surf.loss.map(toNumber);
    const finite = ys.filter(Number.isFinite);
    const x = scaleLinear().domain([xs[0], xs.at(-1)]).range([M.left, W - M.right]);
    const y = scaleLinear().domain([Math.min(...finite), Math.max(...finite)]).nice().range([H - M.bottom, M.top]);
    if (drawnFor !== surf) {
      fill.selectAll("*").remove();
      fill
        .append("path")
        .attr("class", "surface-curve")
        .attr("d", line().defined((d) => Number.isFinite(d[1])).x((d) => x(d[0])).y((d) => y(d[1]))(xs.map((v, i) => [v, ys[i]])));
      gx.call(axisBottom(x).ticks(6).tickFormat((v) => fmtNumber(v, 3)));
      gy.call(axisLeft(y).ticks(5).tickFormat((v) => fmtNumber(v, 3)));
      xLabel.text(p);
      yLabel.text(lossLabel);
      drawnFor = surf;
    }
    const at = runs.map((r, i) => {
      const series = paramSeries(r, p).slice(0, position + 1);
      return { i, trail: series, v: series.at(-1) };
    });
    const clampX = (v) => Math.max(M.left, Math.min(W - M.right, x(v)));
    plot
      .selectAll("g.trail")
      .data(at, (d) => d.i)
      .join("g")
      .attr("class", (d) => `trail run-${d.i % 5}`)
      .selectAll("circle")
      .data((d) => d.trail.slice(0, -1).filter(Number.isFinite))
      .join("circle")
      .attr("r", 1.8)
      .attr("cx", (v) => clampX(v))
      .attr("cy", (v) => y(interp(xs, ys, v)));
    plot
      .selectAll("circle.ball")
      .data(at.filter((d) => Number.isFinite(d.v)), (d) => d.i)
      .join("circle")
      .attr("class", (d) => `ball run-${d.i % 5}`)
      .attr("r", 7)
      .attr("cx", (d) => clampX(d.v))
      .attr("cy", (d) => y(interp(xs, ys, d.v)) - 7);
    svgEl.dataset.kind = "curve";
  }

  function draw2d(surf, runs, position) {
    const [p, q] = surf.params;
    const xs = surf.axes[p];
    const ys = surf.axes[q];
    const nx = xs.length;
    const ny = ys.length;
    const grid = surf.loss.flat().map(toNumber);
    const finite = grid.filter(Number.isFinite);
    const lo = Math.min(...finite);
    const hi = Math.max(...finite);
    const x = scaleLinear().domain([xs[0], xs.at(-1)]).range([M.left, W - M.right]);
    const y = scaleLinear().domain([ys[0], ys.at(-1)]).range([H - M.bottom, M.top]);
    if (drawnFor !== surf) {
      fill.selectAll("*").remove();
      // levels evenly spaced in sqrt(loss - min): detail near the minimum, where training ends
      const levels = Array.from({ length: 14 }, (_, i) => lo + (hi - lo) * (i / 14) ** 2);
      const color = scaleSequential(interpolateViridis).domain([Math.sqrt(hi - lo), 0]);
      const sx = (xs.at(-1) - xs[0]) / (nx - 1);
      const sy = (ys.at(-1) - ys[0]) / (ny - 1);
      // d3-contour puts grid value (i, j) at the point (i + 0.5, j + 0.5)
      const project = geoTransform({
        point(cx, cy) {
          this.stream.point(x(xs[0] + (cx - 0.5) * sx), y(ys[0] + (cy - 0.5) * sy));
        },
      });
      const values = grid.map((v) => (Number.isFinite(v) ? v : hi));
      fill
        .selectAll("path")
        .data(contours().size([nx, ny]).thresholds(levels)(values))
        .join("path")
        .attr("class", "contour")
        .attr("fill", (d) => color(Math.sqrt(Math.max(0, d.value - lo))))
        .attr("d", geoPath(project));
      gx.call(axisBottom(x).ticks(6).tickFormat((v) => fmtNumber(v, 3)));
      gy.call(axisLeft(y).ticks(5).tickFormat((v) => fmtNumber(v, 3)));
      xLabel.text(p);
      yLabel.text(q);
      drawnFor = surf;
    }
    const clip = (v, s) => Math.max(Math.min(...s.range()), Math.min(Math.max(...s.range()), s(v)));
    const tracks = runs.map((r, i) => {
      const a = paramSeries(r, p).slice(0, position + 1);
      const b = paramSeries(r, q).slice(0, position + 1);
      return { i, points: a.map((v, k) => [v, b[k]]).filter((d) => Number.isFinite(d[0]) && Number.isFinite(d[1])) };
    });
    const path = line().x((d) => clip(d[0], x)).y((d) => clip(d[1], y));
    plot
      .selectAll("path.track")
      .data(tracks, (d) => d.i)
      .join("path")
      .attr("class", (d) => `track run-${d.i % 5}`)
      .attr("d", (d) => path(d.points));
    plot
      .selectAll("circle.ball")
      .data(tracks.filter((d) => d.points.length), (d) => d.i)
      .join("circle")
      .attr("class", (d) => `ball run-${d.i % 5}`)
      .attr("r", 5)
      .attr("cx", (d) => clip(d.points.at(-1)[0], x))
      .attr("cy", (d) => clip(d.points.at(-1)[1], y));
    svgEl.dataset.kind = "contour";
  }

  return {
    /**
     * @param {Record<string, any>} surf  a POST /api/surface response
     * @param {import("./runs.js").Run[]} runs
     * @param {number} position
     * @param {{lossLabel: string}} opts
     */
    update(surf, runs, position, opts) {
      if (surf.params.length === 1) draw1d(surf, runs, position, opts.lossLabel);
      else draw2d(surf, runs, position);
    },
    clear,
  };
}
