// The arithmetic of one step, written out: forward "y = x1 + b = 6 + 1 = 7"; backward the
// local derivative "∂(w * x)/∂w = x = 2" and the chain rule
// "∂loss/∂w = ∂loss/∂(w * x) · ∂(w * x)/∂w = 1 · x = 1 · 2 = 2". Each comes as plain text and
// as TeX for KaTeX (rendered with trust: false; every name/number goes through format.js).
import { fmtNumber, fmtShape, fmtValue, isTensor, texName, texText, texValue } from "./format.js";
import { t } from "./i18n.js";
import { META } from "./meta.js";

/** How the grammar writes each operator (GET /api/meta): {name, symbol, notation}, by op name. */
const OPERATORS = new Map(META.operators.map((o) => [o.name, o]));
/** The TeX of an operator symbol (others are typeset as text). */
const TEX_SYMBOL = { "+": "+", "-": "-", "*": "\\times", "/": "\\div", "@": "\\mathbin{@}" };
/** Local derivative templates by op (a0, a1… stand for the arguments), from /api/ops. */
const localTemplates = {};
/** Ops that act elementwise (with numpy broadcasting), from /api/ops. */
const elementwiseOps = new Set(["add", "sub", "mul", "div", "pow"]);

/**
 * Learn the local derivative formulas and the elementwise ops from GET /api/ops.
 * @param {{name: string, elementwise?: boolean, local_formulas?: string[]}[]} ops
 */
export function setOps(ops) {
  for (const op of ops) {
    if (op.local_formulas) localTemplates[op.name] = op.local_formulas;
    if (op.elementwise) elementwiseOps.add(op.name);
  }
}

const atomic = (s) => /^[\p{L}\p{N}_.]+$/u.test(s) && !s.startsWith("-");

/**
 * Write an operation applied to arguments, as text and TeX.
 * @param {string} op
 * @param {{text: string, tex: string, atomic: boolean}[]} args
 */
function apply(op, args) {
  const paren = (a) => (a.atomic ? a : { text: `(${a.text})`, tex: `\\left(${a.tex}\\right)` });
  const { symbol: sym, notation } = OPERATORS.get(op) ?? {};
  if (notation === "infix" && args.length === 2) {
    const [a, b] = args.map(paren);
    if (sym === "**") return { text: `${a.text} ** ${b.text}`, tex: `{${a.tex}}^{${b.tex}}` };
    return { text: `${a.text} ${sym} ${b.text}`, tex: `${a.tex} ${TEX_SYMBOL[sym] ?? texText(sym)} ${b.tex}` };
  }
  if (notation === "prefix" && args.length === 1) {
    const a = paren(args[0]);
    return { text: `${sym}${a.text}`, tex: `${TEX_SYMBOL[sym] ?? texText(sym)}${a.tex}` };
  }
  if (notation === "postfix" && args.length === 1) {
    const a = paren(args[0]);
    return { text: `${a.text}${sym}`, tex: sym === ".T" ? `{${a.tex}}^{\\top}` : `${a.tex}${texText(sym)}` };
  }
  const name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(op) ? op : "f";
  return {
    text: `${name}(${args.map((a) => a.text).join(", ")})`,
    tex: `${texText(name)}\\left(${args.map((a) => a.tex).join(",\\ ")}\\right)`,
  };
}

const nameArg = (node) => ({ text: node.label, tex: texName(node.label), atomic: atomic(node.label) });
const valueArg = (node) => ({
  text: fmtValue(node.value, node.shape),
  tex: texValue(node.value, node.shape),
  atomic: isTensor(node.value) || !String(fmtNumber(node.value)).startsWith("-"),
});

/**
 * concat((a, b)) and stack((a, b)) take their tensors as one tuple (their formula says so):
 * the arguments as that one tuple, others as they are.
 */
function tupled(node, args) {
  if (!node.formula?.startsWith(`${node.op}((`)) return args;
  const inner = join(args, ", ", ",\\ ");
  const comma = args.length === 1 ? "," : "";
  return [{ text: `(${inner.text}${comma})`, tex: `\\left(${inner.tex}\\right)`, atomic: true }];
}

/**
 * The forward computation of one node.
 * @param {import("./graphmodel.js").Model} model
 * @param {string} id
 * @returns {{text: string, tex: string, kind: "input"|"const"|"op"}}
 */
export function forwardStep(model, id) {
  const node = model.nodes.get(id);
  const value = { text: fmtValue(node.value, node.shape), tex: texValue(node.value, node.shape, false) };
  if (node.kind !== "op") {
    return { kind: node.kind, text: `${node.label} = ${value.text}`, tex: `${texName(node.label)} = ${value.tex}` };
  }
  const args = node.ins.map((e) => model.nodes.get(e.source));
  if (OPERATORS.get(node.op)?.notation === "subscript" && node.formula) {
    // x[1:3]: the key is in the node's formula; the values are shown whole, not subscripted
    const parts = [{ text: node.label, tex: texName(node.label) }];
    if (node.formula !== node.label) parts.push({ text: node.formula, tex: texText(node.formula) });
    parts.push(value);
    return { kind: "op", ...join(parts, " = ") };
  }
  const sym = apply(node.op, tupled(node, args.map(nameArg)));
  const num = apply(node.op, tupled(node, args.map(valueArg)));
  // Constants have their value as label: skip the repeated middle form when it adds nothing.
  const parts = [node.label, sym.text];
  const texParts = [texName(node.label), sym.tex];
  if (num.text !== sym.text) {
    parts.push(num.text);
    texParts.push(num.tex);
  }
  parts.push(value.text);
  texParts.push(value.tex);
  return { kind: "op", text: parts.join(" = "), tex: texParts.join(" = ") };
}

// ------------------------------------------------------------------ backward

/** More paths than this from a node to the output: the path product is not written out. */
export const MAX_PATHS = 12;

const MINUS = /^-/;
/** A name, a number or one call with balanced parentheses: needs no parentheses of its own. */
const whole = (s) => atomic(s) || (/^[A-Za-z_]\w*\((.*)\)$/.test(s) && balanced(s.slice(s.indexOf("(") + 1, -1)));
/** A label as the variable of a derivative: wholes as is, anything else in parentheses. */
const dVar = (s) => (whole(s) ? s : `(${s})`);
const dVarTex = (s) => (atomic(s) ? texName(s) : whole(s) ? texText(s) : `\\left(${texName(s)}\\right)`);
/** ∂a/∂b as text and TeX. */
const partial = (a, b) => ({
  text: `∂${dVar(a)}/∂${dVar(b)}`,
  tex: `\\dfrac{\\partial ${dVarTex(a)}}{\\partial ${dVarTex(b)}}`,
});
/** A number as a factor: negative numbers in parentheses. */
const factor = (v) => {
  const s = fmtNumber(v);
  return { text: MINUS.test(s) ? `(${s})` : s, tex: texValue(v) };
};
/** A formula as a factor: parenthesised unless it is a name, a number or one call. */
const formulaFactor = (f) => {
  const s = String(f ?? "");
  const text = whole(s) ? s : `(${s})`;
  return { text, tex: texText(text) };
};
function balanced(s) {
  let depth = 0;
  for (const ch of s) {
    if (ch === "(") depth++;
    else if (ch === ")" && --depth < 0) return false;
  }
  return depth === 0;
}
const shapeTag = (shape) => (shape && shape.length ? ` [${fmtShape(shape)}]` : "");
const shapeTex = (shape) => (shape && shape.length ? `_{[${fmtShape(shape)}]}` : "");

/** Join pieces with a separator. */
const join = (pieces, sep, texSep = sep) => ({ text: pieces.map((p) => p.text).join(sep), tex: pieces.map((p) => p.tex).join(texSep) });
/** a = b = c …, leaving out a member equal to the one before it. */
function equation(members) {
  const kept = [];
  for (const m of members) if (m && (!kept.length || kept[kept.length - 1].text !== m.text)) kept.push(m);
  return join(kept, " = ");
}

/**
 * The local derivative's formula with the consumer's argument values in place of a0, a1…
 * (scalars only), e.g. "sign(a0)" -> "sign(-3)".
 * @returns {string|null}
 */
function filledLocal(model, consumer, arg) {
  const template = localTemplates[consumer.op]?.[arg];
  if (!template) return null;
  const args = consumer.ins.map((e) => model.nodes.get(e.source).value);
  if (args.some(isTensor)) return null;
  let ok = true;
  const text = template.replace(/\ba(\d+)\b/g, (_m, i, offset, whole) => {
    const v = args[Number(i)];
    if (v === undefined) {
      ok = false;
      return _m;
    }
    const s = fmtNumber(v);
    // a whole call argument needs no parentheses: sign(-3), not sign((-3))
    const bare = whole[offset - 1] === "(" && [")", ","].includes(whole[offset + _m.length]);
    return MINUS.test(s) && !bare ? `(${s})` : s;
  });
  return ok ? text : null;
}

/** How the consumer's op is written where the consumer has a name of its own. */
const opText = (c) => (c.statement && c.formula ? c.formula : c.label);

/**
 * Class indices fed to cross_entropy: integers, not differentiated.
 * @param {any} model
 * @param {any} e  an edge into its consumer
 */
function isClassIndexEdge(model, e) {
  const c = model.nodes.get(e.target);
  if (c.op !== "cross_entropy" || e.arg !== 1) return false;
  const logits = model.nodes.get(c.ins[0]?.source);
  const src = model.nodes.get(e.source);
  return !!logits && (src.shape?.length ?? 0) === (logits.shape?.length ?? 0) - 1;
}

/**
 * Does the node get no gradient a student should step through: a constant, or integer
 * class labels (only ever used as cross_entropy targets)?
 * @param {import("./graphmodel.js").Model} model
 * @param {string} id
 */
export function receivesNoGradient(model, id) {
  const node = model.nodes.get(id);
  if (!node || node.kind === "const") return true;
  return node.outs.length > 0 && node.outs.every((e) => isClassIndexEdge(model, e));
}

/**
 * The backward pass as a student steps through it: the API's order without the nodes
 * that receive no gradient (constants, integer class labels).
 * @param {import("./graphmodel.js").Model} model
 * @returns {string[]}
 */
export function backwardSteps(model) {
  return model.backward.filter((id) => !receivesNoGradient(model, id));
}

/** Axes a broadcast source was expanded along (to be summed back), numpy rules. */
function broadcastAxes(src, dst) {
  const s = src ?? [];
  const d = dst ?? [];
  const lead = d.length - s.length;
  const axes = [];
  for (let i = 0; i < d.length; i++) if (i < lead || (s[i - lead] === 1 && d[i] > 1)) axes.push(i);
  return axes;
}

/**
 * One term of the chain rule for a tensor: ∂L/∂v = (upstream) ∘ (local) with shapes, in
 * the order the product is actually taken.
 */
function tensorTerm(model, out, node, e) {
  const c = model.nodes.get(e.target);
  const up = partial(out.label, c.label);
  const upS = { text: `${up.text}${shapeTag(c.shape)}`, tex: `${up.tex}${shapeTex(c.shape)}` };
  const other = (i) => model.nodes.get(c.ins[i]?.source);
  const tr = (nd) => ({ text: `${dVar(nd.label)}ᵀ${shapeTag([...(nd.shape ?? [])].reverse())}`, tex: `${dVarTex(nd.label)}^{\\top}${shapeTex([...(nd.shape ?? [])].reverse())}` });
  if ((c.op === "matmul" || c.op === "dot") && (other(0)?.shape?.length ?? 0) === 2 && (other(1)?.shape?.length ?? 0) === 2) {
    // C = A·B: ∂L/∂A = G·Bᵀ, ∂L/∂B = Aᵀ·G
    return { piece: e.arg === 0 ? join([upS, tr(other(1))], " · ", " \\cdot ") : join([tr(other(0)), upS], " · ", " \\cdot "), kind: "matmul" };
  }
  if (elementwiseOps.has(c.op)) {
    const local = formulaFactor(e.local_formula);
    const prod = join([upS, local], " ⊙ ", " \\odot ");
    const axes = broadcastAxes(node.shape, c.shape);
    if (axes.length) {
      return { piece: { text: `Σ_batch(${prod.text})`, tex: `\\sum_{\\text{batch}} \\left(${prod.tex}\\right)` }, kind: "broadcast", axes };
    }
    return { piece: prod, kind: "elementwise" };
  }
  return { piece: join([upS, formulaFactor(e.local_formula)], " · ", " \\cdot "), kind: "other" };
}

/**
 * The chain rule for one node, as lines of text and TeX. A scalar step shows, for every
 * edge into a consumer, the local derivative as a formula, filled in and as a value, then
 * the upstream gradient times the local one (summed when the node is used several times).
 * Tensor steps show shapes beside each factor, products in the order they are taken.
 * @param {import("./graphmodel.js").Model} model
 * @param {string} id
 * @param {{path?: boolean}} [options]  path: add the whole path product from the output
 */
export function backwardStep(model, id, options = {}) {
  const node = model.nodes.get(id);
  const out = model.nodes.get(model.output);
  const result = { lines: [], terms: node.outs.length, outputNode: false, constant: false, noGrad: false, nonElementwise: [], broadcast: [] };
  const finish = () => {
    const joined = join(result.lines, "\n", " \\\\ ");
    return { ...result, text: joined.text, tex: result.lines.length > 1 ? `\\begin{gathered}${joined.tex}\\end{gathered}` : joined.tex };
  };
  const lhs = partial(out.label, node.label);
  if (id === model.output) {
    result.outputNode = true;
    result.lines.push(equation([lhs, { text: "1", tex: "1" }]));
    return finish();
  }
  if (node.kind === "const" || node.grad === null || node.grad === undefined) {
    result.constant = true;
    result.lines.push({ text: `${node.label}: —`, tex: texName(node.label) });
    return finish();
  }
  if (receivesNoGradient(model, id)) {
    result.noGrad = true;
    result.lines.push({ text: `${node.label}: —`, tex: texName(node.label) });
    return finish();
  }
  const total = { text: fmtValue(node.grad, node.shape), tex: texValue(node.grad, node.shape, false) };
  if (!node.outs.length) {
    result.lines.push(equation([lhs, { text: "0", tex: "0" }]));
    return finish();
  }
  const scalar = !isTensor(node.grad) && node.outs.every((e) => e.local !== null && e.local !== undefined && !isTensor(e.local) && !isTensor(model.nodes.get(e.target).grad));
  if (!scalar) {
    const terms = node.outs.map((e) => tensorTerm(model, out, node, e));
    for (const [k, tt] of terms.entries()) {
      if (tt.kind === "other") result.nonElementwise.push(node.outs[k].local_formula);
      if (tt.kind === "broadcast") result.broadcast.push(tt.axes);
    }
    const lhsS = { text: `${lhs.text}${shapeTag(node.shape)}`, tex: `${lhs.tex}${shapeTex(node.shape)}` };
    const parts = [lhsS, join(terms.map((tt) => tt.piece), " + ")];
    if (terms.length > 1) parts.push(join(node.outs.map((e) => ({ text: fmtValue(e.grad, node.shape), tex: texValue(e.grad, node.shape) })), " + "));
    parts.push(total);
    result.lines.push(equation(parts));
    return finish();
  }
  // Scalars: one line per local derivative, then the chain rule.
  const symbolic = [];
  const withFormula = [];
  const withValues = [];
  for (const e of node.outs) {
    const c = model.nodes.get(e.target);
    const local = partial(opText(c), node.label);
    const formula = e.local_formula ?? fmtNumber(e.local);
    const filled = filledLocal(model, c, e.arg);
    result.lines.push(equation([local, { text: formula, tex: texText(formula) }, filled === null ? null : { text: filled, tex: texText(filled) }, { text: fmtNumber(e.local), tex: texValue(e.local, [], false) }]));
    symbolic.push(join([partial(out.label, c.label), local], " · ", " \\cdot "));
    withFormula.push(join([factor(c.grad), formulaFactor(formula)], " · ", " \\cdot "));
    withValues.push(join([factor(c.grad), factor(e.local)], " · ", " \\cdot "));
  }
  const chain = [lhs, join(symbolic, " + "), join(withFormula, " + "), join(withValues, " + ")];
  // Every "=" must hold: a buggy backward pass (the mistakes toolbar) stores other numbers than
  // the products and their sum, so the chain ends at the true arithmetic and what the bug
  // stored is said apart, as an assignment.
  const products = node.outs.map((e) => model.nodes.get(e.target).grad * e.local);
  const sum = products.reduce((a, b) => a + b, 0);
  const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  const honest = close(sum, node.grad) && node.outs.every((e, k) => close(e.grad, products[k]));
  if (!honest) {
    if (node.outs.length > 1) chain.push(join(products.map((v) => factor(v)), " + "));
    chain.push({ text: fmtNumber(sum), tex: texValue(sum, [], false) });
    result.lines.push(equation(chain));
    const stored = `${lhs.text} ← ${fmtNumber(node.grad)}`;
    result.lines.push({ text: `${stored} (${t("explain.bugStores")})`, tex: `${lhs.tex} \\leftarrow ${texValue(node.grad, [], false)}\\ ${texText(`(${t("explain.bugStores")})`)}` });
    return finish();
  }
  if (node.outs.length > 1) chain.push(join(node.outs.map((e) => factor(e.grad)), " + "));
  chain.push(total);
  result.lines.push(equation(chain));
  if (options.path) {
    const paths = pathProduct(model, id);
    if (paths) result.lines.push(paths);
  }
  return finish();
}

/**
 * grad(out, v) as the sum over every path from v to the output of the product of the local
 * gradients along it (the course's notation), or null past MAX_PATHS paths.
 * @returns {{text: string, tex: string}|null}
 */
export function pathProduct(model, id) {
  const out = model.nodes.get(model.output);
  const node = model.nodes.get(id);
  const paths = [];
  const stack = [{ id, factors: [] }];
  while (stack.length) {
    const { id: at, factors } = stack.pop();
    if (at === model.output) {
      paths.push(factors);
      if (paths.length > MAX_PATHS) return null;
      continue;
    }
    const outs = model.nodes.get(at).outs;
    for (let k = outs.length - 1; k >= 0; k--) {
      const e = outs[k];
      if (e.local === null || e.local === undefined || isTensor(e.local)) return null;
      stack.push({ id: e.target, factors: [e.local, ...factors] });
    }
  }
  if (!paths.length) return null;
  const terms = paths.map((f) => join(f.map(factor), " × ", " \\times "));
  const name = { text: `grad(${out.label}, ${node.label})`, tex: `\\operatorname{grad}\\left(${texName(out.label)},\\ ${texName(node.label)}\\right)` };
  return equation([name, join(terms, " + "), { text: fmtValue(node.grad, node.shape), tex: texValue(node.grad, node.shape, false) }]);
}
