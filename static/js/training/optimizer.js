// The optimizer form: a select of GET /api/datasets' optimizers and one input per
// hyper-parameter, showing torch's default. The config keeps only what differs from it.
import { t } from "../i18n.js";

/**
 * @typedef {{name: string, title: string, torch: string, formula: string[],
 *            hyper: {name: string, default: any, kind: string, description: string}[]}} OptimizerListing
 */

let uid = 0;

/**
 * @param {HTMLElement} container
 * @param {(config: Record<string, any>) => void} onChange  called with {name, ...changed hyper}
 * @param {string} defaultName  the optimizer of a config that names none (GET /api/meta)
 */
export function createOptimizerForm(container, onChange, defaultName) {
  /** @type {OptimizerListing[]} */
  let listing = [];
  /** @type {Record<string, any>} */
  let config = { name: defaultName };
  const id = `opt-${++uid}`;

  const spec = () => listing.find((o) => o.name === config.name) ?? listing[0];

  function emit() {
    onChange({ ...config });
  }

  function numberInput(label, value, placeholder, set) {
    const input = document.createElement("input");
    input.type = "text";
    input.inputMode = "decimal";
    input.className = "hyper-input";
    input.value = String(value);
    input.placeholder = String(placeholder);
    input.setAttribute("aria-label", label);
    input.addEventListener("change", () => {
      const s = input.value.trim();
      const v = s === "" ? placeholder : Number(s);
      const ok = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) || s === "";
      input.classList.toggle("invalid", !ok);
      input.setAttribute("aria-invalid", String(!ok));
      if (ok) set(v);
    });
    return input;
  }

  function render() {
    const sp = spec();
    if (!sp) return container.replaceChildren();
    const select = document.createElement("select");
    select.id = `${id}-name`;
    select.className = "opt-name";
    select.setAttribute("aria-label", t("train.optimizer"));
    for (const o of listing) {
      const opt = document.createElement("option");
      opt.value = o.name;
      opt.textContent = o.title;
      select.append(opt);
    }
    select.value = sp.name;
    select.addEventListener("change", () => {
      config = { name: select.value };
      render();
      emit();
    });
    const head = document.createElement("div");
    head.className = "opt-head";
    const lab = document.createElement("label");
    lab.htmlFor = select.id;
    lab.textContent = t("train.optimizer");
    const torch = document.createElement("code");
    torch.className = "opt-torch";
    torch.textContent = sp.torch;
    head.append(lab, select, torch);

    const grid = document.createElement("div");
    grid.className = "hyper-grid";
    for (const h of sp.hyper) {
      const row = document.createElement("div");
      row.className = "hyper";
      row.dataset.hyper = h.name;
      const name = document.createElement("span");
      name.className = "hyper-name";
      name.textContent = h.name;
      name.title = t(`train.hyper.${h.name}`) !== `train.hyper.${h.name}` ? t(`train.hyper.${h.name}`) : h.description;
      const current = h.name in config ? config[h.name] : h.default;
      const set = (v) => {
        if (JSON.stringify(v) === JSON.stringify(h.default)) delete config[h.name];
        else config[h.name] = v;
        emit();
      };
      let control;
      if (h.kind === "bool") {
        control = document.createElement("input");
        control.type = "checkbox";
        control.checked = Boolean(current);
        control.setAttribute("aria-label", h.name);
        control.addEventListener("change", () => set(control.checked));
      } else if (h.kind === "betas") {
        control = document.createElement("span");
        control.className = "betas";
        const pair = [...current];
        control.append(
          ...[0, 1].map((j) =>
            numberInput(`${h.name}[${j}]`, pair[j], h.default[j], (v) => {
              pair[j] = v;
              set([...pair]);
            }),
          ),
        );
      } else {
        control = numberInput(h.name, current, h.default, set);
      }
      const def = document.createElement("span");
      def.className = "hyper-default";
      def.textContent = t("train.torchDefault", { value: Array.isArray(h.default) ? h.default.join(", ") : String(h.default) });
      row.append(name, control, def);
      grid.append(row);
    }
    container.replaceChildren(head, grid);
  }

  return {
    /** @param {OptimizerListing[]} list */
    setListing(list) {
      listing = list;
      render();
    },
    /** @param {Record<string, any>} cfg  {name, ...hyper} */
    set(cfg) {
      config = { name: defaultName, ...cfg };
      render();
    },
    /** @returns {Record<string, any>} */
    get: () => ({ ...config }),
    /** @returns {OptimizerListing|undefined} */
    spec,
    relabel: render,
  };
}
