"""Roles are Django groups; what each may do is a permission on the AuditEntry model."""
from __future__ import annotations

AGENT, SUPERVISOR, NOC, ADMIN = "agent", "supervisor", "noc", "admin"
ROLES = (AGENT, SUPERVISOR, NOC, ADMIN)

# codename -> description; the codenames are what the code checks.
PERMISSIONS = {
    "see_all_channels": "See every channel, not only calls of one's own endpoint",
    "basic_control": "Hang up, hold, mute and send DTMF (agents: own calls only)",
    "click_to_call": "Originate a call from one's own endpoint",
    "media_control": "Music on hold, silence, ring, answer and play media",
    "monitor_calls": "Snoop (listen, whisper, barge) and record calls",
    "technical_control": "Redirect, continue, move, dial, variables, RTP statistics, external media, originate to any endpoint",
    "view_all_audit": "See every user's audit entries",
    "view_wallboard": "See the wallboard: every person's phone, whom they talk to and for how long",
}

ROLE_PERMISSIONS = {
    AGENT: ["basic_control", "click_to_call"],
    SUPERVISOR: ["see_all_channels", "basic_control", "click_to_call", "media_control", "monitor_calls", "view_all_audit",
                 "view_wallboard"],
    NOC: ["see_all_channels", "basic_control", "media_control", "technical_control", "view_all_audit"],
    ADMIN: list(PERMISSIONS),
}
