"""`python -m ari_sim` as a separate process, with the documented options."""
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ari_sim.__main__ import parse_args

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, auth) -> httpx.Response:
    deadline = time.monotonic() + 10
    while True:
        try:
            return httpx.get(url, auth=auth, timeout=1)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_command_line_server_with_custom_credentials_and_traffic():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ari_sim", "--host", "127.0.0.1", "--port", str(port), "--user", "u1",
         "--password", "p1", "--calls-per-second", "20", "--seed", "7", "--time-scale", "0.1"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        assert _wait(base + "/ari/asterisk/ping", ("u1", "p1")).json()["ping"] == "pong"
        assert httpx.get(base + "/ari/asterisk/ping", auth=("dashboard", "dashboard-secret")).status_code == 401
        deadline = time.monotonic() + 5
        while not httpx.get(base + "/ari/channels", auth=("u1", "p1")).json():
            assert time.monotonic() < deadline, "demo traffic placed no call"
            time.sleep(0.05)
        assert httpx.get(base + "/_sim/traffic", auth=("u1", "p1")).json()["calls_per_second"] == 20
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0].decode()
    assert process.returncode == 0
    assert f"http://127.0.0.1:{port}/ari" in output


def test_defaults_start_idle():
    config = parse_args([])
    assert (config.host, config.port, config.username, config.password) == (
        "127.0.0.1", 8088, "dashboard", "dashboard-secret")
    assert config.calls_per_second == 0 and config.seed is None and config.time_scale == 1.0
    assert config.route_app == "switchboard" and config.max_channels == 10_000


def test_route_app_and_channel_cap():
    config = parse_args(["--route-app", "router2", "--max-channels", "500"])
    assert (config.route_app, config.max_channels) == ("router2", 500)


@pytest.mark.parametrize("argv", [["--calls-per-second", "-1"], ["--time-scale", "0"], ["--port", "x"],
                                  ["--max-channels", "-1"], ["--route-app", "a,b"], ["--route-app", ""]])
def test_bad_options_are_refused(argv):
    with pytest.raises(SystemExit) as failure:
        parse_args(argv)
    assert failure.value.code == 2
