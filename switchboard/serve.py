"""`python -m switchboard.serve`: the dashboard on uvicorn's workers, each with a listening socket of its own.

`uvicorn --workers N` gives every worker the same listening socket, and a worker's event loop accepts every
connection waiting when it wakes. So a burst of connections that arrives while one worker is busy (the
pages of a call centre reconnecting after a restart, a proxy opening its keep-alive pool) is all taken by
the other, and those connections stay with it: 128 to 0 in tests/dashboard/test_serve.py. Here the
parent opens one SO_REUSEPORT socket per worker on the same port, and the kernel spreads new connections
over them. The parent keeps the sockets open, so a worker that dies is replaced on its own socket and the
connections queued there wait for the replacement instead of being refused.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import threading

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Process

from switchboard import env, wsprotocol

APP = "switchboard.asgi:application"
logger = logging.getLogger("uvicorn.error")


def listening_sockets(host: str, port: int, count: int, backlog: int) -> list[socket.socket]:
    """`count` sockets listening on one address; port 0 picks a free port for all of them."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # SO_REUSEPORT would let these sockets share the port with another dashboard already on it (of the
    # same user) and split its traffic: a plain bind first fails if anything holds the port.
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        port = probe.getsockname()[1]
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            sock.listen(backlog)
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class Supervisor:
    """Keeps one worker per socket running until SIGINT or SIGTERM, then stops them all (each finishes its
    requests and hands its audit rows to the database first: uvicorn's graceful shutdown)."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]):
        self.config = config
        self.sockets = sockets
        self.workers: list[Process] = []
        self.should_exit = threading.Event()

    def _start(self, sock: socket.socket) -> Process:
        worker = Process(self.config, [sock])
        worker.start()
        return worker

    def run(self) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.should_exit.set())
        self.workers = [self._start(sock) for sock in self.sockets]
        status = 0
        while not self.should_exit.wait(0.5):
            for index, worker in enumerate(self.workers):
                if worker.is_alive(timeout=self.config.timeout_worker_healthcheck):
                    continue
                worker.kill()
                worker.join()
                if worker.exitcode == STARTUP_FAILURE:
                    # The settings, the database or the app are broken: every replacement would fail alike.
                    logger.error("Worker [%s] failed to start; stopping.", worker.pid)
                    self.should_exit.set()
                    status = STARTUP_FAILURE
                    break
                if self.should_exit.is_set():
                    break
                logger.warning("Worker [%s] died (exit status %s); starting another.", worker.pid, worker.exitcode)
                self.workers[index] = self._start(self.sockets[index])
        for worker in self.workers:
            worker.terminate()
        for worker in self.workers:
            worker.join()
        for sock in self.sockets:
            sock.close()
        return status


def _flag(value: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {value!r}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m switchboard.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes, one per core is usual (more than 1 needs REDIS_URL and ari_listen)")
    parser.add_argument("--ws-per-message-deflate", type=_flag, default=False,
                        help="compress WebSocket messages (default false: the live diffs are too small to pay)")
    parser.add_argument("--forwarded-allow-ips", default=None,
                        help="proxies trusted for X-Forwarded-For/-Proto (default: FORWARDED_ALLOW_IPS, else loopback)")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    parser.add_argument("--ssl-keyfile")
    parser.add_argument("--ssl-certfile")
    parser.add_argument("--timeout-graceful-shutdown", type=int, default=30,
                        help="seconds a stopping worker gives its open requests and sockets")
    parser.add_argument("--backlog", type=int, default=2048)
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = uvicorn.Config(
        APP, host=args.host, port=args.port, workers=args.workers, lifespan="on", ws=wsprotocol.PATH,
        ws_per_message_deflate=args.ws_per_message_deflate, forwarded_allow_ips=args.forwarded_allow_ips,
        log_level=args.log_level, access_log=args.access_log, ssl_keyfile=args.ssl_keyfile,
        ssl_certfile=args.ssl_certfile, timeout_graceful_shutdown=args.timeout_graceful_shutdown,
        backlog=args.backlog)
    config.configure_logging()
    if args.workers > 1 and env.ARI_LISTENER == "embedded":
        # Each worker would keep its live state to itself and open an ARI event socket of its own, each
        # taking the Stasis application from the last.
        logger.error("Several workers need a shared channel layer and one listener: set REDIS_URL and run "
                     "`python manage.py ari_listen` (or use --workers 1).")
        return STARTUP_FAILURE
    try:
        sockets = listening_sockets(args.host, args.port, args.workers, args.backlog)
    except OSError as exc:
        logger.error("Cannot listen on %s:%s: %s", args.host, args.port, exc)
        return STARTUP_FAILURE
    scheme = "https" if args.ssl_certfile else "http"
    logger.info("Switchboard on %s://%s:%s with %d workers (pid %d)", scheme, args.host,
                sockets[0].getsockname()[1], args.workers, os.getpid())
    return Supervisor(config, sockets).run()


if __name__ == "__main__":
    raise SystemExit(main())
