"""Logins and logouts in the audit log, and the login page's answer to a locked-out attempt (django-axes)."""
from __future__ import annotations

import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import get_user_model, user_logged_in, user_logged_out, user_login_failed
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render

from .models import AuditEntry

LOGIN, LOGOUT, LOGIN_FAILED, LOGIN_LOCKED = "login", "logout", "login_failed", "login_locked"
# What a login attempt's audit entry may keep of the name someone typed.
USERNAME_CAP = 150


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login that comes with a request: the login pages, the admin's.

    Code that authenticates without one (Django's test client's login(), a shell) is no one guessing
    over the network, and axes would refuse it outright.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def _address(request) -> str:
    if request is None:
        return ""
    return getattr(request, "axes_ip_address", None) or get_client_ip_address(request) or ""


def _source(request) -> str:
    return "admin" if request is not None and request.path.startswith("/admin/") else "web"


def _record(*, user, username: str, action: str, outcome: str, status: int, message: str, request) -> None:
    AuditEntry.objects.create(user=user, username=username[:USERNAME_CAP], action=action, outcome=outcome,
                              status=status, message=message, params={"address": _address(request)},
                              source=_source(request))


def _logged_in(sender, request, user, **kwargs):
    _record(user=user, username=user.get_username(), action=LOGIN, outcome=AuditEntry.Outcome.OK, status=200,
            message="logged in", request=request)


def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        _record(user=user, username=user.get_username(), action=LOGOUT, outcome=AuditEntry.Outcome.OK,
                status=200, message="logged out", request=request)


def _login_failed(sender, credentials, request=None, **kwargs):
    # Runs after django-axes' own receiver (axes comes first in INSTALLED_APPS), so its verdict is known.
    typed = str(credentials.get("username") or "")
    user = get_user_model().objects.filter(username=typed).first() if typed else None
    if getattr(request, "axes_locked_out", False):
        action, status, message = LOGIN_LOCKED, 429, "locked out: too many failed logins"
    else:
        action, status, message = LOGIN_FAILED, 401, "wrong user name or password"
    _record(user=user, username=typed or "(none)", action=action, outcome=AuditEntry.Outcome.DENIED,
            status=status, message=message, request=request)


def lockout_message() -> str:
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return (f"Too many failed logins for this account or from this address: logging in is locked for"
            f" {minutes} minute{'s' if minutes != 1 else ''}. Try again later, or ask an administrator.")


def lockout_response(request, *args):
    """The login page again, with why, answered 429 (django-axes' AXES_LOCKOUT_CALLABLE).

    axes passes (request, response, credentials) on a sync stack and (request, credentials) on an
    async one; neither is needed here.
    """
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")[:USERNAME_CAP]})
    response = render(request, "registration/login.html",
                      {"form": form, "locked_out": lockout_message(),
                       "next": request.POST.get("next", "")}, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


def connect_signals() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="signins.logged_in")
    user_logged_out.connect(_logged_out, dispatch_uid="signins.logged_out")
    user_login_failed.connect(_login_failed, dispatch_uid="signins.login_failed")
