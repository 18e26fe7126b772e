"""Every benchmark of `make bench`, with tiny numbers, so that none of them rots.

Real processes as in the full run (the simulator, a uvicorn dashboard, WebSocket client swarms, a
headless Chromium), but a handful of channels, events and requests. The assertions are about the
figures being real: latencies measured and positive, nothing dropped, audit entries written, and a
results file and report with every row.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench import actions, e2e, ingest, peers, report, scale, takeover
from bench.common import ROOT, Dashboard, Simulator, machine

pytestmark = pytest.mark.browser  # drives Chromium (in a subprocess): run with the browser tests, last

RESULTS: dict = {}


@pytest.fixture(scope="module")
def stack():
    sim = Simulator()
    dashboard = Dashboard(sim, "single")
    yield sim, dashboard
    dashboard.stop()
    sim.stop()


def test_ingest_counts_events_per_second_of_cpu():
    result = ingest.run(rounds=1, passes=1)
    assert result["events_per_pass"] > 500
    assert 1_000 < result["events_per_second"]["median"] < 10_000_000
    assert result["loads_and_parse_per_second"] > result["events_per_second"]["median"] * 0.5
    RESULTS["ingest"] = result


def test_peers_runs_ari_bridge_and_bare_httpx_side_by_side(stack, tmp_path):
    sim, _ = stack
    result = peers.run(sim, requests=20, rounds=1, passes=1, peers=())
    assert not result["errors"], result["errors"]
    for lib in ("ari_bridge", "httpx"):
        assert result["results"][lib]["1_in_flight"] > 0 and result["results"][lib]["16_in_flight"] > 0
    assert result["results"]["ari_bridge"]["ingest_events_per_second"] > 1_000
    # The Swagger description the peers connect with covers the benchmark's calls and every recorded event.
    peers.write_api_docs(tmp_path, [{"type": "ChannelHold", "channel": {"id": "1"}, "timestamp": "t"}])
    channels = json.loads((tmp_path / "channels.json").read_text())
    nicknames = {op["nickname"] for api in channels["apis"] for op in api["operations"]}
    assert {"hold", "unhold", "originate"} <= nicknames
    events = json.loads((tmp_path / "events.json").read_text())
    assert events["models"]["ChannelHold"]["properties"]["channel"]["type"] == "Channel"
    RESULTS["peers"] = result


def test_action_overhead_measures_both_paths_and_audits_every_action(stack):
    sim, dashboard = stack
    result = actions.run(sim, dashboard, requests=10, rounds=1, seconds=0.5, in_flight=2)
    for path in ("dashboard", "direct"):
        assert result["latency_ms"][path]["n"] == 10
        assert 0 < result["latency_ms"][path]["p50"] <= result["latency_ms"][path]["p99"]
        assert result["latency_ms"][path]["errors"] == 0
        assert result["sustained"][path]["errors"] == 0 and result["sustained"][path]["per_second"] > 0
    assert result["audit_entries"] == result["audit_entries_expected"] > 10
    assert result["added_ms_p50"] == pytest.approx(
        result["latency_ms"]["dashboard"]["p50"] - result["latency_ms"]["direct"]["p50"], abs=0.02)
    RESULTS["actions"] = result


def test_event_to_browser_sees_every_final_state_in_python_clients_and_chromium(stack):
    sim, dashboard = stack
    result = e2e.run(sim, dashboard, channels=6, rates=(40,), client_counts=(2,), seconds=0.5, browser_at=2)
    (row,) = result["rows"]
    assert row["events"] == 20 and row["channels"] == 6
    assert row["dropped"] is False and row["clients_mismatched"] == 0 and row["rest_behind_simulator"] == 0
    assert row["ws_clients"]["latency_ms"]["n"] > 0 and row["ws_clients"]["latency_ms"]["p50"] > 0
    assert row["chromium"]["latency_ms"]["n"] > 0 and row["chromium"]["latency_ms"]["p50"] > 0
    assert row["chromium"]["render_ms"]["p50"] >= row["chromium"]["latency_ms"]["p50"]
    RESULTS["e2e"] = result


def test_scale_opens_the_page_sizes_the_snapshot_and_applies_a_burst(stack):
    sim, dashboard = stack
    result = scale.run(sim, dashboard, channels=30, burst=30)
    assert result["first_screen_ms"]["median"] > 0 and result["first_screen_ms"]["rows"] >= 20
    snapshot = result["snapshot"]
    assert snapshot["uncompressed"]["channels"] >= 30
    # The dashboard runs without permessage-deflate (README): a client offering it gets the same bytes.
    assert snapshot["compressed"]["wire_bytes"] == pytest.approx(snapshot["uncompressed"]["wire_bytes"], rel=0.01)
    assert result["rss_mb"]["with_channels"] > 20
    assert result["burst"]["events"] == 30 and result["burst"]["applied_ms"] > 0
    assert result["burst"]["last_event_received_ms"] <= result["burst"]["applied_ms"]
    RESULTS["scale"] = result


@pytest.mark.redis
def test_takeover_times_the_failover_and_the_page_converges():
    sim = Simulator()
    dashboard = Dashboard(sim, "production", workers=1)
    try:
        result = takeover.run(sim, dashboard, rounds=1, channels=6)
    finally:
        dashboard.stop()
        sim.stop()
    (row,) = result["rounds"]
    assert 0 < row["live_again_s"] < 10 and row["page_equals_rest"] and row["channels"] >= 6
    RESULTS["takeover"] = result


def test_report_has_every_row_with_the_machine_stamp():
    assert set(RESULTS) == {"ingest", "peers", "actions", "e2e", "scale", "takeover"}, "run the whole module"
    results = {"machine": machine(), **RESULTS, "production": {"config": "x", "actions": RESULTS["actions"],
                                                               "e2e": RESULTS["e2e"], "scale": RESULTS["scale"]}}
    text = report.markdown(results)
    assert f"**{results['machine']['cores']} cores**" in text and results["machine"]["date"] in text
    for heading in ("## 1. Action overhead", "## 2. Event to browser", "## 3. Scale", "## 3b. Listener failover",
                    "## 4. Ingest", "## 5. Peers", "### Production shape"):
        assert heading in text
    assert "| dashboard REST API |" in text and "| 40/s | 2 |" in text and "| ari_bridge |" in text
    assert "dashboard CPU per event per page (µs)" in text and "live again after (s)" in text


def test_python_m_bench_writes_results_and_the_table(tmp_path):
    out, doc = tmp_path / "results.json", tmp_path / "performance.md"
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "ingest", "--out", str(out),
                           "--doc", str(doc)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(out.read_text())
    assert results["machine"]["cores"] >= 1 and results["ingest"]["events_per_second"]["median"] > 0
    assert "## 4. Ingest" in doc.read_text()
