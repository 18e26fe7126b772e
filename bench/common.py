"""What every benchmark shares: the machine stamp, percentiles, a simulator process, a dashboard
(single process or the production shape) started as it would be in production, logins, memory."""
from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import httpx

ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "dashboard", "dashboard-secret"
APP = "switchboard"
REDIS_URL = "redis://127.0.0.1:6379/0"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def machine() -> dict[str, Any]:
    return {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "platform": platform.platform(terse=True),
        "git": _git_head(),
        "load_1min": round(os.getloadavg()[0], 1),
    }


def _git_head() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    if not ms:
        return {"n": 0}
    return {"n": len(ms), "p50": round(percentile(ms, 50), 2), "p99": round(percentile(ms, 99), 2),
            "max": round(max(ms), 2), "mean": round(statistics.fmean(ms), 2)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ the simulator

class Simulator:
    """`python -m ari_sim` in its own process (its own core as far as the OS gives one)."""

    def __init__(self, *extra: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ari_sim", "--port", "0", "--user", USER, "--password", PASSWORD, *extra],
            cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # "ari_sim: ARI on http://127.0.0.1:PORT/ari ..."
        if " on " not in line:
            raise RuntimeError(f"the simulator did not start: {line!r}")
        self.url = line.split(" on ", 1)[1].split("/ari", 1)[0]
        self.ari_url = self.url + "/ari"
        self.ws_url = self.url.replace("http://", "ws://") + "/ari/events"
        self.username, self.password = USER, PASSWORD
        self.http = httpx.Client(base_url=self.url, auth=(USER, PASSWORD), timeout=30)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def control(self, method: str, path: str, json: Any = None) -> Any:
        response = self.http.request(method, path, json=json)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def ari(self, method: str, path: str, **params: Any) -> Any:
        response = self.http.request(method, "/ari" + path, params=params or None)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def park_channels(self, count: int, concurrency: int = 32, prefix: str = "park") -> float:
        """`count` channels (Local/103 pairs: answered, then Wait(3600) in the dialplan); returns seconds."""
        return asyncio.run(self._park(count, concurrency, prefix))

    async def _park(self, count: int, concurrency: int, prefix: str) -> float:
        import aiohttp

        pairs = list(range((count + 1) // 2))
        started = time.perf_counter()
        headers = {"Authorization": aiohttp.encode_basic_auth(USER, PASSWORD)}
        async with aiohttp.ClientSession(self.url, headers=headers,
                                         connector=aiohttp.TCPConnector(limit=concurrency)) as session:
            async def worker() -> None:
                while pairs:
                    n = pairs.pop()
                    params = {"endpoint": "Local/103@default", "extension": "103", "context": "default",
                              "channelId": f"{prefix}-{n}", "otherChannelId": f"{prefix}-{n}b"}
                    async with session.post("/ari/channels", params=params) as response:
                        if response.status != 200:
                            raise RuntimeError(f"originate: {response.status} {await response.text()}")
                        await response.read()

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started

    def hangup_all(self) -> None:
        async def run() -> None:
            import aiohttp

            headers = {"Authorization": aiohttp.encode_basic_auth(USER, PASSWORD)}
            async with aiohttp.ClientSession(self.url, headers=headers) as session:
                async with session.get("/ari/channels") as response:
                    ids = [c["id"] for c in await response.json()]

                async def worker() -> None:
                    while ids:
                        async with session.delete(f"/ari/channels/{ids.pop()}") as response:
                            await response.read()

                await asyncio.gather(*(worker() for _ in range(16)))

        asyncio.run(run())

    def stop(self) -> None:
        self.http.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ------------------------------------------------------------------------------ the dashboard

_SQLITE_TEMPLATES: dict[Path, Path] = {}


class Dashboard:
    """The dashboard as it runs in production, in one of two shapes:

    - ``single``: one uvicorn process, in-memory channel layer, ARI listener embedded, SQLite;
    - ``production``: ``switchboard.serve --workers N`` + Redis channel layer + one ``manage.py ari_listen``,
      PostgreSQL when it answers on 127.0.0.1:5432 (SQLite otherwise).

    ``root`` runs another checkout (a git worktree of an older commit, for before/after figures).
    permessage-deflate is off, as the README runs uvicorn (``deflate=True``: uvicorn's default, on).
    """

    def __init__(self, sim: Simulator, shape: str = "single", *, workers: int = 2, root: Path = ROOT,
                 extra_env: dict[str, str] | None = None, deflate: bool = False):
        self.shape = shape
        self.root = Path(root)
        self.data_dir = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws/live/"
        self.workers = workers if shape == "production" else 1
        self.database = "sqlite"
        self._pg_name: str | None = None
        self._redis_prefix: str | None = None
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "ARI_SERVERS")}
        env.update({
            "SWITCHBOARD_DATA_DIR": str(self.data_dir), "ARI_URL": sim.url, "ARI_USERNAME": sim.username,
            "ARI_PASSWORD": sim.password, "ARI_APP": APP, "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1", "DJANGO_SETTINGS_MODULE": "switchboard.settings",
            "PYTHONPATH": os.pathsep.join([str(self.root), *filter(None, [os.environ.get("BENCH_EXTRA_PATH")])]),
        })
        if shape == "production":
            self._redis_prefix = f"sbbench-{uuid.uuid4().hex[:8]}"
            env.update({"REDIS_URL": REDIS_URL, "REDIS_PREFIX": self._redis_prefix})
            if _postgres_answers():
                import psycopg

                self._pg_name = f"switchboard_bench_{uuid.uuid4().hex[:10]}"
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{self._pg_name}"')
                env["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{self._pg_name}"
                self.database = "postgresql"
        elif shape != "single":
            raise ValueError(f"unknown shape {shape!r}")
        env.update(extra_env or {})
        self.env = env
        manage = [sys.executable, str(self.root / "manage.py")]
        template = _SQLITE_TEMPLATES.get(self.root)
        if self.database == "sqlite" and template is not None:
            shutil.copy(template, self.data_dir / "db.sqlite3")  # migrated and seeded once per run
        else:
            subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=self.root, check=True)
            subprocess.run([*manage, "seed_demo_users"], env=env, cwd=self.root, check=True,
                           stdout=subprocess.DEVNULL)
            if self.database == "sqlite":
                keep = Path(tempfile.mkdtemp(prefix="switchboard-bench-db-")) / "db.sqlite3"
                shutil.copy(self.data_dir / "db.sqlite3", keep)
                _SQLITE_TEMPLATES[self.root] = keep
        self.log_path = self.data_dir / "server.log"
        self._log = open(self.log_path, "ab")
        self.listener: subprocess.Popen | None = None
        if shape == "production":
            self.listener = subprocess.Popen([*manage, "ari_listen"], env=env, cwd=self.root, stdout=self._log,
                                             stderr=subprocess.STDOUT)
        # Several workers as the README runs them: switchboard.serve (a socket per worker), where the
        # checkout has it; older checkouts ran uvicorn's own --workers.
        self.server = ("switchboard.serve" if self.workers > 1 and (self.root / "switchboard/serve.py").exists()
                       else "uvicorn")
        server = (["switchboard.serve"] if self.server == "switchboard.serve"
                  else ["uvicorn", "switchboard.asgi:application", "--lifespan", "on"])
        if self.server == "uvicorn" and (self.root / "switchboard/wsprotocol.py").exists():
            server += ["--ws", "switchboard.wsprotocol:WebSocketProtocol"]
        self.web = subprocess.Popen(
            [sys.executable, "-m", *server, "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "warning", "--no-access-log", "--workers", str(self.workers),
             "--ws-per-message-deflate", "true" if deflate else "false"],
            env=env, cwd=self.root, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def describe(self) -> str:
        if self.shape == "single":
            return "1 uvicorn process, in-memory channel layer, embedded ARI listener, SQLite"
        return (f"{self.server} --workers {self.workers} + Redis channel layer + manage.py ari_listen, "
                f"{'PostgreSQL' if self.database == 'postgresql' else 'SQLite'}")

    def pids(self) -> list[int]:
        """Every process of the dashboard (the workers, not their supervisor, when there are several)."""
        pids = [self.web.pid] if self.workers == 1 else children(self.web.pid)
        if self.listener is not None:
            pids.append(self.listener.pid)
        return pids

    def rss_mb(self) -> float:
        """Every dashboard process together."""
        return round(sum(rss_mb(pid) for pid in self.pids()), 1)

    def largest_rss_mb(self) -> float:
        """The largest single dashboard process."""
        return round(max((rss_mb(pid) for pid in self.pids()), default=0.0), 1)

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids())

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.web.poll() is not None or (self.listener and self.listener.poll() is not None):
                raise RuntimeError(f"the dashboard exited; log:\n{self.log()}")
            try:
                if httpx.get(self.url + "/login/", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the dashboard did not start; log:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    @contextlib.contextmanager
    def login(self, username: str = "supervisor") -> Iterator[httpx.Client]:
        """An HTTP client with a session cookie and the CSRF header, as the page has them."""
        client = httpx.Client(base_url=self.url, timeout=30)
        try:
            self._login(client, username)
            yield client
        finally:
            client.close()

    def _login(self, client: httpx.Client, username: str) -> None:
        page = client.get("/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = client.post("/login/", data={"username": username, "password": username,
                                                "csrfmiddlewaretoken": token})
        if response.status_code != 302:
            raise RuntimeError(f"login as {username} failed: {response.status_code}")
        client.headers["X-CSRFToken"] = client.cookies["csrftoken"]

    def session(self, username: str = "supervisor") -> dict[str, str]:
        """Cookies and CSRF token of a fresh login, for clients other than httpx."""
        with self.login(username) as client:
            return dict(client.cookies.items())

    def channels(self, username: str = "supervisor") -> list[dict]:
        """GET /api/v1/channels, every page."""
        out: list[dict] = []
        with self.login(username) as client:
            while True:
                page = client.get("/api/v1/channels", params={"offset": len(out), "limit": 1000}).json()
                out.extend(page["results"])
                if len(out) >= page["count"] or not page["results"]:
                    return out

    def wait_channels(self, count: int, timeout: float = 120) -> float:
        """Wait until the dashboard lists `count` channels; returns seconds waited."""
        started = time.monotonic()
        with self.login("supervisor") as client:
            while True:
                listed = client.get("/api/v1/channels", params={"limit": 1}).json()["count"]
                if listed == count:
                    return time.monotonic() - started
                if time.monotonic() - started > timeout:
                    raise RuntimeError(f"the dashboard lists {listed} channels, not {count}")
                time.sleep(0.2)

    def stop(self) -> None:
        for proc in (self.web, self.listener):
            if proc is not None:
                proc.terminate()
        for proc in (self.web, self.listener):
            if proc is not None:
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self._log.close()
        self._keep_log_if_troubled()
        if self._pg_name:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)')
        if self._redis_prefix:
            try:
                import redis

                client = redis.Redis.from_url(REDIS_URL)
                for key in client.scan_iter(f"{self._redis_prefix}*"):
                    client.delete(key)
            except Exception:  # noqa: BLE001 - leftovers expire on their own
                pass
        shutil.rmtree(self.data_dir, ignore_errors=True)


    def _keep_log_if_troubled(self) -> None:
        """A server log that holds an error outlives the run (var/bench-logs/): the figures alone say too little."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        if "Traceback" not in text and "ERROR" not in text:
            return
        keep = ROOT / "var" / "bench-logs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{self.shape}-{self.port}.log"
        keep.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.log_path, keep)
        log(f"the dashboard logged errors: kept {keep}")


def _postgres_answers() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=2):
            return True
    except Exception:  # noqa: BLE001
        return False


def redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except Exception:  # noqa: BLE001
        return False
