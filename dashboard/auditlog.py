"""Reading the audit log: who may see which entries, filters and search."""
from __future__ import annotations

from datetime import datetime, time

from django.db.models import Q, QuerySet
from django.utils.timezone import make_aware
from rest_framework import serializers

from ari_bridge import preview

from .access import Actor
from .inputs import MAX_FILTER_TEXT, ChoiceField, QuerySerializer
from .models import AuditEntry

MAX_LIMIT = 1000


class MomentField(serializers.DateTimeField):
    """A date and time (UTC unless it says otherwise), or a date alone: from its first or to its last moment."""

    default_error_messages = {"moment": "must be a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDThh:mm[:ss], UTC"
                                        " unless an offset follows), not {input}"}

    def __init__(self, *, end: bool, **kwargs):
        self.end = end
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        try:
            if isinstance(value, str) and len(value) == len("2024-01-31"):
                day = serializers.DateField().run_validation(value)
                return make_aware(datetime.combine(day, time.max if self.end else time.min))
            return super().to_internal_value(value)
        except serializers.ValidationError:
            self.fail("moment", input=preview(value))


class AuditFilters(QuerySerializer):
    """The filters of the audit page, its CSV export and GET /api/v1/audit."""

    q = serializers.CharField(required=False, max_length=MAX_FILTER_TEXT,
                              help_text="in the channel, user name, action or message")
    user = serializers.CharField(required=False, max_length=AuditEntry._meta.get_field("username").max_length)
    action = serializers.CharField(required=False, max_length=AuditEntry._meta.get_field("action").max_length)
    outcome = ChoiceField(choices=AuditEntry.Outcome.values, required=False)
    since = MomentField(end=False, required=False, help_text="a date or an ISO 8601 date and time (UTC)")
    until = MomentField(end=True, required=False, help_text="a date (the whole day) or an ISO 8601 date and time")


class AuditApiQuery(AuditFilters):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT, default=100)


def filtered_entries(actor: Actor, filters: dict) -> QuerySet:
    """The entries `actor` may see that pass AuditFilters' validated `filters`."""
    entries = AuditEntry.objects.all()
    if "view_all_audit" not in actor.perms:
        entries = entries.filter(user=actor.user)
    if q := filters.get("q"):
        entries = entries.filter(Q(channel_id__icontains=q) | Q(channel_name__icontains=q) | Q(message__icontains=q)
                                 | Q(username__icontains=q) | Q(action__icontains=q))
    if user := filters.get("user"):
        entries = entries.filter(username=user)
    if action := filters.get("action"):
        entries = entries.filter(action=action)
    if outcome := filters.get("outcome"):
        entries = entries.filter(outcome=outcome)
    if since := filters.get("since"):
        entries = entries.filter(at__gte=since)
    if until := filters.get("until"):
        entries = entries.filter(at__lte=until)
    return entries
