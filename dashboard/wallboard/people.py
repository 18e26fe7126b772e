"""Who is on which endpoint: active users whose profile names their phone, with their group (role).

Read from the database at most every ``TTL`` seconds per process: a wallboard follows phones, and a
profile edited in the admin shows on the next refresh.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from ..models import Profile
from ..roles import ADMIN, ROLES

TTL = 15.0
NO_GROUP = ""  # an endpoint without a user, or a user without a role


@dataclass(frozen=True, slots=True)
class Person:
    username: str
    name: str  # full name, or the username
    group: str  # the first of the user's roles (admin for a superuser), or NO_GROUP
    extension: str


def _group(user, groups: set[str]) -> str:
    if user.is_superuser:
        return ADMIN
    return next((role for role in ROLES if role in groups), NO_GROUP)


def load_people() -> dict[str, Person]:
    """endpoint ("PJSIP/alice") -> the person on it (the first by username when several share one)."""
    people: dict[str, Person] = {}
    profiles = (Profile.objects.exclude(endpoint="").filter(user__is_active=True)
                .select_related("user").prefetch_related("user__groups").order_by("user__username"))
    for profile in profiles:
        user = profile.user
        people.setdefault(profile.endpoint, Person(
            username=user.get_username(), name=user.get_full_name() or user.get_username(),
            group=_group(user, {g.name for g in user.groups.all()}), extension=profile.extension))
    return people


_cache: tuple[float, dict[str, Person]] | None = None


def people() -> dict[str, Person]:
    global _cache
    now = time.monotonic()
    if _cache is None or now - _cache[0] > TTL:
        _cache = (now, load_people())
    return _cache[1]


def forget() -> None:
    """Drop the cache (tests, or after an edit that must show at once)."""
    global _cache
    _cache = None
