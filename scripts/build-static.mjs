#!/usr/bin/env node
// Set-up step: bundle the npm front-end packages into the git-ignored static/build/.
// Run after `npm ci`:  node scripts/build-static.mjs
// Our own modules (static/js/*.js) are served as they are; only third-party code is bundled.
import { build } from "esbuild";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "static", "build");
const modules = join(root, "node_modules");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// d3 (only the parts the page uses) + KaTeX, for the main thread.
const vendorEntry = `
export { select, selectAll } from "d3-selection";
export { zoom, zoomIdentity, zoomTransform } from "d3-zoom";
export { interpolateViridis, interpolateRdBu } from "d3-scale-chromatic";
export { scaleSequentialLog, scaleSequential, scaleLinear, scaleLog, scaleSymlog } from "d3-scale";
export { axisBottom, axisLeft } from "d3-axis";
export { line } from "d3-shape";
export { contours } from "d3-contour";
export { geoPath, geoTransform } from "d3-geo";
export { transition } from "d3-transition";
export { default as katex } from "katex";
`;
// lz-string alone, for state.js (links: long queries are compressed into one `z=` parameter).
const lzEntry = `export { compressToEncodedURIComponent, decompressFromEncodedURIComponent } from "lz-string";`;
// d3-dag alone, for the layout worker (no DOM code in a worker).
const dagEntry = `export { graphStratify, sugiyama, layeringLongestPath, decrossTwoLayer, coordGreedy, coordSimplex } from "d3-dag";`;

const common = {
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  legalComments: "linked",
  logLevel: "warning",
};
await build({ ...common, stdin: { contents: vendorEntry, resolveDir: root, loader: "js" }, outfile: join(out, "vendor.mjs") });
await build({ ...common, stdin: { contents: lzEntry, resolveDir: root, loader: "js" }, outfile: join(out, "lz.mjs") });
await build({ ...common, stdin: { contents: dagEntry, resolveDir: root, loader: "js" }, outfile: join(out, "dag.mjs") });

cpSync(join(modules, "katex", "dist", "katex.min.css"), join(out, "katex", "katex.min.css"));
cpSync(join(modules, "katex", "dist", "fonts"), join(out, "katex", "fonts"), { recursive: true });
// The API docs (/docs, /redoc) run these prebuilt bundles from this server, never a CDN.
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css"])
  cpSync(join(modules, "swagger-ui-dist", file), join(out, "swagger-ui", file));
// ReDoc's sidebar always fetches its vendor's logo from a CDN: point it at nothing (the
// component hides a logo that fails to load), so the docs fetch nothing from elsewhere.
const redocLogo = "https://cdn.redoc.ly/redoc/logo-mini.svg";
const redoc = readFileSync(join(modules, "redoc", "bundles", "redoc.standalone.js"), "utf8");
if (!redoc.includes(redocLogo)) throw new Error("redoc.standalone.js: the CDN logo moved; check the docs still fetch nothing from elsewhere");
mkdirSync(join(out, "redoc"), { recursive: true });
writeFileSync(join(out, "redoc", "redoc.standalone.js"), redoc.replaceAll(redocLogo, "data:,"));
// The page without a server (chainrule/export/standalone.py inlines these two files): our own
// modules from their entry point, and the styles with KaTeX's fonts as data URLs (woff2
// only: every browser that runs the modules reads it), so the file fetches nothing.
// No server to fetch the registries from: meta.js is swapped for meta-inline.js.
const inlineMeta = {
  name: "inline-meta",
  setup(b) {
    b.onResolve({ filter: /^\.\.?\/meta\.js$/ }, () => ({ path: join(root, "static", "js", "meta-inline.js") }));
  },
};
const offline = { ...common, legalComments: "none", plugins: [inlineMeta] };
await build({ ...offline, entryPoints: [join(root, "static", "js", "standalone.js")], outfile: join(out, "standalone.js") });
const katexCss = readFileSync(join(modules, "katex", "dist", "katex.min.css"), "utf8")
  .replace(/,url\(fonts\/[^)]+\.(woff|ttf)\) format\("(woff|truetype)"\)/g, "");
const pageCss = ["app.css", "share.css"].map((f) => readFileSync(join(root, "static", "css", f), "utf8")).join("\n");
await build({
  ...common,
  stdin: { contents: `${katexCss}\n${pageCss}`, resolveDir: join(modules, "katex", "dist"), loader: "css" },
  loader: { ".woff2": "dataurl" },
  outfile: join(out, "standalone.css"),
});
// The notebook widget (chainrule/notebook/widget.py): the same modules from static/js/widget.js,
// and the page's styles (the training panel's too) scoped to the widget's element so the
// notebook around it keeps its own.
await build({ ...offline, entryPoints: [join(root, "static", "js", "widget.js")], outfile: join(out, "widget.js") });
const widgetCss = `${pageCss}\n${readFileSync(join(root, "static", "css", "training.css"), "utf8")}`;
const scoped = widgetCss.replace(/:root|html, body/g, "&").replace(/body\.embed/g, "&.embed");
await build({
  ...common,
  target: "chrome100",
  stdin: { contents: `${katexCss}\n.chainrule-widget { ${scoped} }`, resolveDir: join(modules, "katex", "dist"), loader: "css" },
  loader: { ".woff2": "dataurl" },
  outfile: join(out, "widget.css"),
});
writeFileSync(join(out, "README.txt"), "Generated by scripts/build-static.mjs. Do not edit or commit.\n");
// make's up-to-date marker (Makefile: static/build/.built)
writeFileSync(join(out, ".built"), `${new Date().toISOString()}\n`);
console.log("static/build: vendor.mjs, dag.mjs, lz.mjs, katex/, swagger-ui/, redoc/, standalone.js/.css, widget.js/.css");
