// A tiny element builder, so a panel reads as the markup it makes:
//   el("label", { class: "param-tick" }, el("input", { type: "checkbox", checked: true }), name)
// Text children become text nodes (never parsed as HTML), so user text is safe to pass.

/**
 * Create an HTML element.
 * Attributes: `class` sets className; `dataset` an object of data-* entries; `on` an object of
 * event listeners ({click: fn}); a key that is a property of the element (value, checked,
 * type, htmlFor, disabled, hidden, colSpan, scope, tabIndex, ...) is set as that property;
 * anything else (aria-*, role, ...) as an attribute (`true` a bare attribute, `false` left out).
 * `null` and `undefined` values are left out.
 * Children: nodes, strings or numbers (as text), arrays of them; null/undefined/false skipped.
 * @param {string} tag
 * @param {Record<string, any>|null} [attrs]
 * @param {...(Node|string|number|null|undefined|false|Array<any>)} children
 * @returns {HTMLElement}
 */
export function el(tag, attrs = null, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "on") for (const [type, fn] of Object.entries(value)) node.addEventListener(type, fn);
    else if (key in node && !key.includes("-")) node[key] = value;
    else if (value !== false) node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...flatten(children));
  return node;
}

/** @param {any[]} children */
function flatten(children) {
  const out = [];
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) out.push(...flatten(c));
    else out.push(c instanceof Node ? c : String(c));
  }
  return out;
}
