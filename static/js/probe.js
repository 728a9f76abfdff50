// The nudge probe: the chapter's "naive method" made tangible. Pick an input, nudge it by ε,
// run the model again: the new loss, ΔL, ΔL/ε beside the backprop gradient. A panel
// (panels.js): while a nudge is on, its state() puts x + ε into the request, so the graphs
// show the nudged values. At a kink (relu or abs at 0) the slopes from the left and from the
// right differ, and do not come together as ε shrinks: the probe says so.
import { analyzeGraph } from "./api.js";
import { el } from "./el.js";
import { errorText } from "./errors.js";
import { fmtNumber } from "./format.js";
import { t } from "./i18n.js";

/** Slopes that stay this far apart when ε shrinks tenfold come from a kink, not a curve. */
const KINK_KEEPS = 0.5;
const DEBOUNCE_MS = 120;

/** The sum of a scalar or nested-list value (a tensor output is differentiated as its sum). */
function total(v) {
  return Array.isArray(v) ? v.reduce((s, x) => s + total(x), 0) : Number(v);
}

/** Elements of one tensor input offered to the probe (the first ones, in row-major order). */
const MAX_ELEMENTS = 24;

/**
 * What the probe can nudge: every scalar input, and the first elements of every tensor input.
 * @returns {{key: string, name: string, index: number[]}[]}  key: "w" or "W[1,0]"
 */
export function targetsOf(data) {
  const out = [];
  for (const n of data.nodes) {
    if (n.op !== "input") continue;
    if (n.shape.length === 0) out.push({ key: n.name, name: n.name, index: [] });
    if (n.shape.length === 0 || !Array.isArray(n.value)) continue;
    const size = n.shape.reduce((a, b) => a * b, 1);
    for (let flat = 0; flat < Math.min(size, MAX_ELEMENTS); flat++) {
      const index = [];
      let rest = flat;
      for (let d = n.shape.length - 1; d >= 0; d--) {
        index.unshift(rest % n.shape[d]);
        rest = Math.floor(rest / n.shape[d]);
      }
      out.push({ key: `${n.name}[${index.join(",")}]`, name: n.name, index });
    }
  }
  return out;
}

const elementAt = (v, index) => index.reduce((a, i) => a[i], v);

/** A copy of nested list `v` with the element at `index` set to `x` (`x` itself for a scalar). */
function withElement(v, index, x) {
  if (index.length === 0) return x;
  const copy = v.slice();
  copy[index[0]] = withElement(v[index[0]], index.slice(1), x);
  return copy;
}

/**
 * One-sided slopes at ε and ε/10 from the losses at x, x ± ε and x ± ε/10.
 * @returns {{right: number, left: number, kink: boolean}}
 */
export function slopes(l0, lp, lm, lp10, lm10, eps) {
  const right = (lp - l0) / eps;
  const left = (l0 - lm) / eps;
  const right10 = (lp10 - l0) / (eps / 10);
  const gap = Math.abs(right - left);
  const gap10 = Math.abs(right10 - (l0 - lm10) / (eps / 10));
  const kink = gap > 1e-6 * Math.max(1, Math.abs(right), Math.abs(left)) && gap10 > KINK_KEEPS * gap;
  return { right, left, right10, kink };
}

/** Relative gaps below these agree, roughly agree; above, the slope and the gradient disagree. */
export const AGREE_GAP = 1e-3;
export const ROUGH_GAP = 0.1;

/**
 * How far ΔL/ε is from the backprop gradient, and why, from the relative gap
 * |ΔL/ε − grad| / max(|ΔL/ε|, |grad|): "agree", "rough" or "disagree"; and the cause of a gap:
 * "kink" (one-sided slopes that stay apart), "curvature" (the gap shrinks with ε: ε too
 * large for this curve), "rounding" (ε so small that float rounding swamps ΔL) or "unknown".
 * @returns {{level: "agree"|"rough"|"disagree", gap: number, cause: string|null}}
 */
export function verdictOf({ right, right10, grad, kink, eps, x, l0 }) {
  const scale = Math.max(Math.abs(right), Math.abs(grad));
  const gap = scale === 0 ? 0 : Math.abs(right - grad) / scale;
  const level = gap <= AGREE_GAP ? "agree" : gap <= ROUGH_GAP ? "rough" : "disagree";
  if (kink) return { level: level === "agree" ? "rough" : level, gap, cause: "kink" };
  if (level === "agree") return { level, gap, cause: null };
  const gap10 = scale === 0 ? 0 : Math.abs(right10 - grad) / scale;
  // float64 keeps ~16 digits of the loss: a nudge below ~1e-8 of |x| and |L| is mostly rounding
  const tiny = Math.abs(eps) < 1e-8 * Math.max(1, Math.abs(x), Math.abs(l0));
  const cause = tiny ? "rounding" : gap10 < 0.5 * gap ? "curvature" : "unknown";
  return { level, gap, cause };
}

/**
 * @param {HTMLElement|null} card  #probe-card (absent from /embed)
 * @param {{analyse: () => Promise<object|null>}} host
 */
export function createProbePanel(card, host) {
  if (!card) return null;
  const $ = (id) => card.querySelector(`#${id}`);
  const select = $("probe-input");
  const slider = $("probe-eps");
  const text = $("probe-eps-text");
  const table = $("probe-table");
  const verdict = $("probe-verdict");
  let base = null; // {expression, output, data}: the last analysis without a nudge
  let nudge = null; // {name, value}: what state() puts into the request
  let result = null;
  let timer = null;
  let seq = 0;

  const epsilon = () => {
    const v = Number(text.value);
    return Number.isFinite(v) && v !== 0 ? v : null;
  };
  const inputsOf = (data) => Object.fromEntries(data.nodes.filter((n) => n.op === "input").map((n) => [n.name, n.value]));

  async function measure() {
    const eps = epsilon();
    const target = base ? targetsOf(base.data).find((tg) => tg.key === select.value) : null;
    if (!target || eps === null) return;
    const mine = ++seq;
    const { name, index } = target;
    const values = inputsOf(base.data);
    const x = elementAt(values[name], index);
    nudge = { name, value: withElement(values[name], index, x + eps) };
    const at = (dx) => analyzeGraph({ expression: base.expression, values: { ...values, [name]: withElement(values[name], index, x + dx) }, ...(base.output ? { output: base.output } : {}) });
    const [rp, rm, rp10, rm10] = await Promise.all([eps, -eps, eps / 10, -eps / 10].map(at));
    if (mine !== seq) return;
    const failed = [rp, rm, rp10, rm10].find((r) => !r.ok);
    if (failed) {
      result = { error: failed.error };
    } else {
      const l0 = total(base.data.value);
      const [lp, lm, lp10, lm10] = [rp, rm, rp10, rm10].map((r) => total(r.data.value));
      result = { name: target.key, x, eps, l0, lp, grad: elementAt(base.data.gradients[name], index), ...slopes(l0, lp, lm, lp10, lm10, eps) };
    }
    render();
    host.analyse(); // the graphs show x + ε
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(measure, DEBOUNCE_MS);
  }

  function undo() {
    seq++;
    nudge = null;
    result = null;
    render();
    host.analyse();
  }

  function row(key, label, value) {
    return el("tr", { dataset: { row: key } }, el("th", { scope: "row" }, label), el("td", { class: "num" }, value));
  }

  function render() {
    table.hidden = !result || !!result.error;
    verdict.className = "probe-verdict";
    if (!result) {
      verdict.textContent = base && targetsOf(base.data).length === 0 ? t("probe.none") : "";
      return table.tBodies[0].replaceChildren();
    }
    if (result.error) {
      verdict.textContent = errorText(result.error);
      return;
    }
    const r = result;
    const n = r.name;
    table.tBodies[0].replaceChildren(...[
      row("x", n, fmtNumber(r.x, 8)),
      row("x-eps", `${n} + ε`, fmtNumber(r.x + r.eps, 10)),
      row("loss", t("probe.lossAt", { at: n }), fmtNumber(r.l0, 10)),
      row("new-loss", t("probe.lossAt", { at: `${n} + ε` }), fmtNumber(r.lp, 10)),
      row("delta", "ΔL", fmtNumber(r.lp - r.l0, 8)),
      row("slope", "ΔL/ε", fmtNumber(r.right, 8)),
      row("grad", t("probe.backprop", { name: n }), fmtNumber(r.grad, 8)),
      row("diff", "|ΔL/ε − backprop|", fmtNumber(Math.abs(r.right - r.grad), 3)),
      r.kink ? row("left", t("probe.left"), fmtNumber(r.left, 8)) : null,
      r.kink ? row("right", t("probe.right"), fmtNumber(r.right, 8)) : null,
    ].filter(Boolean));
    verdict.classList.toggle("kink", r.kink);
    verdict.dataset.kink = String(r.kink);
    const v = verdictOf(r);
    verdict.dataset.level = v.level;
    verdict.dataset.cause = v.cause ?? "";
    const params = { slope: fmtNumber(r.right, 6), grad: fmtNumber(r.grad, 6), diff: fmtNumber(Math.abs(r.right - r.grad), 3),
      gap: `${fmtNumber(100 * v.gap, 2)}%`, slope10: fmtNumber(r.right10, 6), left: fmtNumber(r.left, 6), right: fmtNumber(r.right, 6) };
    verdict.textContent = r.kink
      ? t("probe.kink", params)
      : [t(`probe.${v.level}`, params), v.cause ? t(`probe.cause.${v.cause}`, params) : ""].filter(Boolean).join(" ");
  }

  slider.addEventListener("input", () => {
    text.value = fmtNumber(10 ** Number(slider.value), 3);
    schedule();
  });
  text.addEventListener("input", () => {
    const eps = epsilon();
    if (eps !== null && Math.abs(eps) <= 1) slider.value = String(Math.log10(Math.abs(eps)));
    schedule();
  });
  select.addEventListener("change", schedule);
  $("probe-off").addEventListener("click", undo);

  return {
    update(analysis) {
      if (!analysis.data) return;
      const changed = !base || base.expression !== analysis.expression;
      if (nudge && !changed) {
        // the nudged graph: the probe keeps its base, unless another input was edited meanwhile
        const others = (data) => JSON.stringify({ ...inputsOf(data), [nudge.name]: null });
        if (others(analysis.data) !== others(base.data)) undo();
        return;
      }
      base = { expression: analysis.expression, output: analysis.data.output_name ?? null, data: analysis.data };
      const names = targetsOf(analysis.data).map((tg) => tg.key);
      const keep = names.includes(select.value) ? select.value : names[0];
      select.replaceChildren(...names.map((name) => el("option", { value: name }, name)));
      if (keep) select.value = keep;
      if (changed && nudge) undo();
      else if (changed || !result) render();
      else schedule(); // new values (not ours): measure again at them
    },
    relabel() {
      render();
    },
    state() {
      return nudge ? { values: { [nudge.name]: nudge.value } } : {};
    },
  };
}
