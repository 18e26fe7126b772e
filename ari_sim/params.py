"""Request parameters the way Asterisk's generated ARI stubs read them.

Query parameters: when a name repeats, the last one wins (Asterisk overwrites as it parses).
A JSON object body: every key but `variables` acts as a query parameter and overrides it.
Integers are read with C's `atoi` (so `timeout=abc` is 0), booleans with `ast_true`.
"""
from __future__ import annotations

from typing import Any, Mapping

from .errors import AriError

_TRUE_WORDS = frozenset(("yes", "true", "y", "t", "1", "on"))


def atoi(text: str | None) -> int:
    """C `atoi`: optional sign and leading digits, anything else stops the number (0 if none)."""
    if not text:
        return 0
    text = text.lstrip()
    sign = 1
    index = 0
    if text and text[0] in "+-":
        sign = -1 if text[0] == "-" else 1
        index = 1
    end = index
    while end < len(text) and text[end].isdigit():
        end += 1
    return sign * int(text[index:end]) if end > index else 0


def ast_true(text: str | None) -> bool:
    return bool(text) and text.strip().lower() in _TRUE_WORDS


def _body_value(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(int(value)) if isinstance(value, int) or value.is_integer() else str(value)
    if isinstance(value, list):
        return ",".join(v for v in (_body_value(item) for item in value) if v is not None)
    return None


class Params:
    """The merged query and body parameters of one request."""

    __slots__ = ("values", "body", "variables")

    def __init__(self, query: Mapping[str, str], body: Any = None):
        self.values: dict[str, str] = dict(query)
        self.body = body
        self.variables: Any = None
        if isinstance(body, dict):
            for key, value in body.items():
                if key == "variables":
                    self.variables = value
                    continue
                text = _body_value(value)
                if text is not None:
                    self.values[key] = text

    def str(self, name: str) -> str | None:
        """The value, or None when absent or empty (Asterisk's `ast_strlen_zero`)."""
        value = self.values.get(name)
        return value if value else None

    def raw(self, name: str) -> str | None:
        return self.values.get(name)

    def int(self, name: str, default: int = 0) -> int:
        value = self.values.get(name)
        return default if value is None else atoi(value)

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        return default if value is None else ast_true(value)

    def list(self, name: str) -> list[str]:
        value = self.values.get(name)
        if not value:
            return []
        return [part for part in value.split(",") if part]

    def channel_variables(self) -> list[tuple[str, str, bool]]:
        """The body's `variables` as (name, value, report_events), checked like Asterisk does."""
        raw = self.variables
        if raw is None:
            return []
        if not isinstance(raw, dict):
            raise AriError(400, _VARIABLES_MESSAGE)
        result = []
        for name, value in raw.items():
            if isinstance(value, str):
                result.append((name, value, False))
            elif isinstance(value, dict) and isinstance(value.get("value"), str):
                report = value.get("report_events", False)
                result.append((name, value["value"], report is True or ast_true(str(report))))
            else:
                raise AriError(400, _VARIABLES_MESSAGE)
        return result


_VARIABLES_MESSAGE = (
    "Each value in 'variables' must be a string or an object with 'value' and optional 'report_events'"
)
