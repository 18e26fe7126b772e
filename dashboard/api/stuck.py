"""REST endpoints of the Stuck view: the dry-run preview and the bulk hangup (dashboard/sweep.py)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ari_bridge.validation import MAX_ID_LENGTH

from .. import inputs, sweep
from ..access import Actor
from ..inputs import MAX_SERVER_NAME, ChoiceField, JsonBooleanField, TextField


class StuckHangupRequest(serializers.Serializer):
    channels = serializers.ListField(child=TextField(max_length=MAX_SERVER_NAME + 1 + MAX_ID_LENGTH),
                                     max_length=sweep.MAX_CHANNELS, help_text="uids: server:id")
    reason = ChoiceField(choices=sweep.HANGUP_REASONS, default=sweep.DEFAULT_REASON)
    confirm = JsonBooleanField(help_text="must be true")


class StuckApi(APIView):
    """The stuck channels now, each with the rules that caught it: exactly what a sweep would hang up."""

    @extend_schema(operation_id="stuck_preview", summary="Stuck channels (dry run)",
                   parameters=[OpenApiParameter("server", str, description="only this Asterisk server")],
                   responses={200: dict})
    def get(self, request):
        return Response(sweep.preview(Actor(request.user), server=inputs.server_param(request)))


class StuckHangupApi(APIView):
    """Hang up the given stuck channels, each audited on its own; a channel already gone counts as done."""

    audit_action = "hangup"
    audit_source = "stuck"

    @extend_schema(operation_id="stuck_hangup", summary="Hang up stuck channels", request=StuckHangupRequest,
                   responses={200: dict})
    def post(self, request):
        actor = Actor(request.user)
        data = inputs.body(request, StuckHangupRequest, actor, "hangup", source="stuck")
        keys, reason = sweep.check_request(actor, data["channels"], data["reason"], data["confirm"], source="stuck")
        summary = sweep.hangup(actor, keys, reason, source="stuck")
        return Response({**summary, "counts": sweep.summary_counts(summary)})
