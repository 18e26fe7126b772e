"""docs/performance.md from bench/results.json: the tables, the targets met or missed, and the notes."""
from __future__ import annotations

from pathlib import Path
from typing import Any

NOTES = Path(__file__).with_name("NOTES.md")


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        value = f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"
    elif isinstance(value, int):
        value = f"{value:,}"
    return f"{value}{unit}"


def _met(target: dict | None) -> str:
    if not target:
        return "–"
    return "**met**" if target.get("met") else "**missed**"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out + [""]


def _error(section: dict) -> list[str]:
    if "error" in section:
        return [f"Not measured: `{section['error']}`", ""]
    if "skipped" in section:
        return [f"Skipped: {section['skipped']}", ""]
    return []


def _actions(a: dict, title: str) -> list[str]:
    out = [f"### {title}", ""] + _error(a)
    if "latency_ms" not in a:
        return out
    lat, sus = a["latency_ms"], a["sustained"]
    out.append(f"Configuration: {a['config']}. {a['what']}.")
    out.append("")
    out += _table(["path", "p50 ms", "p99 ms", f"sustained/s ({sus['dashboard'].get('requests', 0) and 'in flight'})",
                   "errors"], [
        ["dashboard REST API", _fmt(lat["dashboard"]["p50"]), _fmt(lat["dashboard"]["p99"]),
         _fmt(sus["dashboard"]["per_second"]), lat["dashboard"]["errors"] + sus["dashboard"]["errors"]],
        ["straight to the simulator (bare httpx)", _fmt(lat["direct"]["p50"]), _fmt(lat["direct"]["p99"]),
         _fmt(sus["direct"]["per_second"]), lat["direct"]["errors"] + sus["direct"]["errors"]],
    ])
    kinds = a["sustained"]["dashboard"].get("error_kinds")
    if kinds:
        out.append(f"Errors in the sustained run: {', '.join(f'{k} x{v}' for k, v in kinds.items())}.")
        out.append("")
    cores = sus["dashboard"].get("cores")
    if cores:
        out.append(f"While the dashboard row was sustained, cores busy: dashboard {cores['dashboard']} "
                   f"({_fmt(a['dashboard_cpu_ms_per_action'])} ms of CPU an action), simulator {cores['simulator']}, "
                   f"load client {cores['load client']}, the whole machine {cores['machine']} (Redis and PostgreSQL "
                   f"included).")
        out.append("")
    out.append(f"Added by the dashboard: **{_fmt(a['added_ms_p50'])} ms at p50** ({_fmt(a['added_ms_p99'])} ms at "
               f"p99), {a['ratio_p50']}x the direct call; audit entries written {a['audit_entries']} of "
               f"{a['audit_entries_expected']} successful actions.")
    out.append("")
    t = a["targets"]
    out.append(f"Targets: ≤ 3 ms added at p50: {_met(t['added_ms_p50'])}; ≥ 300 actions/s with no error: "
               f"{_met(t['rate'])}.")
    return out + [""]


def _e2e(e: dict, title: str) -> list[str]:
    out = [f"### {title}", ""] + _error(e)
    if "rows" not in e:
        return out
    measured = [r for r in e["rows"] if "error" not in r]
    out.append(f"Configuration: {e['config']}. Channels changed round robin: "
               f"{measured[0]['channels'] if measured else '–'}; each row {measured[0]['seconds'] if measured else '–'} s "
               "of events; latency over every token every client saw.")
    out.append("")
    rows = []
    for r in e["rows"]:
        if "error" in r:
            rows.append([f"{r['rate']:,}/s", r["clients"], "–", "–", "–", f"not measured: {r['error'][:80]}", "–", "–",
                         "–", "–", "–"])
            continue
        chromium = r.get("chromium")
        rows.append([f"{r['rate']:,}/s", r["clients"], _fmt(r["latency_ms"]["p50"]), _fmt(r["latency_ms"]["p99"]),
                     f"{_fmt(chromium['latency_ms']['p50'])} / {_fmt(chromium['latency_ms']['p99'])} "
                     f"(drawn {_fmt(chromium['render_ms']['p99'])})" if chromium else "–",
                     (f"**no**: {r['rest_behind_simulator']} channels behind in the REST list, "
                      f"{r['clients_mismatched']} clients differ after {_fmt(r['converged_s'])} s")
                     if r["dropped"] else f"yes ({_fmt(r['converged_s'])} s)", _fmt(r["dashboard_cpu_share"]),
                     _fmt(r.get("cpu_us_per_event_per_page")),
                     _fmt(r.get("clients_cpu_share")), _fmt(r.get("machine_load_1min")), _fmt(r["generator_late_ms"])])
    out += _table(["events", "clients", "p50 ms", "p99 ms", "Chromium p50 / p99 ms (drawn p99)",
                   "every client = GET /channels (settled after)",
                   "dashboard CPU (cores)", "dashboard CPU per event per page (µs)", "Python clients CPU (cores)",
                   "machine load (1 min)", "generator late ms"], rows)
    t = e["targets"]["p99_at_1000_per_s_200_clients"]
    out.append(f"Target: p99 ≤ 250 ms at 1,000 events/s with 200 clients, nothing dropped: {_met(t)}.")
    return out + [""]


def _takeover(t: dict) -> list[str]:
    out = ["## 3b. Listener failover", ""] + _error(t)
    if "rounds" not in t:
        return out + ([f"Skipped: {t['skipped']}.", ""] if "skipped" in t else [])
    out += [f"Configuration: {t['config']}. {t['what'][0].upper()}{t['what'][1:]}.", ""]
    out += _table(["round", "live again after (s)", "page = GET /api/v1/channels after", "channels"],
                  [[n + 1, _fmt(r["live_again_s"]), "yes" if r["page_equals_rest"] else "**no**", r["channels"]]
                   for n, r in enumerate(t["rounds"])])
    s = t["live_again_s"]
    out.append(f"Takeover: median {_fmt(s['median'])} s, worst {_fmt(s['max'])} s (the lease lasts 3 s without "
               f"renewal). Target: live again within 5 s, nothing lost: {_met(t['targets']['takeover_5s'])}.")
    return out + [""]


def _scale(s: dict, title: str) -> list[str]:
    out = [f"### {title}", ""] + _error(s)
    if "snapshot" not in s:
        return out
    snap = s["snapshot"]
    out.append(f"Configuration: {s['config']}; {s['channels']:,} channels (the simulator took "
               f"{s['simulator_create_s']} s to create them, the dashboard was caught up {s['dashboard_caught_up_s']} s "
               f"later).")
    out.append("")
    b = s["burst"]
    t = s["targets"]
    out += _table(["measure", "value", "target"], [
        ["first screen of the live list in a new Chromium page (median of 3)",
         f"{_fmt(s['first_screen_ms']['median'])} ms (runs {', '.join(_fmt(x) for x in s['first_screen_ms']['runs'])})",
         f"≤ 1,500 ms: {_met(t['first_screen'])}"],
        ["snapshot on the wire to a browser that offers permessage-deflate",
         f"{snap['compressed']['wire_bytes'] / 1e6:,.2f} MB in {snap['compressed']['parts']} frames", ""],
        ["snapshot uncompressed (JSON text)", f"{snap['uncompressed']['payload_bytes'] / 1e6:,.2f} MB "
         f"({snap['uncompressed']['payload_bytes'] / max(1, snap['uncompressed']['channels']):,.0f} B a channel)", ""],
        ["dashboard memory (RSS)", f"{_fmt(s['rss_mb'].get('largest_process'))} MB the largest process; "
         f"{_fmt(max(v for k, v in s['rss_mb'].items() if k not in ('processes', 'largest_process')))} MB all "
         f"{s['rss_mb']['processes']} process(es) together", f"< 400 MB a process: {_met(t['memory'])}"],
        [f"burst of {b['events']:,} events applied in the page", f"{_fmt(b['applied_ms'])} ms "
         f"(last event received after {_fmt(b['last_event_received_ms'])} ms)", ""],
        ["longest task in the page meanwhile", f"{_fmt(b['longest_task_ms'])} ms ({b['long_tasks']} over 50 ms)",
         f"≤ 200 ms: {_met(t['burst_long_task'])}"],
    ])
    return out


def _peers(p: dict) -> list[str]:
    out = ["## 5. Peers: ari_bridge against the Python ARI clients", ""] + _error(p)
    if "results" not in p:
        return out
    out.append(p["what"] + ".")
    out.append("")
    rows = []
    for lib, r in p["results"].items():
        name = f"{lib} {p['versions'].get(lib, '')}".strip()
        rows.append([name, _fmt(r["1_in_flight"]), _fmt(r["16_in_flight"]), _fmt(r["ingest_events_per_second"])])
    out += _table(["library", "hold/unhold/s, 1 in flight", "16 in flight", "ingest events/s (with handlers)"], rows)
    for lib, why in p.get("unavailable", {}).items():
        out.append(f"- {lib} could not run: `{why}`")
    for what, why in p.get("errors", {}).items():
        out.append(f"- {what} failed: `{why}`")
    for fix in p.get("fixes", []):
        out.append(f"- Fix applied for the benchmark: {fix}.")
    out.append(f"- {p['api_docs']}.")
    behind = [f"{lib} ({', '.join(k for k, v in figures.items() if not v)})"
              for lib, figures in p["ari_bridge_ahead"].items() if not all(figures.values())]
    out.append(f"- Target, ari_bridge ahead of each: {_met(p['targets']['ahead_of_each'])}"
               + (f"; behind {'; '.join(behind)}." if behind else "."))
    ref = p["reference_real_asterisk"]
    out.append(f"- For reference, the issue's figures against a real Asterisk: aioari {ref['aioari']['1_in_flight']:,}/s "
               f"and {ref['aioari']['16_in_flight']:,}/s, bare httpx {ref['httpx']['1_in_flight']:,}/s and "
               f"{ref['httpx']['16_in_flight']:,}/s, aioari's event path {ref['aioari']['ingest']:,} events/s.")
    return out + [""]


def _wallboard(w: dict) -> list[str]:
    out = ["## 6. Wallboard: 1,000 phones at once", ""] + _error(w)
    if "phases" not in w:
        return out
    target = w["target"]
    out.append(f"{w['what']}. The first board ({w['tiles']:,} tiles) in {_fmt(w['first_board_ms'])} ms. Longest "
               f"main-thread task: **{_fmt(w['longest_task_cpu_ms'])} ms of CPU**, {_fmt(w['longest_task_ms'])} ms "
               f"of wall time (machine load {w.get('load_1min_after', '–')} at the end). Target: no task over "
               f"{target['longest_task_cpu_ms']} ms of CPU: {_met(target)}. Dashboard CPU for the whole row: "
               f"{_fmt(w['dashboard_cpu_s'])} s.")
    out.append("")
    out += _table(["phase", "all tiles shown (s)", "longest task, CPU (ms)", "longest task, wall (ms)",
                   "tasks over 50 ms CPU", "page main thread CPU (ms)"],
                  [[p["phase"], _fmt(p["all_shown_s"]), _fmt(p["longest_task_cpu_ms"]), _fmt(p["longest_task_ms"]),
                    p["tasks_over_50ms_cpu"], _fmt(p["main_thread_cpu_ms"])] for p in w["phases"]])
    return out


def markdown(results: dict) -> str:
    m = results["machine"]
    out = ["# Performance", "",
           f"Measured by `make bench` (`python -m bench`) on **{m['cores']} cores**, {m['date']}, Python {m['python']}, "
           f"{m['platform']}, commit {m['git']}{' — quick run (tiny numbers)' if results.get('quick') else ''}; "
           f"machine load (1-minute average, other people's work included) {m.get('load_1min', '–')} at the start. "
           "Everything on loopback; the simulator, the dashboard and the load each in their own processes, "
           "sharing the same cores. The machine is noisy: compared things run side by side in the same run, "
           "and ratios are worth more than absolute figures. Raw figures: `bench/results.json`.", ""]
    note = results.get("production", {}).get("note")
    if note:
        out += [f"Production-shape rows: {note}.", ""]
    out.append("## 1. Action overhead (hold/unhold)")
    out.append("")
    for key, title in (("actions", "Single process"), ("production", "Production shape")):
        section = results.get(key)
        if section is None:
            continue
        section = section.get("actions", section) if key == "production" else section
        out += _actions(section, title)
    single, production = results.get("actions", {}), results.get("production", {}).get("actions", {})
    if "sustained" in single and "sustained" in production:
        rate, base = production["sustained"]["dashboard"]["per_second"], single["sustained"]["dashboard"]["per_second"]
        ratio = round(rate / max(1, base), 2)
        out += [f"Production shape against one process, sustained: {_fmt(rate)}/s against {_fmt(base)}/s, "
                f"**{ratio}x**. Target ≥ 1.6x: {_met({'met': ratio >= 1.6})}.", ""]
    out.append("## 2. Event to browser")
    out.append("")
    if "e2e" in results:
        out += _e2e(results["e2e"], "Single process")
    if "production" in results and "e2e" in results["production"]:
        out += _e2e(results["production"]["e2e"], "Production shape")
    out.append("## 3. Scale: 10,000 concurrent channels")
    out.append("")
    if "scale" in results:
        out += _scale(results["scale"], "Single process")
    if "production" in results and "scale" in results["production"]:
        out += _scale(results["production"]["scale"], "Production shape")
    if "takeover" in results:
        out += _takeover(results["takeover"])
    if "ingest" in results:
        i = results["ingest"]
        out += ["## 4. Ingest", ""] + _error(i)
        if "events_per_second" in i:
            e = i["events_per_second"]
            out.append(f"{i['what']}: **{e['median']:,} events/s** median of {i['rounds']} (best {e['best']:,}, worst "
                       f"{e['worst']:,}); parsing alone {i['loads_and_parse_per_second']:,}/s. Target ≥ 150,000: "
                       f"{_met(i['targets']['ingest'])}.")
            out.append("")
    if "peers" in results:
        out += _peers(results["peers"])
    if "wallboard" in results:
        out += _wallboard(results["wallboard"])
    baselines = [k for k in results if "@" in k]
    if baselines:
        out += ["## Before/after (same run)", ""]
        for key in baselines:
            section = results[key]
            base = key.split(" @")[0]
            if base == "actions":
                out += _actions(section, f"Actions, dashboard from {key.split(' ', 1)[1]}")
            elif base == "e2e":
                out += _e2e(section, f"Event to browser, dashboard from {key.split(' ', 1)[1]}")
            elif base == "production":
                rev = key.split(" ", 1)[1]
                if "actions" in section:
                    out += _actions(section["actions"], f"Actions, production shape, dashboard from {rev}")
                if "e2e" in section:
                    out += _e2e(section["e2e"], f"Event to browser, production shape, dashboard from {rev}")
            elif base == "scale":
                out += _scale(section, f"Scale, dashboard from {key.split(' ', 1)[1]}")
    if "profile" in results and "self" in results["profile"]:
        p = results["profile"]
        out += ["## Profile of the slowest path", "",
                f"py-spy on the dashboard process during the {p['cell']} row (p99 {_fmt(p['latency_ms']['p99'])} ms); "
                "share of the samples:", ""]
        out += _table(["function (self)", "%"], [[f"`{n}`", v] for n, v in p["self"][:15]])
        out += _table(["function (inclusive)", "%"], [[f"`{n}`", v] for n, v in p["inclusive"] if v < 95][:20])
    if NOTES.exists():
        out += ["", NOTES.read_text().strip(), ""]
    out.append(f"_Whole run: {results.get('elapsed_s', 0):,.0f} s._")
    return "\n".join(out) + "\n"
