"""Settings of one simulator instance."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class SimConfig:
    host: str = "127.0.0.1"
    port: int = 8088
    username: str = "dashboard"
    password: str = "dashboard-secret"
    # Origins the capture PBX's ari.conf allowed (CORS answers carry them back).
    allowed_origins: tuple = ("http://127.0.0.1:8000", "http://localhost:8000")
    # Multiplies every simulated delay (1.0: real time; 0.1: ten times faster, for tests).
    time_scale: float = 1.0
    calls_per_second: float = 0.0
    seed: int | None = None
    # The dashboard's call-routing Stasis app, dialled by the demo contexts:
    # Stasis(<route_app>,dial,<endpoint>[,timeout]).
    route_app: str = "switchboard"
    # Demo traffic places no call while this many channels exist.
    max_channels: int = 10_000
    # Desk phones besides the demo office's: PJSIP/phone0001 ... (ari_sim/phones.py).
    phones: int = 0
    asterisk_id: str = "02:fc:00:00:00:01"
    version: str = "20-git-516d2c60"
    extra: dict = field(default_factory=dict)

    @property
    def credentials(self) -> str:
        return f"{self.username}:{self.password}"
