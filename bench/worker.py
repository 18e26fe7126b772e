"""A helper process (WebSocket clients, Chromium) spoken to in JSON lines over stdin/stdout."""
from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from typing import Any

from .common import ROOT


class Worker:
    def __init__(self, module: str, *args: str, ready_timeout: float = 120):
        self.proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
        self.ready = self._read(ready_timeout)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise TimeoutError(f"{self.proc.args[2]} did not answer within {timeout} s")
                line = self.proc.stdout.readline()
                if not line:
                    raise RuntimeError(f"{self.proc.args[2]} exited ({self.proc.poll()})")
                if line.startswith("{"):
                    return json.loads(line)

    def send(self, command: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def ask(self, command: dict[str, Any], timeout: float = 120) -> dict[str, Any]:
        self.send(command)
        return self._read(timeout)

    def close(self) -> None:
        try:
            self.send({"cmd": "quit"})
            self.proc.wait(15)
        except Exception:  # noqa: BLE001
            self.proc.kill()
            self.proc.wait(5)
