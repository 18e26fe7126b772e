"""Every setting that comes from the environment, read in one place.

Defaults make `make run` work on a fresh machine: SQLite, the in-memory channel
layer, and the bundled ARI simulator on 127.0.0.1:8088.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

from ari_bridge.config import AriServerConfig


class ConfigError(RuntimeError):
    pass


def _str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, not {raw!r}") from None


def _seconds(name: str, default: int) -> int:
    value = _int(name, default)
    if value < 1:
        raise ConfigError(f"{name} must be a number of seconds of at least 1, not {value}")
    return value


def _list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def ari_servers() -> list[AriServerConfig]:
    """ARI_SERVERS (a JSON list) names several Asterisks; otherwise ARI_URL & co. name one."""
    raw = os.environ.get("ARI_SERVERS")
    if raw:
        try:
            entries = json.loads(raw)
            servers = [
                AriServerConfig(
                    name=str(e["name"]),
                    url=str(e["url"]),
                    username=str(e["username"]),
                    password=str(e["password"]),
                    app=str(e.get("app", "switchboard")),
                )
                for e in entries
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                "ARI_SERVERS must be a JSON list of objects with name, url, username, password"
                f" and optionally app: {exc}"
            ) from None
        if not servers:
            raise ConfigError("ARI_SERVERS is empty")
        names = [s.name for s in servers]
        if len(set(names)) != len(names):
            raise ConfigError(f"ARI_SERVERS has duplicate names: {names}")
        return servers
    return [
        AriServerConfig(
            name=_str("ARI_SERVER_NAME", "default"),
            url=_str("ARI_URL", "http://127.0.0.1:8088"),
            username=_str("ARI_USERNAME", "dashboard"),
            password=_str("ARI_PASSWORD", "dashboard-secret"),
            app=_str("ARI_APP", "switchboard"),
        )
    ]


@dataclass(frozen=True)
class StuckRules:
    """Thresholds of the stuck-channel rules (dashboard/stuck.py); 0 turns a rule off."""

    max_age_minutes: int
    ringing_seconds: int
    stasis_unbridged_minutes: int
    silent_minutes: int  # no event for this long
    rtp_silence_seconds: int
    # The states the "ringing too long" rule watches.
    ringing_states: tuple[str, ...] = ("Down", "Ring", "Ringing")


def stuck_rules() -> StuckRules:
    return StuckRules(
        max_age_minutes=_int("STUCK_MAX_AGE_MINUTES", 240),
        ringing_seconds=_int("STUCK_RINGING_SECONDS", 120),
        stasis_unbridged_minutes=_int("STUCK_STASIS_UNBRIDGED_MINUTES", 30),
        silent_minutes=_int("STUCK_NO_EVENT_MINUTES", 60),
        rtp_silence_seconds=_int("STUCK_RTP_SILENCE_SECONDS", 60),
        ringing_states=tuple(_list("STUCK_RINGING_STATES", ["Down", "Ring", "Ringing"])),
    )


SECRET_KEY = _str("DJANGO_SECRET_KEY", "")
DEBUG = _bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = _list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = _list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
DATABASE_URL = _str("DATABASE_URL", "")
# PostgreSQL connections each process keeps in its pool at most.
DATABASE_POOL_SIZE = _int("DATABASE_POOL_SIZE", 10)
REDIS_URL = _str("REDIS_URL", "")
# Keys in Redis start with this, so that several installs (or test runs) can share one Redis.
REDIS_PREFIX = _str("REDIS_PREFIX", "switchboard")
DATA_DIR = _str("SWITCHBOARD_DATA_DIR", "")
# Where the ARI event stream runs: "embedded" in the web process (one process, in-memory
# layer), or "external" (`manage.py ari_listen`, shared through Redis).
ARI_LISTENER = _str("ARI_LISTENER", "external" if REDIS_URL else "embedded")
LIVE_FLUSH_MS = _int("LIVE_FLUSH_MS", 100)
# A WebSocket whose page takes none of what is written to it for this long (twice at most) is cut off.
WEBSOCKET_STALL_SECONDS = _seconds("WEBSOCKET_STALL_SECONDS", 20)
# How often the listener checks its live state against GET /channels (0: only on reconnects).
LIVE_RECONCILE_SECONDS = _int("LIVE_RECONCILE_SECONDS", 30)
# Dialplan context where click-to-call sends the destination number: the one the phones dial from
# (the simulator's `from-phones` answers the numbers the README and the form give as examples).
CLICK_TO_CALL_CONTEXT = _str("CLICK_TO_CALL_CONTEXT", "from-phones")
# The Asterisk that agents' phones are registered on (default: the first of ARI_SERVERS).
CLICK_TO_CALL_SERVER = _str("CLICK_TO_CALL_SERVER", "")
# How long each phone of a workflow may ring before it gives up, saying so.
CLICK_TO_CALL_AGENT_RING_SECONDS = _seconds("CLICK_TO_CALL_AGENT_RING_SECONDS", 20)
CLICK_TO_CALL_DEST_RING_SECONDS = _seconds("CLICK_TO_CALL_DEST_RING_SECONDS", 45)
MONITOR_RING_SECONDS = _seconds("MONITOR_RING_SECONDS", 20)
# Call centres do not tell agents they are being listened to; some sites must.
MONITOR_VISIBLE_TO_AGENTS = _bool("MONITOR_VISIBLE_TO_AGENTS", False)
# The call-routing Stasis app: ring the caller while the destination rings (or answer first).
ROUTER_RING_SECONDS = _seconds("ROUTER_RING_SECONDS", 30)
ROUTER_ANSWER_FIRST = _bool("ROUTER_ANSWER_FIRST", False)
# Endpoints the wallboard leaves out: shell patterns such as PJSIP/trunk* (trunks are no people).
WALLBOARD_HIDE = _list("WALLBOARD_HIDE", [])


def _json(name: str, default):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be JSON: {exc}") from None


@dataclass(frozen=True)
class DialRules:
    """What click-to-call may dial: patterns after normalisation, a prefix for outside lines, block lists."""

    internal: str  # regex of internal extensions, dialled as they are
    external: str  # regex of outside numbers (after '+' became plus_prefix)
    outbound_prefix: str  # put before outside numbers (e.g. "9")
    plus_prefix: str  # what a leading '+' becomes (international access code)
    blocked: dict  # role -> list of regexes refused for that role ("*" applies to every role)


def dial_rules() -> DialRules:
    return DialRules(
        internal=_str("DIAL_INTERNAL_PATTERN", r"^[0-9*#]{2,6}$"),
        external=_str("DIAL_EXTERNAL_PATTERN", r"^[0-9]{7,16}$"),
        outbound_prefix=_str("DIAL_OUTBOUND_PREFIX", ""),
        plus_prefix=_str("DIAL_PLUS_PREFIX", "00"),
        # Premium-rate ranges by default: UK 09, US/CA 1-900, FR 089, DE 0900, international 00-900.
        blocked=_json("DIAL_BLOCKED", {"*": [r"^09", r"^1?900", r"^089", r"^0900", r"^00[0-9]{1,3}900"]}),
    )


@dataclass(frozen=True)
class Security:
    """Transport, cookie, login-throttling and live-socket settings (docs/security.md)."""

    session_cookie_secure: bool
    csrf_cookie_secure: bool
    # ("HTTP_X_FORWARDED_PROTO", "https"): the header a TLS-terminating proxy sets, or None.
    proxy_ssl_header: tuple[str, str] | None
    ssl_redirect: bool
    hsts_seconds: int
    hsts_include_subdomains: bool
    hsts_preload: bool
    login_failure_limit: int
    login_lockout_minutes: int
    api_token_rate: str  # DRF's "N/second|minute|hour|day" for token-authenticated API requests
    live_auth_recheck_seconds: int


def _proxy_ssl_header() -> tuple[str, str] | None:
    raw = _str("DJANGO_SECURE_PROXY_SSL_HEADER", "")
    if not raw:
        return None
    header, sep, value = raw.partition("=")
    if not sep or not header.strip() or not value.strip():
        raise ConfigError(f"DJANGO_SECURE_PROXY_SSL_HEADER must look like X-Forwarded-Proto=https, not {raw!r}")
    return "HTTP_" + header.strip().upper().replace("-", "_"), value.strip()


def _rate(name: str, default: str) -> str:
    raw = _str(name, default)
    count, sep, period = raw.partition("/")
    if not (count.isdigit() and sep and period[:1] in ("s", "m", "h", "d")):
        raise ConfigError(f"{name} must look like 600/minute, not {raw!r}")
    return raw


def _positive(name: str, default: int) -> int:
    value = _int(name, default)
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, not {value}")
    return value


def security() -> Security:
    return Security(
        session_cookie_secure=_bool("DJANGO_SESSION_COOKIE_SECURE", False),
        csrf_cookie_secure=_bool("DJANGO_CSRF_COOKIE_SECURE", False),
        proxy_ssl_header=_proxy_ssl_header(),
        ssl_redirect=_bool("DJANGO_SECURE_SSL_REDIRECT", False),
        hsts_seconds=_int("DJANGO_SECURE_HSTS_SECONDS", 0),
        hsts_include_subdomains=_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False),
        hsts_preload=_bool("DJANGO_SECURE_HSTS_PRELOAD", False),
        login_failure_limit=_positive("LOGIN_FAILURE_LIMIT", 5),
        login_lockout_minutes=_positive("LOGIN_LOCKOUT_MINUTES", 15),
        api_token_rate=_rate("API_TOKEN_RATE", "600/minute"),
        live_auth_recheck_seconds=_positive("LIVE_AUTH_RECHECK_SECONDS", 30),
    )
