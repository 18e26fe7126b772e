"""The signed-in user's own API token: create (shown once), replace, revoke; each change audited."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponseBadRequest, HttpResponseNotAllowed
from django.views.decorators.cache import never_cache
from rest_framework.authtoken.models import Token

from . import audit
from .access import Actor
from .models import AuditEntry
from .views import _page

CREATED, REVOKED = "token_created", "token_revoked"


def _audit(actor: Actor, action: str, message: str) -> None:
    audit.record(actor=actor, action=action, outcome=AuditEntry.Outcome.OK, status=200, message=message,
                 source="web")


@never_cache  # the new key is in the answer: no cache may keep it
@login_required
def api_token(request):
    actor = Actor(request.user)
    new_key = None
    if request.method == "POST":
        todo = request.POST.get("do")
        if todo not in ("create", "revoke"):
            return HttpResponseBadRequest("do must be create or revoke")  # and nothing changed
        with transaction.atomic():
            # Deleting the old token also closes the live sockets opened with it (dashboard/authstate.py).
            revoked = Token.objects.filter(user=request.user).delete()[0]
            if revoked:
                _audit(actor, REVOKED, "replaced by a new token" if todo == "create" else "revoked")
            if todo == "create":
                new_key = Token.objects.create(user=request.user).key
                _audit(actor, CREATED, "created")
    elif request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    token = Token.objects.filter(user=request.user).first()
    return _page(request, "dashboard/api_token.html", token=token, new_key=new_key,
                 api_url=request.build_absolute_uri("/api/v1/me"))
