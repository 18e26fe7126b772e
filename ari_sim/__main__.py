"""`python -m ari_sim --host 127.0.0.1 --port 8088 --user dashboard --password dashboard-secret`"""
from __future__ import annotations

import argparse
import asyncio
import signal

from .config import SimConfig
from .server import Simulator


def parse_args(argv: list[str] | None = None) -> SimConfig:
    parser = argparse.ArgumentParser(prog="python -m ari_sim", description="ARI-compatible Asterisk simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--user", default="dashboard")
    parser.add_argument("--password", default="dashboard-secret")
    parser.add_argument("--calls-per-second", type=float, default=0.0,
                        help="demo traffic: inbound calls per second from the simulated phones (0: idle)")
    parser.add_argument("--seed", type=int, default=None, help="seed for the demo traffic")
    parser.add_argument("--max-channels", type=int, default=10_000,
                        help="demo traffic places no call while this many channels exist (default 10000)")
    parser.add_argument("--route-app", default="switchboard",
                        help="the dashboard's call-routing Stasis app the demo contexts dial through "
                             "(default switchboard, the dashboard's ARI_APP)")
    parser.add_argument("--phones", type=int, default=0,
                        help="this many more desk phones, PJSIP/phone0001 <40001> and on (default 0)")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="multiply every simulated delay (0.1 runs ten times faster)")
    parser.add_argument("--allowed-origin", action="append", default=None,
                        help="CORS origin to allow (repeatable); default the dashboard's")
    args = parser.parse_args(argv)
    if args.calls_per_second < 0:
        parser.error("--calls-per-second must be >= 0")
    if args.time_scale <= 0:
        parser.error("--time-scale must be > 0")
    if args.max_channels < 0:
        parser.error("--max-channels must be >= 0")
    if args.phones < 0:
        parser.error("--phones must be >= 0")
    if not args.route_app or "," in args.route_app:
        parser.error("--route-app must be an application name")
    config = SimConfig(host=args.host, port=args.port, username=args.user, password=args.password,
                       calls_per_second=args.calls_per_second, seed=args.seed, time_scale=args.time_scale,
                       max_channels=args.max_channels, route_app=args.route_app, phones=args.phones)
    if args.allowed_origin:
        config.allowed_origins = tuple(args.allowed_origin)
    return config


async def serve(config: SimConfig) -> None:
    simulator = Simulator(config)
    port = await simulator.start()
    print(f"ari_sim: ARI on http://{config.host}:{port}/ari (user {config.username}), control API on /_sim",
          flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except NotImplementedError:  # pragma: no cover - not on this platform
            pass
    await stop.wait()
    await simulator.stop()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
