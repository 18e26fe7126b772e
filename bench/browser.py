"""A real headless Chromium (Debian's, driven by Playwright) on the live page, in its own process.

The page gets a small init script before any of its own: it wraps WebSocket to look at every
message (bench tokens in caller names: when they arrive, and the next animation frame after,
when the page has drawn them), watches long tasks, and notes when the first screen of rows is
drawn. Driven over stdin/stdout, one JSON object a line:

    {"cmd": "open"}                          -> {"first_screen_ms": ..., "live_ms": ..., "rows": n}
    {"cmd": "measure", "prefix": "r1"}       -> {"ok": true}
    {"cmd": "report"}                        -> {"latencies_ms": [...], "render_ms": [...], "long_tasks": [...]}
    {"cmd": "burst", "prefix": "b", "last_seq": 9999, "timeout": 30} -> waits for the last token;
                                                {"received_ms": ..., "applied_ms": ..., "long_tasks": [...]}
    {"cmd": "quit"}

    python -m bench.browser --url http://127.0.0.1:PORT --cookies '{"sessionid": "..."}'
"""
from __future__ import annotations

import argparse
import json
import sys
import time

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]

INIT_SCRIPT = r"""
(() => {
  const b = window.__bench = {prefix: null, re: null, lat: [], render: [], pending: [], raf: 0, longtasks: [],
                              msgs: 0, chars: 0, maxSeq: -1, lastSeq: null, lastAt: null, appliedAt: null,
                              firstScreen: null, liveAt: null, rowsWanted: 1};
  const Native = window.WebSocket;
  function onMessage(ev) {
    b.msgs += 1;
    const data = ev.data;
    b.chars += data.length;
    if (!b.re) return;
    const now = performance.timeOrigin + performance.now();
    b.re.lastIndex = 0;
    let m;
    while ((m = b.re.exec(data))) {
      const seq = Number(m[1]);
      const lat = now - Number(m[2]) / 1000;
      b.lat.push(lat);
      b.pending.push(lat);
      if (seq > b.maxSeq) b.maxSeq = seq;
      if (b.lastSeq !== null && seq === b.lastSeq && b.lastAt === null) b.lastAt = now;
    }
    if (b.pending.length && !b.raf) {
      b.raf = requestAnimationFrame(() => {
        // The page's own handler ran after this one and asked for the same frame: this is when it draws.
        requestAnimationFrame(() => {
          const t = performance.timeOrigin + performance.now();
          for (const sent of b.pending) b.render.push(sent + (t - now));
          b.pending = [];
          b.raf = 0;
          if (b.lastAt !== null && b.appliedAt === null) b.appliedAt = t;
        });
      });
    }
  }
  class BenchWebSocket extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", onMessage);
    }
  }
  window.WebSocket = BenchWebSocket;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.longtasks.push([Math.round(e.startTime), Math.round(e.duration)]);
    }).observe({type: "longtask", buffered: true});
  } catch (e) { b.longtasks = null; }
  function watch() {
    if (b.firstScreen === null) {
      const pill = document.getElementById("connection-state");
      if (b.liveAt === null && pill && pill.dataset.state === "live") b.liveAt = performance.now();
      if (document.querySelectorAll("tr[data-uid]").length >= b.rowsWanted) b.firstScreen = performance.now();
      requestAnimationFrame(watch);
    }
  }
  requestAnimationFrame(watch);
  window.__benchMeasure = (prefix, lastSeq) => {
    b.prefix = prefix;
    b.re = new RegExp('"name":"' + prefix + ':(\\d+):(\\d+)"', "g");
    b.lat = []; b.render = []; b.pending = []; b.longtasks = b.longtasks && [];
    b.maxSeq = -1; b.lastSeq = lastSeq === undefined ? null : lastSeq; b.lastAt = null; b.appliedAt = null;
  };
})();
"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--cookies", required=True, help="JSON object name -> value")
    parser.add_argument("--rows", type=int, default=20, help="rows that make the first screen")
    args = parser.parse_args()

    def answer(data: dict) -> None:
        sys.stdout.write(json.dumps(data) + "\n")
        sys.stdout.flush()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        context.add_cookies([{"name": k, "value": v, "url": args.url} for k, v in json.loads(args.cookies).items()])
        context.add_init_script(INIT_SCRIPT.replace("rowsWanted: 1", f"rowsWanted: {args.rows}"))
        page = context.new_page()
        answer({"ready": True, "version": browser.version})
        for line in sys.stdin:
            command = json.loads(line)
            cmd = command["cmd"]
            if cmd == "open":
                page.goto(args.url + "/", wait_until="commit")
                page.wait_for_function("() => window.__bench && window.__bench.firstScreen !== null",
                                       timeout=command.get("timeout", 60) * 1000, polling=100)
                got = page.evaluate("() => ({first: __bench.firstScreen, live: __bench.liveAt, "
                                    "rows: document.querySelectorAll('tr[data-uid]').length, "
                                    "nav: performance.getEntriesByType('navigation')[0]?.responseEnd})")
                answer({"first_screen_ms": round(got["first"], 1),
                        "live_ms": round(got["live"], 1) if got["live"] is not None else None,
                        "html_ms": round(got["nav"], 1) if got["nav"] else None, "rows": got["rows"]})
            elif cmd == "measure":
                page.evaluate("([p, s]) => __benchMeasure(p, s)", [command["prefix"], command.get("last_seq")])
                answer({"ok": True})
            elif cmd == "report":
                got = page.evaluate("() => ({lat: __bench.lat, render: __bench.render, longtasks: __bench.longtasks, "
                                    "msgs: __bench.msgs, chars: __bench.chars})")
                answer({"latencies_ms": [round(x, 2) for x in got["lat"]],
                        "render_ms": [round(x, 2) for x in got["render"]], "long_tasks": got["longtasks"],
                        "messages": got["msgs"], "chars": got["chars"]})
            elif cmd == "burst":
                deadline = time.monotonic() + command.get("timeout", 30)
                got = None
                while time.monotonic() < deadline:
                    got = page.evaluate("() => ({last: __bench.lastAt, applied: __bench.appliedAt, "
                                        "max: __bench.maxSeq, n: __bench.lat.length, longtasks: __bench.longtasks})")
                    if got["applied"] is not None:
                        break
                    page.wait_for_timeout(100)
                answer({"last_at": got and got["last"], "applied_at": got and got["applied"],
                        "max_seq": got and got["max"], "tokens": got and got["n"],
                        "long_tasks": got and got["longtasks"]})
            elif cmd == "quit":
                break
        context.close()
        browser.close()


if __name__ == "__main__":
    main()
