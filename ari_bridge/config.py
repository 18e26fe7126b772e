"""Where an Asterisk's ARI lives and how to log in to it."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AriServerConfig:
    name: str
    url: str  # base URL without /ari, e.g. http://127.0.0.1:8088
    username: str
    password: str = field(repr=False)
    app: str = "switchboard"

    @property
    def ari_url(self) -> str:
        return self.url.rstrip("/") + "/ari"
