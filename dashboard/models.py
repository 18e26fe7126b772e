from __future__ import annotations

from django.conf import settings
from django.db import models

from .roles import PERMISSIONS


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    # The user's own phone, as ARI names it (e.g. PJSIP/alice); agents see calls of this endpoint.
    endpoint = models.CharField(max_length=80, blank=True)
    # The number others see when this user calls out (click-to-call's caller id).
    extension = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.endpoint or 'no endpoint'})"


class AuditEntry(models.Model):
    class Outcome(models.TextChoices):
        OK = "ok", "succeeded"
        DENIED = "denied", "denied"
        INVALID = "invalid", "invalid input"
        FAILED = "failed", "failed"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    username = models.CharField(max_length=150)  # kept when the user is deleted
    action = models.CharField(max_length=64, db_index=True)
    server = models.CharField(max_length=64, blank=True)
    channel_id = models.CharField(max_length=160, blank=True, db_index=True)
    channel_name = models.CharField(max_length=200, blank=True)  # kept after the channel is gone
    params = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    status = models.PositiveSmallIntegerField(null=True, blank=True)  # ARI's (or our) HTTP status
    message = models.TextField(blank=True)
    source = models.CharField(max_length=16, blank=True)  # web, api, ws, command

    class Meta:
        ordering = ["-at", "-id"]
        permissions = list(PERMISSIONS.items())

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.channel_id} {self.outcome}"
