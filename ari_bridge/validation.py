"""Every parameter rule the client checks before it sends anything.

The allowed values come from the ARI spec; where the recorded Asterisk refused what the
spec allows (or accepted what it forbids), the recording decides (see the comments).
``validate(operation, params)`` raises ``ValidationError(parameter, message)`` naming the
first offending parameter by its Python name, and returns the values to send (media and
channel lists joined, defaults that Asterisk needs filled in).
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from .errors import ValidationError, preview
from .operations import (
    BRIDGE_TYPES,
    EXTERNAL_MEDIA_CONNECTION_TYPES,
    EXTERNAL_MEDIA_DIRECTIONS,
    EXTERNAL_MEDIA_ENCAPSULATIONS,
    EXTERNAL_MEDIA_TRANSPORTS,
    HANGUP_REASONS,
    INT_MAX,
    MAX_DTMF,
    MAX_ID_LENGTH,
    MAX_ITEMS,
    MAX_NAME,
    MAX_VALUE,
    MAX_WORD,
    MEDIA_SCHEMES,
    MUTE_DIRECTIONS,
    OPERATIONS,
    RECORD_IF_EXISTS,
    RECORD_TERMINATE_ON,
    SNOOP_DIRECTIONS,
    Operation,
    Param,
)

__all__ = [
    "BRIDGE_TYPES",
    "DTMF_CHARACTERS",
    "EXTERNAL_MEDIA_CONNECTION_TYPES",
    "EXTERNAL_MEDIA_DIRECTIONS",
    "EXTERNAL_MEDIA_ENCAPSULATIONS",
    "EXTERNAL_MEDIA_TRANSPORTS",
    "HANGUP_REASONS",
    "MAX_ID_LENGTH",
    "MEDIA_SCHEMES",
    "MUTE_DIRECTIONS",
    "RECORD_IF_EXISTS",
    "RECORD_TERMINATE_ON",
    "SNOOP_DIRECTIONS",
    "max_length",
    "maximum",
    "validate",
]

DTMF_CHARACTERS = frozenset("0123456789ABCDabcd*#,")
_DIALPLAN = ("extension", "context", "priority", "label")
# No value has a use for them, and in a dial string, a SIP header or a file name they split or end it;
# a lone surrogate has no UTF-8 at all.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
# Tech/resource. The resource keeps what SIP URIs and Local channels need (PJSIP/trunk/sip:+44...@host;
# transport=tcp, Local/100@default/n) and nothing that separates several endpoints (',' '&' '|') or
# ends one (spaces).
_ENDPOINT = re.compile(r"[A-Za-z][A-Za-z0-9_]*/[A-Za-z0-9_.@:+*#;=~!%/\[\]()?-]+")
_WORD = re.compile(r"[A-Za-z0-9_-]+")
# A Stasis application's name: ARI lists several with ',' (?app=a,b), and Stasis() takes its arguments after one.
_APP = re.compile(r"[A-Za-z0-9_.-]+")
_HOST_PORT = re.compile(r"(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})")
_REASON_CODE = re.compile(r"[0-9]{1,3}")
MAX_CAUSE = 127  # Q.850 causes are 7 bits
# The text kinds' caps when the parameter names none.
_MAX_LENGTH = {"id": MAX_ID_LENGTH, "dtmf": MAX_DTMF, "word": MAX_WORD, "words": MAX_NAME, "media": MAX_NAME,
               "channels": MAX_ID_LENGTH, "host_port": MAX_NAME, "endpoint": MAX_NAME}


def _fail(param: Param, message: str) -> ValidationError:
    return ValidationError(param.name, message)


def max_length(param: Param) -> int:
    """The most characters a text parameter (or each item of a list) may hold."""
    return param.max_length or _MAX_LENGTH.get(param.kind, MAX_NAME)


def maximum(param: Param) -> int:
    """The largest value an integer parameter may take."""
    return INT_MAX if param.maximum is None else param.maximum


def _checked_text(param: Param, value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise _fail(param, f"must be text, not {type(value).__name__}")
    if len(value) > limit:
        raise _fail(param, f"must be at most {limit} characters, not {len(value)}")
    if _CONTROL.search(value):
        raise _fail(param, "must not hold control characters (line breaks, tabs...) nor broken Unicode")
    return value


def _text(param: Param, value: Any) -> str:
    text = _checked_text(param, value, max_length(param))
    if param.required and not text.strip():
        raise _fail(param, "is required")
    return text


def _id(param: Param, value: Any) -> str:
    text = _text(param, value)
    if not text:
        raise _fail(param, "must not be empty")
    if text in (".", ".."):
        # A URL path cannot name it: every HTTP stack folds it into the parent path.
        raise _fail(param, "cannot be '.' or '..'")
    return text


def _int(param: Param, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(param, f"must be an integer, not {preview(value)}")
    if param.minimum is not None and value < param.minimum:
        raise _fail(param, f"must be at least {param.minimum}")
    if value > maximum(param):
        raise _fail(param, f"must be at most {maximum(param)}")
    return value


def _bool(param: Param, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(param, "must be true or false")
    return value


def _choice(param: Param, value: Any) -> str:
    if value not in param.choices:
        raise _fail(param, f"must be one of {', '.join(param.choices)}, not {preview(value)}")
    return value  # type: ignore[no-any-return]


def _endpoint(param: Param, value: Any) -> str:
    text = _text(param, value)
    if not _ENDPOINT.fullmatch(text):
        raise _fail(param, "must be technology/resource, e.g. PJSIP/alice or Local/100@default, without spaces,"
                           " ',', '&' or '|'")
    return text


def _word(param: Param, value: Any) -> str:
    text = _text(param, value)
    if not _WORD.fullmatch(text):
        raise _fail(param, "may hold only letters, digits, '_' and '-'")
    return text


def _app(param: Param, value: Any) -> str:
    text = _text(param, value)
    if not _APP.fullmatch(text):
        raise _fail(param, "may hold only letters, digits, '.', '_' and '-'")
    return text


def _words(param: Param, value: Any) -> str:
    items = _items(param, value)
    for item in items:
        if not _WORD.fullmatch(item):
            raise _fail(param, f"{preview(item)}: a name holds only letters, digits, '_' and '-'")
    return ",".join(items)


def _host_port(param: Param, value: Any) -> str:
    text = _text(param, value)
    match = _HOST_PORT.fullmatch(text)
    if not match or not 0 < int(match["port"]) <= 65535:
        raise _fail(param, "must be host:port, e.g. 127.0.0.1:40000, with a port from 1 to 65535")
    return text


def _items(param: Param, value: Any) -> list[str]:
    """A comma-separated text or a sequence of texts, as a list of non-empty items."""
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        parts = [part for v in value for part in v.split(",")]
    else:
        raise _fail(param, "must be text or a list of texts")
    if len(parts) > MAX_ITEMS:
        raise _fail(param, f"may hold at most {MAX_ITEMS} items, not {len(parts)}")
    limit = max_length(param)
    parts = [_checked_text(param, part, limit).strip() for part in parts]
    if not parts or not all(parts):
        raise _fail(param, "must not be empty, nor hold an empty item")
    return parts


def _relative_path(param: Param, text: str, what: str) -> str:
    # Asterisk reads the file below its sounds or recordings folder: no way out of it.
    if text.startswith("/") or "\\" in text or ".." in text.split("/"):
        raise _fail(param, f"{what} must be a relative name without '..' (it stays in Asterisk's folder)")
    return text


def _media(param: Param, value: Any) -> str:
    uris = _items(param, value)
    for uri in uris:
        scheme, sep, rest = uri.partition(":")
        if not sep or scheme not in MEDIA_SCHEMES:
            raise _fail(param, f"{preview(uri)}: the scheme must be one of "
                               f"{', '.join(s + ':' for s in MEDIA_SCHEMES)}")
        if not rest.strip():
            raise _fail(param, f"{preview(uri)} names nothing after '{scheme}:'")
        if scheme in ("sound", "recording"):
            _relative_path(param, rest, f"a {scheme}")
    return ",".join(uris)


def _dtmf(param: Param, value: Any) -> str:
    text = _text(param, value)
    if not text:
        raise _fail(param, "is required")
    bad = sorted(set(text) - DTMF_CHARACTERS)
    if bad:
        raise _fail(param, f"may hold only 0-9 A-D * # and ',' (a pause), not {preview(''.join(bad))}")
    return text


def _variables(param: Param, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise _fail(param, "must be a mapping of variable names to text values")
    if len(value) > MAX_ITEMS:
        raise _fail(param, f"may hold at most {MAX_ITEMS} variables, not {len(value)}")
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip():
            raise _fail(param, f"variable names must be non-empty text, not {preview(key)}")
        if len(key) > MAX_NAME or _CONTROL.search(key):
            raise _fail(param, f"{preview(key)}: a variable name holds at most {MAX_NAME} characters"
                               " and no control character")
        if not isinstance(item, str):
            raise _fail(param, f"{preview(key)}: values must be text, not {type(item).__name__}")
        if len(item) > MAX_VALUE or _CONTROL.search(item):
            raise _fail(param, f"{preview(key)}: a value holds at most {MAX_VALUE} characters"
                               " and no control character")
    return dict(value)


def _recording(param: Param, value: Any) -> str:
    text = _text(param, value)
    if not text:
        raise _fail(param, "is required")
    # Asterisk refuses "../escape" (500 "Error parsing request"): say so before asking.
    return _relative_path(param, text, "a recording name")


def _channels(param: Param, value: Any) -> str:
    items = _items(param, value)
    for item in items:
        _id(param, item)
    return ",".join(items)


def _segment(param: Param, value: Any) -> str:
    text = _text(param, value)
    if not text.strip():
        raise _fail(param, "must not be empty")
    if text in (".", ".."):
        raise _fail(param, "cannot be '.' or '..'")
    return text


def _technology(param: Param, value: Any) -> str:
    text = _segment(param, value)
    if "/" in text or text != text.strip():
        raise _fail(param, "must be a technology name such as PJSIP, without '/' or spaces")
    return text


def _bridge_type(param: Param, value: Any) -> str:
    items = _items(param, value)
    for item in items:
        if item not in BRIDGE_TYPES:
            raise _fail(param, f"{preview(item)} is not one of {', '.join(BRIDGE_TYPES)}")
    return ",".join(items)


_KINDS = {
    "str": _text,
    "id": _id,
    "int": _int,
    "bool": _bool,
    "choice": _choice,
    "endpoint": _endpoint,
    "media": _media,
    "dtmf": _dtmf,
    "variables": _variables,
    "recording": _recording,
    "channels": _channels,
    "bridge_type": _bridge_type,
    "segment": _segment,
    "technology": _technology,
    "word": _word,
    "words": _words,
    "host_port": _host_port,
    "app": _app,
}


def _originate(op: Operation, values: dict[str, Any]) -> None:
    dialplan = [name for name in _DIALPLAN if name in values]
    if "app" in values and dialplan:
        raise ValidationError(dialplan[0], "goes to the dialplan: it cannot be given with app")
    if "app_args" in values and "app" not in values:
        raise ValidationError("app_args", "goes with app (a Stasis application)")
    if "app" not in values and "extension" not in values:
        # Asterisk: 400 "Application or extension must be specified".
        raise ValidationError("app", "give app (a Stasis application) or extension (a dialplan destination)")
    _originator(values)


def _originator(values: dict[str, Any]) -> None:
    if "originator" in values and "formats" in values:
        raise ValidationError("formats", "cannot be given with originator (it takes the originator's)")


def _hangup(op: Operation, values: dict[str, Any]) -> None:
    if "reason" in values and "reason_code" in values:
        raise ValidationError("reason_code", "cannot be given with reason")
    code = values.get("reason_code")
    if code is not None and not (_REASON_CODE.fullmatch(code) and int(code) <= MAX_CAUSE):
        raise ValidationError("reason_code", f"must be a Q.850 cause number from 0 to {MAX_CAUSE}, e.g. 16")


def _snoop(op: Operation, values: dict[str, Any]) -> None:
    if values.get("spy", "none") == "none" and values.get("whisper", "none") == "none":
        # Asterisk: 400 "Direction must be specified for at least spy or whisper".
        raise ValidationError("spy", "give spy or whisper a direction (in, out or both)")


def _external_media(op: Operation, values: dict[str, Any]) -> None:
    encapsulation = values.get("encapsulation", "rtp")
    transport = values.get("transport", "udp")
    if encapsulation == "rtp" and transport != "udp":
        # Asterisk: 400 "transport must be 'udp' for rtp encapsulation".
        raise ValidationError("transport", "must be udp for rtp encapsulation")
    if encapsulation == "audiosocket":
        if transport != "tcp":
            raise ValidationError("transport", "must be tcp for audiosocket encapsulation")
        if not values.get("data"):
            # Asterisk: 400 "data can not be empty" (AudioSocket sends it as the call's UUID).
            raise ValidationError("data", "is required for audiosocket (the session's UUID)")


_CHECKS = {
    "originate": _originate,
    "originate_with_id": _originate,
    "create": lambda op, values: _originator(values),
    "hangup": _hangup,
    "snoop_channel": _snoop,
    "snoop_channel_with_id": _snoop,
    "external_media": _external_media,
}


def validate(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Check one operation's parameters (Python names; None means not given)."""
    op = OPERATIONS[operation]
    known = {p.name: p for p in op.params}
    for name in params:
        if name not in known:
            raise ValidationError(str(name), f"is not a parameter of {operation}", operation=operation)
    values: dict[str, Any] = {}
    for param in op.params:
        value = params.get(param.name)
        if value is None:
            if param.required:
                raise ValidationError(param.name, "is required", operation=operation)
            if param.default is not None:
                values[param.name] = param.default
            continue
        values[param.name] = _KINDS[param.kind](param, value)
    check = _CHECKS.get(operation)
    if check is not None:
        check(op, values)
    return values
