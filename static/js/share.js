// Sharing the current view: "Copy link" (clipboard API, else the link shown selected for
// Ctrl+C) and the "Embed" dialog (an <iframe> snippet of /embed for the same state, the
// host-side auto-height script, and the oEmbed URL). The state itself lives in state.js.
import { t } from "./i18n.js";
import { META } from "./meta.js";
import { serialize } from "./state.js";

const $ = (id) => document.getElementById(id);

/** Panels an embed shows when `panels=` is omitted (GET /api/meta, from chainrule/routes/pages.py). */
export const DEFAULT_PANELS = META.embed.default;
/** The embed's page order of panels (GET /api/meta, from chainrule/routes/pages.py). */
export const PANELS = META.embed.panels;
/** The iframe's height before the embed posts its own. */
export const FRAME_HEIGHT = 560;

/**
 * The app's link to a state.
 * @param {Record<string, any>} state
 * @param {string} [origin]
 */
export function appUrl(state, origin = location.origin) {
  const q = serialize(state);
  return `${origin}/${q ? `?${q}` : ""}`;
}

/**
 * The /embed URL for a state and embed options (`ro`, `panels` are not state: they configure the frame).
 * @param {Record<string, any>} state
 * @param {{readonly?: boolean, panels?: string[]}} [options]
 * @param {string} [origin]
 */
export function embedUrl(state, { readonly = false, panels = DEFAULT_PANELS } = {}, origin = location.origin) {
  const parts = [];
  const q = serialize(state);
  if (q) parts.push(q);
  const chosen = PANELS.filter((p) => panels.includes(p));
  if (chosen.join() !== PANELS.filter((p) => DEFAULT_PANELS.includes(p)).join()) parts.push(`panels=${chosen.join(",")}`);
  if (readonly) parts.push("ro=1");
  return `${origin}/embed${parts.length ? `?${parts.join("&")}` : ""}`;
}

const attr = (s) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/**
 * The <iframe> to paste into a host page.
 * @param {string} src
 * @param {string} title
 */
export function iframeSnippet(src, title) {
  return `<iframe src="${attr(src)}" data-chainrule width="100%" height="${FRAME_HEIGHT}" style="border:0;width:100%" title="${attr(title)}" loading="lazy"></iframe>`;
}

/**
 * The host page's listener: sizes each chainrule iframe to the height it posts.
 * @param {string} origin  the chainrule server's origin (messages from elsewhere are ignored)
 */
export function hostScript(origin) {
  return `<script>
addEventListener("message", (event) => {
  if (event.origin !== ${JSON.stringify(origin)} || event.data?.type !== "chainrule:height") return;
  for (const frame of document.querySelectorAll("iframe[data-chainrule]"))
    if (frame.contentWindow === event.source) frame.style.height = event.data.height + "px";
});
</script>`;
}

/**
 * Put text on the clipboard; false when the clipboard API is missing or refused.
 * @param {string} text
 */
async function writeClipboard(text) {
  try {
    if (!navigator.clipboard?.writeText) return false;
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Wire "Copy link" and the "Embed" dialog of the app page (no-op where they are absent).
 * @param {{store: {get: () => Record<string, any>}}} deps
 */
export function initShare({ store }) {
  const copyBtn = $("btn-copy-link");
  const status = $("share-status");
  const field = $("share-link");
  let statusTimer = null;
  const say = (el, text) => {
    el.textContent = text;
    clearTimeout(statusTimer);
    statusTimer = setTimeout(() => (el.textContent = ""), 4000);
  };

  copyBtn?.addEventListener("click", async () => {
    const link = appUrl(store.get());
    history.replaceState(null, "", link); // the address bar says the same at once
    field.value = link;
    if (await writeClipboard(link)) {
      field.hidden = true;
      say(status, t("share.copied"));
      return;
    }
    // No clipboard (insecure context, permission refused): show the link selected.
    field.hidden = false;
    field.focus();
    field.select();
    say(status, t("share.copyManual"));
  });

  const dialog = $("embed-dialog");
  if (!dialog) return;
  const readonlyBox = $("embed-readonly");
  const panelBoxes = [...dialog.querySelectorAll('input[name="panel"]')];
  const snippet = $("embed-snippet");

  function refresh() {
    const panels = panelBoxes.filter((b) => b.checked).map((b) => b.value);
    const src = embedUrl(store.get(), { readonly: readonlyBox.checked, panels: panels.length ? panels : DEFAULT_PANELS });
    snippet.value = iframeSnippet(src, t("embed.frameTitle"));
    $("embed-script").value = hostScript(location.origin);
    $("embed-oembed").value = `${location.origin}/oembed?url=${encodeURIComponent(appUrl(store.get()))}&format=json`;
  }
  for (const box of [readonlyBox, ...panelBoxes]) box.addEventListener("change", refresh);
  $("btn-embed")?.addEventListener("click", () => {
    refresh();
    $("embed-status").textContent = "";
    dialog.showModal();
    snippet.focus();
    snippet.select();
  });
  $("btn-embed-copy")?.addEventListener("click", async () => {
    const text = snippet.value;
    if (await writeClipboard(text)) say($("embed-status"), t("embed.copied"));
    else {
      snippet.focus();
      snippet.select();
      say($("embed-status"), t("share.copyManual"));
    }
  });
}
