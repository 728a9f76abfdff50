// HTTP client for the chainrule API (docs/api.md). Every call resolves to
// {ok: true, data} or {ok: false, error: {code, message, line?, col?}}; it never throws.
// In a notebook widget the same calls travel to the kernel instead (setTransport, widget.js).

/**
 * Where requests go instead of fetch: `send({method, url, body})` (body the JSON text of a
 * POST) resolves to `{status, body}`, the HTTP API's status and JSON. Null: fetch.
 * @type {((req: {method: string, url: string, body: string|null}) => Promise<{status: number, body: any}>) | null}
 */
let transport = null;

/** Send every request through `send` (the notebook widget's kernel messages). */
export function setTransport(send) {
  transport = send;
}

/** A request through the transport, as `request` answers it. */
async function viaTransport(url, init) {
  const { status, body } = await transport({ method: init.method ?? "GET", url, body: init.body ?? null });
  if (status < 400) return { ok: true, data: body };
  return { ok: false, error: body?.error ?? { code: `http_${status}`, message: `HTTP ${status}` } };
}

/** A 503 `busy` (the server's bound on heavy work) is retried after its Retry-After this many times. */
export const BUSY_RETRIES = 2;

/** Wait `seconds`, or less if the request is aborted meanwhile. */
function pause(seconds, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/**
 * A page opened by a course platform (LTI) carries its session in <meta name="chainrule-launch">
 * and sends it back with every request: framed pages may have their cookies blocked.
 * @returns {Record<string, string>}
 */
export function launchHeaders() {
  const token = typeof document === "undefined" ? null
    : document.querySelector('meta[name="chainrule-launch"]')?.getAttribute("content");
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/**
 * @param {string} url
 * @param {RequestInit} [init]
 */
async function request(url, init = {}) {
  if (transport) return viaTransport(url, init);
  let res;
  try {
    for (let attempt = 0; ; attempt++) {
      res = await fetch(url, { ...init, headers: { Accept: "application/json", ...launchHeaders(), ...(init.headers ?? {}) } });
      const wait = Number(res.headers.get("Retry-After"));
      if (res.status !== 503 || attempt >= BUSY_RETRIES || !(wait > 0 && wait <= 30)) break;
      await pause(wait, init.signal);
      if (init.signal?.aborted) throw new DOMException("aborted", "AbortError");
    }
  } catch (err) {
    if (err && err.name === "AbortError") return { ok: false, aborted: true, error: { code: "aborted", message: "aborted" } };
    return { ok: false, error: { code: "network", message: String(err && err.message ? err.message : err) } };
  }
  let body;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (res.ok && body !== null) return { ok: true, data: body };
  const error = body && body.error ? body.error : { code: `http_${res.status}`, message: `HTTP ${res.status} ${res.statusText}` };
  return { ok: false, error };
}

/**
 * POST /api/graph.
 * Tensors of more than the server's CHAINRULE_MAX_FULL_TENSOR_ELEMENTS come back summarized
 * (`detail: "auto"`): the page never shows more of a tensor than that, and a tiny request
 * for a huge tensor must not download hundreds of megabytes.
 * @param {{expression: string, values: Record<string, any>, output?: string,
 *          detail?: "full"|"summary"|"auto", check?: boolean}} body
 * @param {AbortSignal} [signal]
 */
export function analyzeGraph(body, signal) {
  return request("/api/graph", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ detail: "auto", ...body }),
    signal,
  });
}

/** GET /api/examples: the built-in examples, the worked example first. */
export async function fetchExamples() {
  const r = await request("/api/examples");
  if (r.ok && !Array.isArray(r.data)) r.data = r.data.examples ?? [];
  return r;
}

/** GET /api/meta: the registries (optimizers, datasets, limits, embed panels, operators). */
export function fetchMeta() {
  return request("/api/meta");
}

/** GET /api/ops: every operation with its symbol, arity and formulas. */
export async function fetchOps() {
  const r = await request("/api/ops");
  if (r.ok && !Array.isArray(r.data)) r.data = r.data.ops ?? Object.values(r.data);
  return r;
}

/**
 * POST /api/train: the whole trajectory of a training run.
 * @param {Record<string, any>} body  a TrainRequest (expression, values, params, data|dataset, optimizer, steps, ...)
 * @param {AbortSignal} [signal]
 */
export function trainModel(body, signal) {
  return request("/api/train", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal });
}

/**
 * POST /api/surface: the loss on a grid over one or two scalar params.
 * @param {Record<string, any>} body  a SurfaceRequest
 * @param {AbortSignal} [signal]
 */
export function lossSurface(body, signal) {
  return request("/api/surface", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal });
}

/** GET /api/datasets: built-in datasets, optimizers (torch defaults, formulas), training examples. */
export function fetchDatasets() {
  return request("/api/datasets");
}

/**
 * GET /api/datasets/{name}: one generated dataset's columns.
 * @param {{name: string, n?: number, noise?: number, seed?: number}} spec
 */
export function fetchDataset(spec) {
  const q = new URLSearchParams();
  for (const k of ["n", "noise", "seed"]) if (spec[k] !== undefined && spec[k] !== null) q.set(k, String(spec[k]));
  return request(`/api/datasets/${encodeURIComponent(spec.name)}${q.size ? `?${q}` : ""}`);
}

/**
 * POST /api/export/{format}: the analysis as a file (json, dot or latex).
 * @param {"json"|"dot"|"latex"} format
 * @param {Record<string, any>} body  the body of POST /api/graph (+ `direction` for dot)
 * @returns {Promise<{ok: true, blob: Blob, filename: string} | {ok: false, error: {code: string, message: string}}>}
 */
export async function exportFile(format, body) {
  let res;
  try {
    res = await fetch(`/api/export/${format}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (err) {
    return { ok: false, error: { code: "network", message: String(err && err.message ? err.message : err) } };
  }
  if (!res.ok) {
    let error;
    try {
      error = (await res.json()).error;
    } catch {
      error = null;
    }
    return { ok: false, error: error ?? { code: `http_${res.status}`, message: `HTTP ${res.status} ${res.statusText}` } };
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") ?? "");
  return { ok: true, blob: await res.blob(), filename: name ? name[1] : `chainrule.${format}` };
}

/** GET /api/lessons: the Learn mode's path. @param {string} lang */
export function fetchLessons(lang) {
  return request(`/api/lessons?lang=${encodeURIComponent(lang)}`);
}

/** GET /api/lessons/{id}: one lesson in `lang`. @param {string} id @param {string} lang */
export function fetchLesson(id, lang) {
  return request(`/api/lessons/${encodeURIComponent(id)}?lang=${encodeURIComponent(lang)}`);
}

/** POST /api/exercise: questions on an expression (see API.md "Exercises"). @param {object} body */
export function makeExercise(body) {
  return request("/api/exercise", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

/** POST /api/grade: grade answers to an exercise. @param {object} exercise @param {Record<string, any>} answers */
export function gradeAnswers(exercise, answers) {
  return request("/api/grade", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ exercise, answers }) });
}
