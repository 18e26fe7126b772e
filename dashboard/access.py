"""Who may see which channel and do what to it. The server enforces this; the page only mirrors it."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .actions import ACTIONS, CLICK_TO_CALL, Action
from .roles import ROLES


@dataclass(frozen=True)
class Denied(Exception):
    reason: str

    def __str__(self) -> str:
        return self.reason


def endpoint_of(channel_name: str) -> str:
    """PJSIP/alice-00000012 -> PJSIP/alice; Local/100@default-00000003;1 -> Local/100@default."""
    base = channel_name.split(";", 1)[0]
    head, sep, _ = base.rpartition("-")
    return head if sep else base


class Actor:
    """A user as the access rules see them: role, permissions and own endpoint, read once per request."""

    def __init__(self, user):
        self.user = user

    @classmethod
    def from_facts(cls, user, facts) -> Actor:
        """An actor whose role, permissions and endpoint come from authstate.Facts instead of the database."""
        actor = cls(user)
        # The cached properties below read these first.
        actor.__dict__.update(perms=facts.perms, roles=list(facts.roles), endpoint=facts.endpoint,
                              extension=facts.extension)
        return actor

    @cached_property
    def perms(self) -> frozenset[str]:
        if not self.user.is_authenticated or not self.user.is_active:
            return frozenset()
        return frozenset(p.split(".", 1)[1] for p in self.user.get_all_permissions() if p.startswith("dashboard."))

    @cached_property
    def roles(self) -> list[str]:
        if self.user.is_superuser:
            return ["admin"]
        names = set(self.user.groups.values_list("name", flat=True))
        return [r for r in ROLES if r in names]

    @property
    def role_label(self) -> str:
        return ", ".join(self.roles) or "no role"

    @cached_property
    def endpoint(self) -> str:
        profile = getattr(self.user, "profile", None)
        try:
            return profile.endpoint if profile else ""
        except Exception:  # noqa: BLE001 - a missing profile row means no endpoint
            return ""

    @cached_property
    def extension(self) -> str:
        profile = getattr(self.user, "profile", None)
        return profile.extension if profile else ""

    @property
    def sees_all(self) -> bool:
        return "see_all_channels" in self.perms

    @property
    def sees_all_sessions(self) -> bool:
        """Those who monitor calls (supervisors, admins) follow everyone's sessions on the Sessions page."""
        return "monitor_calls" in self.perms

    @property
    def steers_any_session(self) -> bool:
        """Admins may stop (or change the mode of) anyone's session; others only their own."""
        return "admin" in self.roles

    @property
    def username(self) -> str:
        return self.user.get_username()

    def can_see(self, entry, own: set | None = None) -> bool:
        """Agents see their endpoint's channels and those bridged to them (`own`, from the replica's index)."""
        if self.sees_all:
            return True
        if entry is None:
            return False
        key = (entry.server, entry.channel.id)
        return bool(self.endpoint) and (endpoint_of(entry.channel.name) == self.endpoint or key in (own or ()))

    # -- actions ----------------------------------------------------------------------------

    def may(self, action: Action | str) -> bool:
        """May this role use the action at all (on some channel)?"""
        if isinstance(action, str):
            if action == CLICK_TO_CALL:
                return CLICK_TO_CALL in self.perms and bool(self.endpoint)
            action = ACTIONS[action]
        return action.permission in self.perms

    def check(self, action: Action, entry=None, own: set | None = None) -> None:
        """Raise Denied with a reason a person understands unless the action is allowed on the entry."""
        if not self.may(action):
            raise Denied(f"your role ({self.role_label}) does not allow: {action.label.lower()}")
        if action.on_channel and not self.sees_all and not self.can_see(entry, own):
            raise Denied(f"your role ({self.role_label}) allows {action.label.lower()} on your own calls only")

    def allowed_map(self) -> dict[str, bool]:
        allowed = {name: self.may(a) for name, a in ACTIONS.items()}
        allowed[CLICK_TO_CALL] = self.may(CLICK_TO_CALL)
        return allowed
