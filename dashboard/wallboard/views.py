"""The wallboard page (/wallboard/) and its REST view (GET /api/v1/wallboard)."""
from __future__ import annotations

import time

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import runtime
from ..access import Actor
from ..services import ActionError
from ..views import boot_data
from . import people
from .access import may_view, refusal
from .consumer import READY_TIMEOUT
from .tiles import board, counters

WS_URL = "/ws/wallboard/"


@login_required
def wallboard(request):
    """Supervisors and admins; anyone else gets a 403 page, and the attempt is audited."""
    actor = Actor(request.user)
    allowed = may_view(actor)
    reason = "" if allowed else refusal(actor, "web")
    boot = boot_data(actor)
    if allowed:
        boot["ws_url"] = WS_URL  # the page's live socket (static/js/common.js) is the wallboard's
    return render(request, "dashboard/wallboard.html", {"boot": boot, "actor": actor, "may_view": allowed,
                                                       "reason": reason}, status=200 if allowed else 403)


class WallboardApi(APIView):
    """Every tile, the counters and the last hour's calls: what the wallboard page shows."""

    @extend_schema(operation_id="wallboard", summary="The wallboard", responses={200: dict})
    def get(self, request):
        actor = Actor(request.user)
        if not may_view(actor):
            raise ActionError(403, refusal(actor, "api"), "forbidden")
        replica = runtime.get().wallboard
        if not runtime.call(replica.wait_ready(READY_TIMEOUT)):
            raise ActionError(503, "the live listener has not answered yet; try again in a moment",
                              "listener_unavailable")
        now = time.time()
        tiles = board(replica.tiles.values(), people.people())
        return Response({"now": now, "servers": replica.servers, "tiles": tiles, "counters": counters(tiles, now),
                         "history": {"bucket_seconds": replica.bucket_seconds, "points": replica.history}})
