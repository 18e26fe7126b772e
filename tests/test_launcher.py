"""`make run`'s launcher, as real processes: the simulator with demo traffic and the dashboard come up,
the dashboard shows live calls to a logged-in user, and every way of stopping it stops every child:
SIGTERM to the process group (a service manager, `timeout`), and Ctrl-C pressed twice quickly."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.live_server import ROOT, free_port, login


def _children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (read from /proc, as ps does)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone while we looked
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Launcher:
    """`python -m switchboard.launcher` in its own process group, as `make run` runs in a terminal."""

    def __init__(self, tmp_path: Path):
        self.web, self.sim = free_port(), free_port()
        env = {k: v for k, v in os.environ.items()
               if k not in ("ARI_URL", "ARI_SERVERS", "DATABASE_URL", "REDIS_URL")}
        env.update(SWITCHBOARD_DATA_DIR=str(tmp_path), SWITCHBOARD_PORT=str(self.web),
                   SWITCHBOARD_SIM_PORT=str(self.sim), DEMO_CALLS_PER_SECOND="5",
                   DJANGO_SETTINGS_MODULE="switchboard.settings", PYTHONUNBUFFERED="1")
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
        subprocess.run([*manage, "seed_demo_users"], env=env, cwd=ROOT, check=True, capture_output=True)
        self.proc = subprocess.Popen([sys.executable, "-m", "switchboard.launcher"], env=env, cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self.lines: list[str] = []

    def read_until(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not any(text in line for line in self.lines):
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                break
            self.lines.append(line)
        output = "".join(self.lines)
        assert text in output, output
        return output

    def stop_and_collect(self, children: set[int], timeout: float = 30) -> tuple[str, set[int]]:
        """Wait for the launcher to exit: what it printed, and which of `children` outlived it (killed
        then, so that the test leaves nothing behind; they hold the output pipe open until then)."""
        try:
            self.proc.wait(timeout=timeout)
        finally:
            time.sleep(0.2)  # a child that was told to stop in the launcher's last instant
            left = {pid for pid in children if _alive(pid)}
            for pid in left:
                os.kill(pid, signal.SIGKILL)
        return "".join(self.lines) + self.proc.stdout.read(), left

    def assert_ports_free(self) -> None:
        for port in (self.web, self.sim):
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            except httpx.ConnectError:
                continue
            raise AssertionError(f"something still listens on {port} after the launcher stopped")


@pytest.fixture
def launcher(tmp_path):
    running = Launcher(tmp_path)
    yield running
    if running.proc.poll() is None:  # a failed test: leave nothing running
        children = _children(running.proc.pid)
        os.killpg(running.proc.pid, signal.SIGKILL)
        running.proc.wait()
        for pid in children:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_the_launcher_starts_a_live_demo_and_sigterm_to_the_group_stops_it(launcher):
    banner = launcher.read_until("Press Ctrl-C")
    assert f"http://127.0.0.1:{launcher.web}/" in banner and "supervisor / supervisor" in banner, banner
    client = login(f"http://127.0.0.1:{launcher.web}", "supervisor")
    deadline = time.monotonic() + 30
    count = 0
    while time.monotonic() < deadline and count < 3:
        count = client.get("/api/v1/channels").json()["count"]
        time.sleep(0.5)
    assert count >= 3, "the demo traffic should show calls within seconds"
    children = _children(launcher.proc.pid)
    assert len(children) == 2, "the simulator and the dashboard"

    os.killpg(launcher.proc.pid, signal.SIGTERM)  # once, to the whole group, as a service manager does
    output, left = launcher.stop_and_collect(children)
    assert not left, f"children still running after the launcher exited: {left}\n{output}"
    assert "Traceback" not in output, output
    launcher.assert_ports_free()


def test_ctrl_c_twice_quickly_still_stops_every_child(launcher):
    launcher.read_until("Press Ctrl-C")
    children = _children(launcher.proc.pid)
    assert len(children) == 2, "the simulator and the dashboard"

    launcher.proc.send_signal(signal.SIGINT)
    launcher.read_until("Stopping")
    # The second Ctrl-C lands while the launcher waits for the dashboard to finish its shutdown.
    launcher.proc.send_signal(signal.SIGINT)
    output, left = launcher.stop_and_collect(children)
    assert not left, f"children still running after the launcher exited: {left}\n{output}"
    assert "Traceback" not in output, output
    launcher.assert_ports_free()
