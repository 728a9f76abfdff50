// The arithmetic of one step, written out: forward "y = x1 + b = 6 + 1 = 7" and backward
// "grad(loss, w) = grad(loss, x1) × grad(x1, w) = 1 × 2 = 2". Each comes as plain text and
// as TeX for KaTeX (rendered with trust: false; every name/number goes through format.js).
import { fmtNumber, fmtValue, isTensor, texName, texText, texValue } from "./format.js";

/** Infix operators by op name (the API's /api/ops `symbol` overrides/extends this). */
const INFIX = { add: "+", sub: "-", mul: "*", div: "/", pow: "**", matmul: "@" };
const TEX_INFIX = { "+": "+", "-": "-", "*": "\\times", "/": "\\div", "**": "^", "@": "\\mathbin{@}" };
const UNARY = { neg: "-", pos: "+" };

const symbols = { ...INFIX };

/**
 * Learn operator symbols from GET /api/ops.
 * @param {{name: string, symbol?: string|null, arity?: number}[]} ops
 */
export function setOps(ops) {
  for (const op of ops) if (op.symbol && op.arity === 2) symbols[op.name] = op.symbol;
}

const atomic = (s) => /^[\p{L}\p{N}_.]+$/u.test(s) && !s.startsWith("-");

/**
 * Write an operation applied to arguments, as text and TeX.
 * @param {string} op
 * @param {{text: string, tex: string, atomic: boolean}[]} args
 */
function apply(op, args) {
  const paren = (a) => (a.atomic ? a : { text: `(${a.text})`, tex: `\\left(${a.tex}\\right)` });
  const sym = symbols[op];
  if (sym && args.length === 2) {
    const [a, b] = args.map(paren);
    if (sym === "**") return { text: `${a.text} ** ${b.text}`, tex: `{${a.tex}}^{${b.tex}}` };
    return { text: `${a.text} ${sym} ${b.text}`, tex: `${a.tex} ${TEX_INFIX[sym] ?? texText(sym)} ${b.tex}` };
  }
  if (UNARY[op] && args.length === 1) {
    const a = paren(args[0]);
    return { text: `${UNARY[op]}${a.text}`, tex: `${UNARY[op]}${a.tex}` };
  }
  if (op === "transpose" && args.length === 1) {
    const a = paren(args[0]);
    return { text: `${a.text}.T`, tex: `{${a.tex}}^{\\top}` };
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
  const sym = apply(node.op, args.map(nameArg));
  const num = apply(node.op, args.map(valueArg));
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

/**
 * The chain rule for one node: the sum over its outgoing edges of
 * grad(out, consumer) × grad(consumer, node).
 * @param {import("./graphmodel.js").Model} model
 * @param {string} id
 * @returns {{text: string, tex: string, terms: number, outputNode: boolean, nonElementwise: string[]}}
 */
export function backwardStep(model, id) {
  const node = model.nodes.get(id);
  const out = model.nodes.get(model.output);
  const g = (a, b) => `grad(${a}, ${b})`;
  const wrap = (s) => (atomic(s) ? texName(s) : `(${texName(s)})`);
  const gTex = (a, b) => `\\dfrac{\\partial ${wrap(a)}}{\\partial ${wrap(b)}}`;
  const result = { text: fmtValue(node.grad, node.shape), tex: texValue(node.grad, node.shape, false) };
  if (id === model.output) {
    return {
      text: `${g(out.label, node.label)} = 1`,
      tex: `${gTex(out.label, node.label)} = 1`,
      terms: 0,
      outputNode: true,
      nonElementwise: [],
    };
  }
  if (node.kind === "const" || node.grad === null || node.grad === undefined) {
    // constants are not differentiated: nothing flows into them
    return { text: `${node.label}: —`, tex: `${texName(node.label)}`, terms: 0, outputNode: false, nonElementwise: [], constant: true };
  }
  const symText = [];
  const symTex = [];
  const numText = [];
  const numTex = [];
  const nonElementwise = [];
  let scalarTerms = true;
  for (const e of node.outs) {
    const c = model.nodes.get(e.target);
    symText.push(`${g(out.label, c.label)} × ${g(c.label, node.label)}`);
    symTex.push(`${gTex(out.label, c.label)}\\cdot${gTex(c.label, node.label)}`);
    const scalarLocal = e.local !== null && e.local !== undefined && !isTensor(e.local);
    if (!scalarLocal || isTensor(c.grad)) scalarTerms = false;
    if (e.local === null || e.local === undefined) nonElementwise.push(e.local_formula);
    const neg = (x) => (x.startsWith("-") ? `(${x})` : x);
    const cg = neg(fmtNumber(c.grad));
    const lv = scalarLocal ? neg(fmtNumber(e.local)) : e.local_formula;
    numText.push(`${cg} × ${lv}`);
    numTex.push(`${texValue(c.grad, c.shape)} \\times ${scalarLocal ? texValue(e.local) : texText(e.local_formula ?? "")}`);
  }
  if (node.outs.length === 0) {
    return { text: `${g(out.label, node.label)} = 0`, tex: `${gTex(out.label, node.label)} = 0`, terms: 0, outputNode: false, nonElementwise };
  }
  const parts = [g(out.label, node.label), symText.join(" + ")];
  const texParts = [gTex(out.label, node.label), symTex.join(" + ")];
  if (scalarTerms) {
    parts.push(numText.join(" + "));
    texParts.push(numTex.join(" + "));
  } else if (node.outs.length > 1) {
    // Tensor terms: each edge's contribution (its `grad`) rather than a product we cannot
    // write elementwise.
    parts.push(node.outs.map((e) => fmtValue(e.grad, node.shape)).join(" + "));
    texParts.push(node.outs.map((e) => texValue(e.grad, node.shape)).join(" + "));
  }
  parts.push(result.text);
  texParts.push(result.tex);
  return { text: parts.join(" = "), tex: texParts.join(" = "), terms: node.outs.length, outputNode: false, nonElementwise };
}
