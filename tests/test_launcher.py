"""`make run`'s launcher: the simulator with demo traffic and the dashboard come up, the dashboard
shows live calls to a logged-in user, and SIGTERM (like Ctrl-C) stops both."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from tests.live_server import ROOT, free_port, login


def test_the_launcher_starts_a_live_demo_and_stops_cleanly(tmp_path):
    web, sim = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("ARI_URL", "ARI_SERVERS", "DATABASE_URL", "REDIS_URL")}
    env.update(SWITCHBOARD_DATA_DIR=str(tmp_path), SWITCHBOARD_PORT=str(web), SWITCHBOARD_SIM_PORT=str(sim),
               DEMO_CALLS_PER_SECOND="5", DJANGO_SETTINGS_MODULE="switchboard.settings")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "seed_demo_users"], env=env, cwd=ROOT, check=True, capture_output=True)
    launcher = subprocess.Popen([sys.executable, "-m", "switchboard.launcher"], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("Press Ctrl-C" in line for line in lines):
            lines.append(launcher.stdout.readline())
        banner = "".join(lines)
        assert f"http://127.0.0.1:{web}/" in banner and "supervisor / supervisor" in banner, banner
        client = login(f"http://127.0.0.1:{web}", "supervisor")
        deadline = time.monotonic() + 30
        count = 0
        while time.monotonic() < deadline and count < 3:
            count = client.get("/api/v1/channels").json()["count"]
            time.sleep(0.5)
        assert count >= 3, "the demo traffic should show calls within seconds"
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(timeout=20)
    for port in (web, sim):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
        except httpx.ConnectError:
            continue
        raise AssertionError(f"something still listens on {port} after the launcher stopped")
