"""REST endpoints of the Stuck view: the dry-run preview and the bulk hangup (dashboard/sweep.py)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import sweep
from ..access import Actor


class StuckApi(APIView):
    """The stuck channels now, each with the rules that caught it: exactly what a sweep would hang up."""

    @extend_schema(operation_id="stuck_preview", summary="Stuck channels (dry run)",
                   parameters=[OpenApiParameter("server", str, description="only this Asterisk server")],
                   responses={200: dict})
    def get(self, request):
        return Response(sweep.preview(Actor(request.user), server=request.query_params.get("server") or None))


class StuckHangupApi(APIView):
    """Hang up the given stuck channels, each audited on its own; a channel already gone counts as done."""

    @extend_schema(
        operation_id="stuck_hangup", summary="Hang up stuck channels",
        request=inline_serializer("StuckHangupRequest", {
            "channels": serializers.ListField(child=serializers.CharField(), help_text="uids: server:id"),
            "reason": serializers.ChoiceField(choices=sweep.HANGUP_REASONS, default=sweep.DEFAULT_REASON),
            "confirm": serializers.BooleanField(help_text="must be true")}),
        responses={200: dict})
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        actor = Actor(request.user)
        keys, reason = sweep.check_request(actor, data.get("channels"), data.get("reason"), data.get("confirm"),
                                           source="stuck")
        summary = sweep.hangup(actor, keys, reason, source="stuck")
        return Response({**summary, "counts": sweep.summary_counts(summary)})
