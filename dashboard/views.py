"""Pages: server-rendered shells; the live data arrives over the WebSocket and the REST API."""
from __future__ import annotations

import csv
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import render

from .access import Actor
from .actions import catalogue
from .auditlog import AuditFilters, filtered_entries
from .inputs import MAX_FILTER_TEXT, first_error, invalid
from .models import AuditEntry


def boot_data(actor: Actor) -> dict:
    return {
        "user": {"username": actor.username, "roles": actor.roles, "endpoint": actor.endpoint},
        "own_calls_only": not actor.sees_all,
        "allowed": actor.allowed_map(),
        "actions": catalogue(),
        "servers": [s.name for s in settings.ARI_SERVERS],
        "ws_url": "/ws/live/",
        "api_root": "/api/v1/",
        "csrf_header": "X-CSRFToken",
    }


def _page(request, template: str, **context):
    actor = Actor(request.user)
    return render(request, template, {"boot": boot_data(actor), "actor": actor, **context})


@login_required
def channels(request):
    return _page(request, "dashboard/channels.html")


@login_required
def channel_detail(request, server: str, channel_id: str):
    if server not in {s.name for s in settings.ARI_SERVERS}:
        raise Http404("unknown server")
    return _page(request, "dashboard/channel_detail.html", server=server, channel_id=channel_id,
                 uid=f"{server}:{channel_id}")


@login_required
def stuck(request):
    """The Stuck view (NOC): only for roles that may hang up any call; others get a 403 page."""
    from .sweep import may_sweep

    actor = Actor(request.user)
    response = _page(request, "dashboard/stuck.html", may_sweep=may_sweep(actor))
    if not may_sweep(actor):
        response.status_code = 403
    return response


@login_required
def sessions_page(request):
    """Everyone's calls and monitoring, live: for those who supervise (supervisors, admins)."""
    actor = Actor(request.user)
    response = _page(request, "dashboard/sessions.html", page_data={"steer_any": actor.steers_any_session})
    if not actor.sees_all_sessions:
        response.status_code = 403
    return response


@login_required
def originate(request):
    return _page(request, "dashboard/originate.html")


@login_required
def audit_log(request):
    actor = Actor(request.user)
    filters = AuditFilters(data=request.GET)
    valid = filters.is_valid()
    # With a bad filter the page says which, beside its field, and lists nothing rather than the wrong entries.
    entries = filtered_entries(actor, filters.validated_data) if valid else AuditEntry.objects.none()
    page_obj = Paginator(entries, 50).get_page(request.GET.get("page"))
    visible = AuditEntry.objects.all() if "view_all_audit" in actor.perms else AuditEntry.objects.filter(user=request.user)
    errors = {} if valid else {name: first_error(detail)[1] for name, detail in filters.errors.items()}
    response = _page(request, "dashboard/audit.html", page_obj=page_obj, errors=errors,
                     filters={name: request.GET.get(name, "")[:MAX_FILTER_TEXT] for name in AuditFilters().fields},
                     actions=sorted(set(visible.values_list("action", flat=True).distinct())),
                     users=sorted(set(visible.values_list("username", flat=True).distinct())),
                     outcomes=AuditEntry.Outcome.choices)
    response.status_code = 200 if valid else 400
    return response


class _Echo:
    def write(self, value):
        return value


CSV_FIELDS = ("at", "username", "action", "server", "channel_id", "channel_name", "params", "outcome", "status",
              "message", "source")


def _csv_cell(value) -> str:
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = "" if value is None else str(value)
    # A cell starting with = + - @ would run as a formula in a spreadsheet: caller names are untrusted.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
def audit_export(request):
    filters = AuditFilters(data=request.GET)
    if not filters.is_valid():
        error = invalid(filters.errors)
        return JsonResponse(error.as_dict(), status=error.status)
    entries = filtered_entries(Actor(request.user), filters.validated_data)
    writer = csv.writer(_Echo())

    # An async iterator: the ASGI server streams it without a thread per chunk (and without a warning).
    async def rows():
        yield writer.writerow(CSV_FIELDS)
        async for entry in entries.aiterator(chunk_size=500):
            yield writer.writerow([_csv_cell(getattr(entry, f).isoformat() if f == "at" else getattr(entry, f))
                                   for f in CSV_FIELDS])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="switchboard-audit.csv"'
    return response
