"""Channel variables and the few dialplan functions ARI clients use (CALLERID, CONNECTEDLINE,
CHANNEL, CDR). Reading is pure; writing lives in the PBX because it raises events."""
from __future__ import annotations

import random
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


def _split_offset(expression: str) -> tuple[str, str | None]:
    """`NAME:offset[:length]` -> (NAME, "offset[:length]"); a ':' inside a function's
    parentheses is part of the name, as in Asterisk's parse_variable_name."""
    depth = 0
    for index, char in enumerate(expression):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == ":" and depth == 0:
            return expression[:index], expression[index + 1:]
    return expression, None


def _atoi(text: str) -> int:
    match = re.match(r"\s*([+-]?\d+)", text)
    return int(match.group(1)) if match else 0


def substring(value: str, spec: str) -> str:
    """`${VAR:offset:length}` as Asterisk's substring(): a negative offset counts from the
    end, a negative length leaves that many characters off the end."""
    offset_text, _, length_text = spec.partition(":")
    offset = _atoi(offset_text)
    length = _atoi(length_text) if length_text else None
    size = len(value)
    if offset < 0:
        offset = max(0, size + offset)
    if offset >= size:
        return ""
    rest = value[offset:]
    if length is None:
        return rest
    if length >= 0:
        return rest[:length]
    return rest[:len(rest) + length] if len(rest) + length > 0 else ""


def _rand(arg: str, rng) -> str:
    low_text, _, high_text = arg.partition(",")
    low = _atoi(low_text) if low_text.strip() else 0
    high = _atoi(high_text) if high_text.strip() else 2147483647
    if low > high:
        low, high = high, low
    return str((rng or _random).randint(low, high))


_random = random.Random()


def evaluate(channel: Channel, expression: str, globals_: dict | None = None, rng=None) -> str:
    """The value of one `${...}` (already expanded inside): a channel variable, a builtin, a
    function, or a global; unset is the empty string; `:offset:length` applies after."""
    name, spec = _split_offset(expression)
    try:
        if name.endswith(")") and name[:5].upper() == "RAND(":
            value = _rand(name[5:-1], rng)
        else:
            value = read_variable(channel, name)
            if value is None and globals_:
                value = globals_.get(name)
    except FunctionError:
        value = None
    value = value or ""
    return substring(value, spec) if spec is not None else value


def expand(channel: Channel, text: str, globals_: dict | None = None, rng=None) -> str:
    """Dialplan `${...}` substitution: channel variables, builtins (`EXTEN`, `CHANNEL`, ...),
    functions (`CALLERID(num)`, `RAND(1,5)`, ...), globals, `${VAR:offset:length}`, and nesting
    (`${PHONE_${EXTEN}}`: the inside is expanded first)."""
    if "${" not in text:
        return text
    out: list[str] = []
    index, size = 0, len(text)
    while index < size:
        start = text.find("${", index)
        if start < 0:
            out.append(text[index:])
            break
        out.append(text[index:start])
        depth, cursor = 1, start + 2
        while cursor < size:
            if text.startswith("${", cursor):
                depth += 1
                cursor += 2
                continue
            if text[cursor] == "}":
                depth -= 1
                if depth == 0:
                    break
            cursor += 1
        if depth:
            out.append(text[start:])  # unterminated: left as it is
            break
        inner = expand(channel, text[start + 2:cursor], globals_, rng)
        out.append(evaluate(channel, inner, globals_, rng))
        index = cursor + 1
    return "".join(out)
