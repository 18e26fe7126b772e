"""A real dashboard (uvicorn subprocess, own SQLite file, demo users) pointed at a test simulator."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from switchboard import wsprotocol

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def login(url: str, username: str, password: str | None = None) -> httpx.Client:
    """An HTTP client with a session cookie and the CSRF header, as the page has them."""
    client = httpx.Client(base_url=url, timeout=10)
    page = client.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = client.post("/login/", data={"username": username, "password": password or username,
                                            "csrfmiddlewaretoken": token})
    assert response.status_code == 302, f"login as {username} failed"
    client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
    return client


class LiveDashboard:
    def __init__(self, simulator, data_dir: Path, *, app: str = "switchboard", extra_env: dict | None = None,
                 workers: int = 1, listener: bool = False):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws/live/"
        self.data_dir = data_dir
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "ARI_SERVERS")}
        env.update({
            "SWITCHBOARD_DATA_DIR": str(data_dir),
            "ARI_URL": simulator.url, "ARI_USERNAME": simulator.username, "ARI_PASSWORD": simulator.password,
            "ARI_APP": app, "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "switchboard.settings",
            # Every test logs in from 127.0.0.1: a few wrong passwords anywhere would lock the address for
            # all the others. The lockout's own tests set a low limit on a dashboard of their own.
            "LOGIN_FAILURE_LIMIT": "1000",
        })
        env.update(extra_env or {})
        self.env = env
        self.log_path = data_dir / "server.log"
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
        subprocess.run([*manage, "seed_demo_users"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        self.procs: list[subprocess.Popen] = []
        self._log = open(self.log_path, "ab")
        if listener:
            self.procs.append(subprocess.Popen([*manage, "ari_listen"], env=env, cwd=ROOT, stdout=self._log,
                                               stderr=subprocess.STDOUT))
        self._serve(self.port, workers)

    def _serve(self, port: int, workers: int = 1, env: dict | None = None) -> None:
        # As the README runs it: uvicorn for one process, switchboard.serve for several.
        server = (["uvicorn", "switchboard.asgi:application", "--lifespan", "on", "--ws", wsprotocol.PATH]
                  if workers == 1 else ["switchboard.serve", "--workers", str(workers)])
        self.procs.append(subprocess.Popen(
            [sys.executable, "-m", *server, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
             "--ws-per-message-deflate", "false"],
            env={**self.env, **(env or {})}, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT))
        self._wait_ready(f"http://127.0.0.1:{port}")

    def another_worker(self, **env: str) -> str:
        """Start one more web process on the same database and channel layer (settings overridden by `env`);
        returns its URL."""
        port = free_port()
        self._serve(port, env=env)
        return f"http://127.0.0.1:{port}"

    def _wait_ready(self, url: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError(f"the dashboard exited; log:\n{self.log()}")
            try:
                # 301 too: with DJANGO_SECURE_SSL_REDIRECT plain HTTP is sent to https.
                if httpx.get(url + "/login/", timeout=1).status_code in (200, 301):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the dashboard did not start; log:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def login(self, username: str, password: str | None = None, url: str | None = None) -> httpx.Client:
        return login(url or self.url, username, password)

    def cookie_header(self, client: httpx.Client) -> str:
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._log.close()
