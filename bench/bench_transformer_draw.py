"""The transformer block's graph drawn in headless Chromium: target under 1 s.

    .venv/bin/python bench/bench_transformer_draw.py [--runs 3]

Analyses the ``transformer-block`` example with the real API (``chainrule.main:app`` under
uvicorn on a loopback port) and times in the page, as ``bench/bench_layout.py`` does, the
layout in the Web Worker plus drawing both views until the next paint. Reported: the API's
time, the page's time (median of ``--runs``), and their sum against the target.

Needs Chromium and the built front end (npm ci && node scripts/build-static.mjs).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from bench.bench_layout import CHROMIUM, MEASURE_JS, serve
from chainrule.examples import EXAMPLES

TARGET_MS = 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    example = next(e for e in EXAMPLES if e["id"] == "transformer-block")
    url, server, thread = serve()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM,
                                         args=["--no-sandbox", "--disable-gpu", "--disable-quic"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url + "/")
            page.wait_for_selector("body[data-ready=true]", timeout=30_000)
            body = {"expression": example["expression"], "values": example["values"]}
            api = []
            for _ in range(args.runs):
                start = time.perf_counter()
                r = page.request.post(url + "/api/graph", data=body, timeout=60_000)
                api.append((time.perf_counter() - start) * 1e3)
                assert r.ok, r.text()[:300]
            resp = r.json()
            runs = [page.evaluate(MEASURE_JS, resp) for _ in range(args.runs)]
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=5)
    api_ms = statistics.median(api)
    page_ms = statistics.median(run["total_ms"] for run in runs)
    total = api_ms + page_ms
    print(f"transformer block: {runs[0]['nodes']} nodes, {runs[0]['edges']} edges; "
          f"API {api_ms:.0f} ms + layout and drawing {page_ms:.0f} ms = {total:.0f} ms "
          f"(target < {TARGET_MS}: {'met' if total < TARGET_MS else 'NOT met'})")
    return 0 if total < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
