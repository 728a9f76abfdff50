// Gradient health on the page (issue 14): the Health list, a badge on each flagged node
// (colour AND an icon), the flags in the node's details, edge shading by |local gradient| in
// the backward graph, and the "Common mistakes" card. A panel (panels.js); main.js calls
// decorate() after each drawing, since render.js redraws nodes from their data alone.
// Messages come from the server in the request's language; user text only through .text().
import { select } from "../build/vendor.mjs";
import { el } from "./el.js";
import { fmtValue } from "./format.js";
import { t } from "./i18n.js";


/** The icon of each kind: the badge never relies on colour alone. */
export const ICONS = {
  nonfinite_origin: "✖",
  exploding: "⇑",
  vanishing: "⇣",
  saturated: "≈",
  dead_relu: "∅",
  kink: "∠",
};
const SEVERITY_RANK = { error: 0, warning: 1, info: 2 };
const BADGE_RADIUS = 9;
/** Edge shading: |local| at or below this is drawn faintest (a log scale up to 1). */
const SHADE_FLOOR = 1e-8;

/**
 * @param {{card: HTMLElement|null, mistakeCard: HTMLElement|null}} roots
 * @param {{focus: (id: string) => void}} host  focus: select a node and bring it into view
 */
export function createHealthPanel(roots, host) {
  const { card, mistakeCard } = roots;
  let data = null;
  let model = null;
  let byNode = new Map();
  let seen = { expression: null, keys: new Set() };
  let fresh = [];
  let pointed = null;
  let shade = ""; // "" | "local" | "grad"

  /** Flags grouped by node id, worst first. */
  function group(diagnostics) {
    const out = new Map();
    for (const d of diagnostics) {
      if (!out.has(d.node)) out.set(d.node, []);
      out.get(d.node).push(d);
    }
    for (const list of out.values()) list.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
    return out;
  }

  const labelOf = (id) => model?.nodes.get(id)?.label ?? id;
  const kindText = (kind) => t(`health.kind.${kind}`);

  function renderList() {
    if (!card) return;
    const list = data?.diagnostics ?? [];
    card.querySelector("#health-none").hidden = !data || list.length > 0;
    card.querySelector("#health-list").replaceChildren(
      ...list.map((d) =>
        el(
          "li",
          { class: `health-item sev-${d.severity}`, "data-kind": d.kind, "data-node": d.node },
          el(
            "button",
            { type: "button", class: "health-jump", "aria-current": d.node === pointed ? "true" : "false", on: { click: () => point(d.node) } },
            el("span", { class: "health-icon", "aria-hidden": "true" }, ICONS[d.kind] ?? "!"),
            el("strong", null, `${labelOf(d.node)} · ${kindText(d.kind)}`),
          ),
          el("p", { class: "health-message" }, d.message),
        ),
      ),
    );
  }

  function renderMistake() {
    if (!mistakeCard) return;
    const m = data?.mistake_explanation;
    mistakeCard.hidden = !m;
    if (!m) return;
    const wrong = data.wrong_nodes ?? [];
    mistakeCard.replaceChildren(
      el("h2", null, `${t("mistakes.label")}: ${m.title}`),
      el(
        "div",
        { class: "mistake-lines" },
        el("div", { class: "mistake-line buggy" }, el("span", { class: "mistake-tag" }, `✗ ${t("mistakes.buggy")}`), el("code", null, m.buggy_line)),
        el("div", { class: "mistake-line right" }, el("span", { class: "mistake-tag" }, `✓ ${t("mistakes.right")}`), el("code", null, m.right_line)),
      ),
      el("p", { class: "mistake-at", id: "mistake-at" }),
      el("p", { class: "mistake-wrong" }, wrong.length ? t("mistakes.wrongNodes", { k: wrong.length, labels: wrong.map(labelOf).join(", ") }) : t("mistakes.noneWrong")),
      el("p", { class: "mistake-explanation" }, m.explanation),
    );
  }

  /** The buggy and the true gradient of the node the backward step-through is at: in the
   * mistakes card, and in the step text as the buggy line of code beside the right one. */
  function renderMistakeStep(currentId) {
    const at = mistakeCard?.querySelector("#mistake-at");
    const step = document.getElementById("explain-mistake");
    const m = data?.mistake_explanation;
    const nd = currentId && m ? model?.nodes.get(currentId) : null;
    if (step) step.hidden = !nd;
    if (!nd) {
      if (at) at.textContent = "";
      return;
    }
    const truth = data.correct_node_grads?.[currentId];
    const shown = fmtValue(nd.grad, nd.shape);
    const right = truth === undefined ? shown : fmtValue(truth, nd.shape);
    if (at) {
      at.textContent =
        truth === undefined ? t("mistakes.atNodeRight", { label: nd.label, shown }) : t("mistakes.atNode", { label: nd.label, shown, truth: right });
    }
    // the lines of code with this node's name: x.grad = ... (buggy) beside x.grad += ... (right)
    const named = (line) => line.replace(/\bx\b/g, () => nd.label);
    step?.replaceChildren(
      el("span", { class: "mistake-line buggy" }, el("span", { class: "mistake-tag" }, `✗ ${t("mistakes.buggy")}`), el("code", null, `${named(m.buggy_line)}  → ${shown}`)),
      el("span", { class: "mistake-line right" }, el("span", { class: "mistake-tag" }, `✓ ${t("mistakes.right")}`), el("code", null, `${named(m.right_line)}  → ${right}`)),
    );
  }

  /** Select a flagged node: its details, the graph scrolled to it, the list item marked. */
  function point(id) {
    pointed = id;
    host.focus(id);
    renderList();
  }

  /** Add a "health" row with the node's messages to the open node details. */
  function annotateInspector() {
    const panel = document.getElementById("inspector");
    const body = panel?.querySelector("#inspector-body");
    if (!body || panel.hidden) return;
    body.querySelectorAll(".health-detail").forEach((n) => n.remove());
    const flags = byNode.get(panel.dataset.id) ?? [];
    if (!flags.length) return;
    body.append(
      el("dt", { class: "health-detail" }, t("health.detail")),
      el(
        "dd",
        { class: "health-detail" },
        ...flags.map((d) => el("p", { class: `health-message sev-${d.severity}` }, `${ICONS[d.kind] ?? "!"} ${d.message}`)),
      ),
    );
  }

  /**
   * Badges, wrong-node marks and edge shading on one drawn view.
   * @param {SVGSVGElement} svgEl
   * @param {"forward"|"backward"} direction
   * @param {{current?: string|null}} [display]
   */
  function decorate(svgEl, direction, display = {}) {
    if (!svgEl || !data) return;
    const backward = direction === "backward";
    const wrong = new Set(backward ? data.wrong_nodes ?? [] : []);
    select(svgEl)
      .selectAll("g.node")
      .each(function decorateNode(vn) {
        const ids = [vn.id, ...(vn.members ?? []).map((m) => m.id ?? m)];
        const flags = ids.flatMap((id) => byNode.get(id) ?? []);
        const g = select(this);
        const width = Number(g.select("rect.box").attr("width")) || 0;
        const height = Number(g.select("rect.box").attr("height")) || 0;
        g.classed("flagged", flags.length > 0)
          .classed("pointed", ids.includes(pointed))
          .classed("wrong", ids.some((id) => wrong.has(id)));
        g.selectAll("g.health-badge")
          .data(flags.length ? [flags] : [])
          .join((enter) => {
            const b = enter.append("g").attr("aria-hidden", "true");
            b.append("circle").attr("r", BADGE_RADIUS);
            b.append("text").attr("text-anchor", "middle").attr("dy", "0.35em");
            b.append("title");
            return b;
          })
          .attr("class", (f) => `health-badge sev-${f[0].severity}`)
          .attr("data-kinds", (f) => [...new Set(f.map((d) => d.kind))].join(" "))
          .attr("transform", `translate(${width - 2},2)`)
          .call((b) => b.select("text").text((f) => ICONS[f[0].kind] ?? "!"))
          .call((b) => b.select("title").text((f) => f.map((d) => d.message).join("\n")));
        const truth = ids.map((id) => data.correct_node_grads?.[id]).find((v) => v !== undefined);
        g.selectAll("text.wrong-note")
          .data(backward && truth !== undefined ? [truth] : [])
          .join("text")
          .attr("class", "wrong-note")
          .attr("x", 4)
          .attr("y", height + 14)
          .text((v) => t("mistakes.shouldBe", { value: fmtValue(v, vn.node.shape) }));
        // said as well as drawn (and red): a wrong node is not told by colour alone
        if (backward && truth !== undefined) g.attr("aria-label", `${g.attr("aria-label") ?? ""} ${t("mistakes.shouldBe", { value: fmtValue(truth, vn.node.shape) })}`);
        if (flags.length) {
          const aria = t("health.badgeAria", { label: vn.node.label, kinds: [...new Set(flags.map((d) => kindText(d.kind)))].join(", ") });
          g.attr("aria-label", `${g.attr("aria-label") ?? ""}; ${aria}`);
        }
      });
    const strength = edgeShading(backward ? shade : "");
    select(svgEl)
      .selectAll("path.edge")
      .style("stroke-opacity", (d) => strength(d.edge))
      .style("stroke-width", (d) => (strength(d.edge) === null ? null : `${1 + 2.5 * strength(d.edge)}px`));
    if (backward) renderMistakeStep(display.current ?? null);
  }

  /** edge -> opacity (null: drawn as usual) for the chosen shading. */
  function edgeShading(how) {
    if (how === "local") return (e) => shadeOf(magnitude(e?.local));
    if (how !== "grad" || !data) return () => null;
    const largest = Math.max(0, ...data.edges.map((e) => magnitude(e.grad) ?? 0).filter(Number.isFinite));
    return (e) => {
      const m = magnitude(e?.grad);
      return m === null || !largest ? null : shadeOf(m / largest);
    };
  }

  return {
    decorate,
    point,
    /** Flags of the last analysis that the previous analysis of the same expression lacked. */
    fresh: () => fresh,
    /** @param {""|"local"|"grad"} how  shade the backward graph's edges by |local| or by |edge grad| */
    setShade(how) {
      shade = how;
    },
    /** @param {import("./panels.js").Analysis} analysis */
    update(analysis) {
      if (!analysis.data) return;
      data = analysis.data;
      model = analysis.model;
      byNode = group(data.diagnostics ?? []);
      const keys = new Set((data.diagnostics ?? []).map((d) => `${d.kind}@${d.node}`));
      fresh = seen.expression === analysis.expression ? (data.diagnostics ?? []).filter((d) => !seen.keys.has(`${d.kind}@${d.node}`)) : [];
      seen = { expression: analysis.expression, keys };
      if (pointed && !byNode.has(pointed)) pointed = null;
      renderList();
      renderMistake();
      annotateInspector();
    },
    relabel() {
      renderList();
      renderMistake();
      annotateInspector();
    },
    annotateInspector,
  };
}

/**
 * The mean |element| of a number or tensor from the API (non-finite: Infinity); null if none.
 * @param {number|string|Array<any>|null|undefined} v
 * @returns {number|null}
 */
export function magnitude(v) {
  if (v === null || v === undefined) return null;
  const values = Array.isArray(v) ? v.flat(Infinity) : [v];
  if (!values.length) return null;
  return values.reduce((sum, x) => sum + (typeof x === "number" ? Math.abs(x) : Infinity), 0) / values.length;
}

/**
 * How strongly to draw an edge for a magnitude: log-scaled from SHADE_FLOOR (faintest) to 1.
 * @param {number|null} m
 * @returns {number|null}
 */
export function shadeOf(m) {
  if (m === null) return null;
  if (!Number.isFinite(m) || m >= 1) return 1;
  if (m <= SHADE_FLOOR) return 0.08;
  return 0.08 + 0.92 * (1 + Math.log10(m) / -Math.log10(SHADE_FLOOR));
}
