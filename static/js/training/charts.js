// The loss-curve chart: loss against step for every run, drawn up to the current position,
// with a linear (optionally from 0) or log y axis. Keyed joins, so stepping updates the paths
// in place. Tick labels carry as many digits as it takes to tell them apart.
import { axisBottom, axisLeft, line, scaleLinear, scaleLog, scaleSymlog, select } from "../../build/vendor.mjs";
import { fmtNumber } from "../format.js";
import { lossSeries } from "./runs.js";

/** The chart's width while it is not on screen (hidden), and the narrowest it is drawn. */
const DEFAULT_W = 460;
const MIN_W = 240;
const H = 220;
const M = { top: 22, right: 14, bottom: 34, left: 62 };

/**
 * A tick format whose labels are all different (3 significant digits, more if two ticks
 * would read the same, as 2.994 and 2.996 do at 3).
 * @param {number[]} ticks
 */
export function distinctFormat(ticks) {
  for (let digits = 3; digits < 12; digits++) {
    const labels = ticks.map((v) => fmtNumber(v, digits));
    if (new Set(labels).size === labels.length) return (v) => fmtNumber(v, digits);
  }
  return (v) => fmtNumber(v, 12);
}

/**
 * @param {SVGSVGElement} svgEl
 */
export function createLossChart(svgEl) {
  // Drawn at its width on screen, one unit a CSS pixel: its text keeps the size app.css gives
  // it (scaled into a phone's panel, a fixed 460-unit drawing shrank it to 6 px).
  let W = DEFAULT_W;
  const svg = select(svgEl).attr("preserveAspectRatio", "xMidYMid meet");
  const measure = () => Math.max(MIN_W, Math.round(svgEl.getBoundingClientRect().width) || DEFAULT_W);
  const gx = svg.append("g").attr("class", "axis x").attr("transform", `translate(0,${H - M.bottom})`);
  const gy = svg.append("g").attr("class", "axis y").attr("transform", `translate(${M.left},0)`);
  const xLabel = svg.append("text").attr("class", "axis-label").attr("y", H - 4).attr("text-anchor", "end");
  const yLabel = svg.append("text").attr("class", "axis-label").attr("x", 4).attr("y", 12);
  const plot = svg.append("g").attr("class", "plot");
  let last = null; // the arguments of the last update, to draw again at a new width
  new ResizeObserver(() => {
    if (last && measure() !== W) chart.update(...last);
  }).observe(svgEl);

  const chart = {
    /**
     * @param {import("./runs.js").Run[]} runs
     * @param {number} position  steps taken (0 = start)
     * @param {{log: boolean, zero?: boolean, stepLabel: string, lossLabel: string}} opts
     *   zero: a linear axis starts at 0 (so 3 -> 2.95 looks like the small change it is)
     */
    update(runs, position, opts) {
      last = [runs, position, opts];
      W = measure();
      svg.attr("viewBox", `0 0 ${W} ${H}`);
      xLabel.attr("x", W - M.right);
      const series = runs.map((r) => lossSeries(r));
      const all = series.flat().filter(Number.isFinite);
      const n = Math.max(1, ...series.map((s) => s.length - 1));
      const x = scaleLinear().domain([0, n]).range([M.left, W - M.right]);
      let lo = all.length ? Math.min(...all) : 0;
      let hi = all.length ? Math.max(...all) : 1;
      const positive = lo > 0;
      const scale = !opts.log ? "linear" : positive ? "log" : "symlog";
      if (scale === "linear" && opts.zero) [lo, hi] = [Math.min(0, lo), Math.max(0, hi)];
      if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
      const y = (scale === "log" ? scaleLog() : scale === "symlog" ? scaleSymlog() : scaleLinear())
        .domain([lo, hi])
        .range([H - M.bottom, M.top]);
      if (scale !== "log") y.nice();
      const xTicks = x.ticks(6).filter(Number.isInteger); // steps are whole numbers
      gx.call(axisBottom(x).tickValues(xTicks).tickFormat(distinctFormat(xTicks)));
      const yTicks = y.ticks(5);
      gy.call(axisLeft(y).tickValues(yTicks).tickFormat(distinctFormat(yTicks)));
      svgEl.dataset.domain = JSON.stringify(y.domain());
      xLabel.text(opts.stepLabel);
      yLabel.text(opts.lossLabel + (scale === "linear" ? "" : ` (${scale})`));
      const clampY = (v) => Math.max(M.top - 4, Math.min(H - M.bottom + 4, y(v)));
      const path = line()
        .defined((d) => Number.isFinite(d[1]))
        .x((d) => x(d[0]))
        .y((d) => clampY(d[1]));
      const shown = series.map((s, i) => ({ i, points: s.slice(0, Math.min(position, s.length - 1) + 1).map((v, k) => [k, v]) }));
      plot
        .selectAll("path.loss")
        .data(shown, (d) => d.i)
        .join("path")
        .attr("class", (d) => `loss run-${d.i % 5}`)
        .attr("d", (d) => path(d.points));
      plot
        .selectAll("circle.now")
        .data(shown.filter((d) => d.points.length && Number.isFinite(d.points.at(-1)[1])), (d) => d.i)
        .join("circle")
        .attr("class", (d) => `now run-${d.i % 5}`)
        .attr("r", 4)
        .attr("cx", (d) => x(d.points.at(-1)[0]))
        .attr("cy", (d) => clampY(d.points.at(-1)[1]));
      svgEl.dataset.scale = scale;
      svgEl.dataset.points = String(shown[0]?.points.length ?? 0);
      svgEl.dataset.losses = JSON.stringify(shown[0]?.points.map((p) => p[1]) ?? []);
    },
    clear() {
      last = null;
      plot.selectAll("*").remove();
      gx.selectAll("*").remove();
      gy.selectAll("*").remove();
      xLabel.text("");
      yLabel.text("");
      svgEl.dataset.points = "0";
    },
  };
  return chart;
}
