"""Who may see the wallboard: the view_wallboard permission (supervisors and admins; a site may give
it to the noc group in the admin). Every refusal is audited."""
from __future__ import annotations

from .. import audit
from ..access import Actor
from ..models import AuditEntry

PERMISSION = "view_wallboard"
ACTION = "view_wallboard"


def may_view(actor: Actor) -> bool:
    return PERMISSION in actor.perms


def refusal(actor: Actor, source: str) -> str:
    """Audit a refused look at the wallboard; returns the reason in words."""
    message = f"your role ({actor.role_label}) may not see the wallboard: it is for supervisors and admins"
    audit.record(actor=actor, action=ACTION, outcome=AuditEntry.Outcome.DENIED, status=403, message=message,
                 source=source)
    return message
