"""A headless Chromium (Debian's, driven by Playwright) on the wallboard page, in its own process.

An init script watches the page's long tasks (PerformanceObserver "longtask": wall time), and a Chromium
trace of each measured stretch gives every main-thread task's CPU time too. Driven over stdin/stdout,
one JSON object a line (bench/worker.py):

    {"cmd": "open", "tiles": 1012}                 -> {"ms": ..., "tiles": n}   (until that many tiles)
    {"cmd": "measure"}                             -> {"ok": true}              (forget the long tasks so far)
    {"cmd": "wait", "status": "busy", "count": 1000, "gone": "ringing", "timeout": 120}
                                                   -> {"ok": bool, "count": n}  (n tiles busy, none ringing)
    {"cmd": "report"}                              -> {"long_tasks": [[start_ms, duration_ms], ...],
                                                       "longest_task_cpu_ms": ..., "longest_task_wall_ms": ...,
                                                       "tasks_over_50ms_cpu": n, "main_thread_cpu_ms": ...}
    {"cmd": "quit"}

    python -m bench.wallboard_page --url http://127.0.0.1:PORT --cookies '{"sessionid": "..."}'
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from .browser import CHROMIUM, CHROMIUM_ARGS

INIT_SCRIPT = r"""
(() => {
  const b = window.__wb = {longtasks: []};
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.longtasks.push([Math.round(e.startTime), Math.round(e.duration)]);
    }).observe({type: "longtask", buffered: true});
  } catch (e) { b.longtasks = null; }
})();
"""

# "toplevel" has every task a thread runs, with its CPU time (tdur); devtools.timeline names the threads.
TRACE_CATEGORIES = ["toplevel", "devtools.timeline"]
TASKS = ("RunTask", "ThreadControllerImpl::RunTask")


def main_thread(trace: bytes) -> dict:
    """The page's main-thread tasks from a Chromium trace: the longest in wall time and in CPU time (a task
    that waits for a core on a busy machine is long in wall time only), and how many used over 50 ms of CPU."""
    events = json.loads(trace)["traceEvents"]
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e.get("ph") == "M"
             and e.get("name") == "thread_name"}
    by_thread: dict[tuple, list] = {}
    for e in events:
        if e.get("ph") == "X" and e.get("name") in TASKS and names.get((e["pid"], e["tid"])) == "CrRendererMain":
            by_thread.setdefault((e["pid"], e["tid"]), []).append(e)
    # The wallboard's renderer: the main thread that worked most.
    tasks = max(by_thread.values(), key=lambda ts: sum(t.get("tdur", 0) for t in ts), default=[])
    cpu = [t.get("tdur", 0) / 1000 for t in tasks]
    wall = [t.get("dur", 0) / 1000 for t in tasks]
    return {"longest_task_cpu_ms": round(max(cpu, default=0), 1), "longest_task_wall_ms": round(max(wall, default=0), 1),
            "tasks_over_50ms_cpu": sum(1 for c in cpu if c > 50), "main_thread_cpu_ms": round(sum(cpu), 1)}


COUNT = ("([status, wanted, gone]) => document.querySelectorAll(`#wb-tiles li[data-status=\"${status}\"]`).length"
         " >= wanted && !document.querySelector(`#wb-tiles li[data-status=\"${gone}\"]`)")


def main() -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--cookies", required=True, help="JSON object name -> value")
    args = parser.parse_args()

    def answer(data: dict) -> None:
        sys.stdout.write(json.dumps(data) + "\n")
        sys.stdout.flush()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        context.add_cookies([{"name": k, "value": v, "url": args.url} for k, v in json.loads(args.cookies).items()])
        context.add_init_script(INIT_SCRIPT)
        page = context.new_page()
        answer({"ready": True, "version": browser.version})
        for line in sys.stdin:
            command = json.loads(line)
            cmd = command["cmd"]
            if cmd == "open":
                started = time.perf_counter()
                page.goto(args.url + "/wallboard/", wait_until="commit")
                page.wait_for_function("(n) => document.querySelectorAll('#wb-tiles li').length >= n",
                                       arg=command["tiles"], timeout=120_000, polling=100)
                answer({"ms": round((time.perf_counter() - started) * 1000, 1),
                        "tiles": page.evaluate("document.querySelectorAll('#wb-tiles li').length")})
            elif cmd == "measure":
                page.evaluate("() => { if (__wb.longtasks) __wb.longtasks = []; }")
                browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
                answer({"ok": True})
            elif cmd == "wait":
                try:
                    page.wait_for_function(COUNT, arg=[command["status"], command["count"], command["gone"]],
                                           timeout=command.get("timeout", 120) * 1000, polling=50)
                    ok = True
                except PlaywrightTimeout:
                    ok = False
                count = page.evaluate("(s) => document.querySelectorAll(`#wb-tiles li[data-status=\"${s}\"]`).length",
                                      command["status"])
                answer({"ok": ok, "count": count})
            elif cmd == "report":
                answer({"long_tasks": page.evaluate("() => __wb.longtasks"), **main_thread(browser.stop_tracing())})
            elif cmd == "quit":
                break
        context.close()
        browser.close()


if __name__ == "__main__":
    main()
