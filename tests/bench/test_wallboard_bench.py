"""The wallboard's benchmark row (bench/wallboard.py) with a handful of phones, so that it does not rot: real
simulator and dashboard processes, a real headless Chromium traced while the tiles change."""
from __future__ import annotations

import pytest

from bench import report, wallboard
from bench.common import Dashboard, Simulator, machine

pytestmark = pytest.mark.browser  # drives Chromium (in a subprocess): run with the browser tests, last


def test_every_phase_reaches_every_tile_and_is_measured():
    sim = Simulator("--phones", "8")
    dashboard = Dashboard(sim, "single")
    try:
        result = wallboard.run(sim, dashboard, phones=8, rounds=1)
    finally:
        dashboard.stop()
        sim.stop()
    assert [p["phase"] for p in result["phases"]] == ["ring", "hold", "hang up"]
    for phase in result["phases"]:
        assert phase["complete"] and phase["shown"] >= 8, phase
        assert 0 < phase["requests_s"] <= phase["all_shown_s"]
        assert phase["main_thread_cpu_ms"] > 0 and 0 <= phase["longest_task_cpu_ms"] <= phase["main_thread_cpu_ms"]
    assert result["tiles"] == 8 + 12 and result["first_board_ms"] > 0  # the demo office's 12 endpoints too
    text = report.markdown({"machine": machine(), "wallboard": result})
    assert "## 6. Wallboard: 1,000 phones at once" in text and "| ring |" in text and "| hang up |" in text
