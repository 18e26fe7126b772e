"""`make run`: the ARI simulator with demo traffic plus the dashboard, stopped together by Ctrl-C."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from dashboard.demo import DEMO_USERS
from switchboard import wsprotocol

SIM_HOST, SIM_PORT = "127.0.0.1", int(os.environ.get("SWITCHBOARD_SIM_PORT", "8088"))
WEB_HOST, WEB_PORT = os.environ.get("SWITCHBOARD_HOST", "127.0.0.1"), int(os.environ.get("SWITCHBOARD_PORT", "8000"))


def _wait_for_port(host: str, port: int, proc: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with status {proc.returncode}; see the messages above.")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not start listening on {host}:{port} within {timeout:.0f} s")


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) != 0


# How long each child has to stop on its own (the dashboard hangs up what its workflows made).
STOP_SECONDS = 15


class _Signals:
    """The first SIGINT or SIGTERM stops the launcher's wait; any later one only asks to hurry, so that
    a second Ctrl-C cannot interrupt the shutdown half way and leave a child running."""

    def __init__(self):
        self.stopping = False
        self.hurry = False

    def __call__(self, signum, frame):
        if self.stopping:
            self.hurry = True
            return
        self.stopping = True
        raise KeyboardInterrupt


def _stop(procs: list[subprocess.Popen], signals: _Signals) -> None:
    """Stop the children, the dashboard first (its workflows hang up what they made while ARI still
    answers), then the simulator; after a second signal, or a child too slow, kill what is left."""
    for p in reversed(procs):
        if p.poll() is None and not signals.hurry:
            p.send_signal(signal.SIGINT)
        deadline = time.monotonic() + STOP_SECONDS
        while p.poll() is None and not signals.hurry and time.monotonic() < deadline:
            time.sleep(0.05)
        if p.poll() is None:
            p.kill()
            p.wait()


def main() -> None:
    signals = _Signals()
    signal.signal(signal.SIGINT, signals)
    # A service manager or `timeout` sends SIGTERM: stop the children as Ctrl-C does.
    signal.signal(signal.SIGTERM, signals)
    procs: list[subprocess.Popen] = []
    env = dict(os.environ)
    use_sim = "ARI_URL" not in env and "ARI_SERVERS" not in env
    if use_sim:
        env["ARI_URL"] = f"http://{SIM_HOST}:{SIM_PORT}"
    for host, port, what in ([(SIM_HOST, SIM_PORT, "the simulator")] if use_sim else []) + [(WEB_HOST, WEB_PORT, "the dashboard")]:
        if not _port_free(host, port):
            raise SystemExit(f"Port {host}:{port} for {what} is already in use; stop whatever holds it and retry.")
    try:
        if use_sim:
            sim = subprocess.Popen(
                [sys.executable, "-m", "ari_sim", "--host", SIM_HOST, "--port", str(SIM_PORT),
                 "--user", "dashboard", "--password", "dashboard-secret",
                 "--calls-per-second", env.get("DEMO_CALLS_PER_SECOND", "0.5"), "--seed", "7"],
                env=env, start_new_session=True,
            )
            procs.append(sim)
            _wait_for_port(SIM_HOST, SIM_PORT, sim, "The simulator")
        web = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "switchboard.asgi:application", "--host", WEB_HOST,
             "--port", str(WEB_PORT), "--lifespan", "on", "--log-level", "warning",
             "--ws", wsprotocol.PATH, "--ws-per-message-deflate", "false"],
            env=env, start_new_session=True,
        )
        procs.append(web)
        _wait_for_port(WEB_HOST, WEB_PORT, web, "The dashboard")
        print()
        print(f"  Switchboard is live at http://{WEB_HOST}:{WEB_PORT}/")
        if use_sim:
            print(f"  ARI simulator with demo traffic at http://{SIM_HOST}:{SIM_PORT}/ari (dashboard / dashboard-secret)")
        print("  Demo logins (user / password, role, phone):")
        for username, password, role, endpoint, _ in DEMO_USERS:
            print(f"    {username} / {password}   {role}, {endpoint}")
        print("  Press Ctrl-C to stop.")
        print(flush=True)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        raise SystemExit("A process stopped unexpectedly; stopping the others.")
    except KeyboardInterrupt:
        print("\nStopping... (Ctrl-C again to stop at once)", flush=True)
    finally:
        # The children run in their own sessions, so a terminal's Ctrl-C (or a SIGTERM to this
        # process group) reaches only this process: it stops them in order.
        signals.stopping = True
        _stop(procs, signals)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "switchboard.settings")
    main()
