// The server's registries (GET /api/meta) for modules tested under Node, read from the Python
// package itself (never a copy): import this module before any that reads meta.js.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const PYTHON = [`${ROOT}.venv/bin/python`, "python3"].find((p) => p === "python3" || existsSync(p));
const SCRIPT = "import json; from chainrule.routes.meta import get_meta; print(json.dumps(get_meta()))";

globalThis.chainruleMeta = JSON.parse(execFileSync(PYTHON, ["-c", SCRIPT], { cwd: ROOT, encoding: "utf8" }));
