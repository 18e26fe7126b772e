"""Reading the audit log: who may see which entries, filters and search."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import make_aware

from .access import Actor
from .models import AuditEntry


def _when(raw: str | None, *, end: bool) -> datetime | None:
    if not raw:
        return None
    moment = parse_datetime(raw)
    if moment is None:
        day = parse_date(raw)
        if day is None:
            return None
        moment = datetime.combine(day, datetime.max.time() if end else datetime.min.time())
    return make_aware(moment) if moment.tzinfo is None else moment


def filtered_entries(actor: Actor, query: Mapping) -> tuple[QuerySet, dict]:
    entries = AuditEntry.objects.all()
    if "view_all_audit" not in actor.perms:
        entries = entries.filter(user=actor.user)
    filters = {key: (query.get(key) or "").strip() for key in ("q", "user", "action", "outcome", "since", "until")}
    if filters["q"]:
        q = filters["q"]
        entries = entries.filter(Q(channel_id__icontains=q) | Q(channel_name__icontains=q) | Q(message__icontains=q)
                                 | Q(username__icontains=q) | Q(action__icontains=q))
    if filters["user"]:
        entries = entries.filter(username=filters["user"])
    if filters["action"]:
        entries = entries.filter(action=filters["action"])
    if filters["outcome"]:
        entries = entries.filter(outcome=filters["outcome"])
    since, until = _when(filters["since"], end=False), _when(filters["until"], end=True)
    if since:
        entries = entries.filter(at__gte=since)
    if until:
        entries = entries.filter(at__lte=until)
    return entries, filters
