"""Time to the first graph on /learn/<lesson>: from the lesson page's navigation to the first
graph drawn in its live view (the frame's `chainrule:first-graph` mark), in a fresh headless
Chromium context each run (nothing cached). Target: under 0.7 s, median of 5, every lesson.

    .venv/bin/python -m bench.bench_learn [lesson ...] [--runs 5]   # default: every lesson
"""

from __future__ import annotations

import argparse
import statistics
import sys
from typing import Any

from playwright.sync_api import sync_playwright

from bench.bench_layout import bundle_missing, launch, serve
from chainrule.teaching.course import lesson_index

TARGET_MS = 700.0
#: From the lesson page's time origin to the frame's first-graph mark.
FIRST_GRAPH_JS = """() => {
  const frame = document.getElementById('learn-frame').contentWindow;
  const mark = frame.performance.getEntriesByName('chainrule:first-graph')[0];
  return mark ? frame.performance.timeOrigin + mark.startTime - performance.timeOrigin : null;
}"""


def first_graph_ms(browser: Any, url: str) -> float:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(url)
    page.frame_locator("#learn-frame").locator("body[data-ready=true]").wait_for(timeout=30_000)
    ms = None
    while ms is None:
        ms = page.evaluate(FIRST_GRAPH_JS)
        if ms is None:
            page.wait_for_timeout(20)
    context.close()
    return float(ms)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lessons", nargs="*", help="lesson ids (default: every lesson of the path)")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    lessons = args.lessons or [item["id"] for item in lesson_index()]
    if bundle_missing():
        return 2
    url, server, thread = serve()
    met = True
    try:
        with sync_playwright() as pw:
            browser = launch(pw)
            first_graph_ms(browser, f"{url}/learn/{lessons[0]}?lang=en")  # warm the server
            for lesson in lessons:
                times = [first_graph_ms(browser, f"{url}/learn/{lesson}?lang=en") for _ in range(args.runs)]
                med = statistics.median(times)
                met &= med < TARGET_MS
                print(f"/learn/{lesson}: first graph median {med:.0f} ms "
                      f"({', '.join(f'{t:.0f}' for t in times)}); target < {TARGET_MS:.0f} ms")
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=5)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
