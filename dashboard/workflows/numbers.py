"""Click-to-call numbers: normalise what a person typed or pasted, then check it against the dial plan."""
from __future__ import annotations

import re
from dataclasses import dataclass

from switchboard.env import DialRules

_SEPARATORS = re.compile(r"[\s\-./()\u00a0]")


class NumberRejected(ValueError):
    pass


@dataclass(frozen=True)
class Dialled:
    typed: str
    number: str  # what the dialplan gets
    external: bool


def normalise(typed: str) -> str:
    """'+44 (20) 7946-0018' -> '+442079460018'; 'tel:100' -> '100'."""
    text = (typed or "").strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    return _SEPARATORS.sub("", text)


def check(typed: str, rules: DialRules, roles: list[str]) -> Dialled:
    number = normalise(typed)
    if not number:
        raise NumberRejected("enter a number or extension")
    if len(number) > 32:
        raise NumberRejected("that number is too long")
    if not re.fullmatch(r"\+?[0-9*#]+", number):
        raise NumberRejected("a number may only hold digits, * and #, and start with +")
    if number.startswith("+"):
        number = rules.plus_prefix + number[1:]
    if re.search(rules.internal, number):
        external = False
    elif re.search(rules.external, number):
        external = True
    else:
        raise NumberRejected(f"{number} is neither an extension nor an outside number this dashboard may dial")
    for role in ["*", *roles]:
        for pattern in rules.blocked.get(role, ()):
            if re.search(pattern, number):
                who = "anyone" if role == "*" else f"the {role} role"
                raise NumberRejected(f"{number} is blocked for {who} (premium or barred range)")
    return Dialled(typed=typed, number=rules.outbound_prefix + number if external else number, external=external)
