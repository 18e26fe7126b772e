"""Channel variables and the few dialplan functions ARI clients use (CALLERID, CONNECTEDLINE,
CHANNEL, CDR). Reading is pure; writing lives in the PBX because it raises events."""
from __future__ import annotations

import re
import time

from .state import Channel

KNOWN_FUNCTIONS = frozenset(("CALLERID", "CONNECTEDLINE", "CHANNEL", "CDR", "LEN", "ASTVERSION"))
_FUNCTION = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\((.*)\)$")


class FunctionError(Exception):
    """An unknown dialplan function (Asterisk: 500 "Unable to read provided function")."""


def split_function(name: str) -> tuple[str, str] | None:
    match = _FUNCTION.match(name)
    if not match:
        return None
    return match.group(1).upper(), match.group(2)


def _callerid(name: str, number: str, arg: str) -> str | None:
    arg = arg.strip().lower()
    if arg in ("name",):
        return name
    if arg in ("num", "number", "ani", "dnid", "rdnis"):
        return number
    if arg == "all":
        return f'"{name}" <{number}>' if name else (f"<{number}>" if number else "")
    return None


def read_variable(channel: Channel, name: str) -> str | None:
    """The value, or None when the variable is unset. Raises FunctionError for unknown functions."""
    if name.endswith(")"):
        parts = split_function(name)
        if parts is None or parts[0] not in KNOWN_FUNCTIONS:
            raise FunctionError(name)
        func, arg = parts
        if func == "CALLERID":
            value = _callerid(channel.caller_name, channel.caller_number, arg)
        elif func == "CONNECTEDLINE":
            value = _callerid(channel.connected_name, channel.connected_number, arg)
        elif func == "CHANNEL":
            value = _channel_item(channel, arg.strip().lower())
        elif func == "CDR":
            value = _cdr_item(channel, arg.strip().lower())
        elif func == "LEN":
            value = str(len(arg))
        else:  # ASTVERSION(): the capture PBX answers an empty string here.
            value = ""
        if value is None:
            raise FunctionError(name)
        return value
    if name in channel.vars:
        return channel.vars[name]
    return _builtin(channel, name)


def _channel_item(channel: Channel, item: str) -> str | None:
    return {
        "state": channel.state,
        "name": channel.name,
        "uniqueid": channel.id,
        "linkedid": channel.peer.id if channel.peer is not None and channel.half == 2 else channel.id,
        "language": channel.language,
        "accountcode": channel.accountcode,
        "channeltype": channel.tech,
        "context": channel.context,
        "exten": channel.exten,
        "callid": channel.protocol_id,
        "musicclass": channel.moh_class or "default",
        "hangupsource": "",
    }.get(item)


def _cdr_item(channel: Channel, item: str) -> str | None:
    cdr = channel.extra.setdefault("cdr", {})
    if item in cdr:
        return cdr[item]
    now = time.time()
    if item in ("duration",):
        return str(int(now - channel.created_at))
    if item in ("billsec",):
        return str(int(now - channel.answered_at)) if channel.answered_at else "0"
    if item in ("disposition",):
        return "ANSWERED" if channel.answered_at else "NO ANSWER"
    if item in ("channel",):
        return channel.name
    if item in ("uniqueid",):
        return channel.id
    if item in ("userfield", "accountcode", "amaflags", "peeraccount", "linkedid", "dst", "dcontext",
                "src", "clid", "dstchannel", "lastapp", "lastdata", "start", "answer", "end", "sequence"):
        return ""
    return ""


def _builtin(channel: Channel, name: str) -> str | None:
    if name == "CHANNEL":
        return channel.name
    if name == "UNIQUEID":
        return channel.id
    if name == "EXTEN":
        return channel.exten
    if name == "CONTEXT":
        return channel.context
    if name == "PRIORITY":
        return str(channel.priority)
    if name == "HANGUPCAUSE":
        return str(channel.hangupcause)
    if name == "EPOCH":
        return str(int(time.time()))
    if name == "LANGUAGE":
        return channel.language
    return None


_EXPAND = re.compile(r"\$\{([^{}]+)\}")


def expand(channel: Channel, text: str) -> str:
    """Dialplan `${...}` substitution, enough for the default dialplan's NoOp texts."""
    if "${" not in text:
        return text

    def one(match: re.Match) -> str:
        try:
            value = read_variable(channel, match.group(1))
        except FunctionError:
            value = ""
        return value or ""

    return _EXPAND.sub(one, text)
