"""Starting and steering workflows (monitoring, click-to-call) from the pages, the API and the socket.

The workflows run beside the ARI event stream (the live runner); these functions check who may
do what, send the runner a command and audit the attempt.
"""
from __future__ import annotations

from django.conf import settings

from . import audit, runtime
from .access import Actor, Denied
from .actions import CLICK_TO_CALL
from .models import AuditEntry
from .monitorable import why_not_monitor
from .services import ActionError, resolve_server
from .workflows.monitor import MODES
from .workflows.numbers import NumberRejected, check

MONITOR = "monitor"


def _command(name: str, args: dict) -> dict:
    reply = runtime.call(runtime.get().replica.command(name, args))
    if "status" in reply:
        raise ActionError(reply["status"], reply["message"], "workflow")
    return reply["result"]


def _attempt(actor: Actor, action: str, fields: dict, run) -> dict:
    """Run `run()`, auditing the attempt once whatever happens."""
    try:
        result = run()
    except Denied as denied:
        audit.record(actor=actor, action=action, outcome=AuditEntry.Outcome.DENIED, status=403,
                     message=str(denied), **fields)
        raise ActionError(403, str(denied), "forbidden") from None
    except ActionError as err:
        outcome = {400: AuditEntry.Outcome.INVALID, 403: AuditEntry.Outcome.DENIED}.get(err.status,
                                                                                     AuditEntry.Outcome.FAILED)
        audit.record(actor=actor, action=action, outcome=outcome, status=err.status, message=err.message, **fields)
        raise
    audit.record(actor=actor, action=action, outcome=AuditEntry.Outcome.OK, status=200,
                 params={**fields.pop("params", {}), "session": result["id"]}, **fields)
    return result


def monitor_start(actor: Actor, *, server: str | None, channel_id: str, mode: str = "listen",
                  source: str = "api") -> dict:
    fields = {"channel_id": channel_id, "params": {"mode": mode}, "source": source}

    def run() -> dict:
        if "monitor_calls" not in actor.perms:
            raise Denied(f"your role ({actor.role_label}) does not allow listening to calls")
        if not actor.endpoint:
            raise Denied("you have no phone endpoint in your profile to listen on")
        if mode not in MODES:
            raise ActionError(400, f"mode must be one of {', '.join(MODES)}", "invalid", "mode")
        name = resolve_server(server, channel_id)
        fields["server"] = name
        replica = runtime.get().replica
        entry = replica.registry.get((name, channel_id))
        if entry is None:
            raise ActionError(404, "the channel is gone", "not_found")
        fields["channel_name"] = entry.channel.name
        refusal = why_not_monitor(entry, replica.sessions)
        if refusal:
            raise ActionError(400, refusal, "invalid", "channel")
        return _command("monitor.start", {"server": name, "channel_id": channel_id, "mode": mode,
                                          "endpoint": actor.endpoint, "owner": actor.username,
                                          "owner_id": actor.user.pk})

    return _attempt(actor, "monitor.start", fields, run)


def session_mode(actor: Actor, session_id: str, mode: str, *, source: str = "api") -> dict:
    fields = {"params": {"session": session_id, "mode": mode}, "source": source}

    def run() -> dict:
        if mode not in MODES:
            raise ActionError(400, f"mode must be one of {', '.join(MODES)}", "invalid", "mode")
        if "monitor_calls" not in actor.perms:
            raise Denied(f"your role ({actor.role_label}) does not allow listening to calls")
        return _command("monitor.mode", {"session": session_id, "mode": mode, "owner": actor.username,
                                         "any_owner": actor.steers_any_session})

    return _attempt(actor, "monitor.mode", fields, run)


def session_stop(actor: Actor, session_id: str, *, source: str = "api") -> dict:
    fields = {"params": {"session": session_id}, "source": source}

    def run() -> dict:
        return _command("flow.stop", {"session": session_id, "owner": actor.username,
                                      "any_owner": actor.steers_any_session})

    return _attempt(actor, "session.stop", fields, run)


def click_to_call(actor: Actor, destination: str, *, source: str = "api") -> dict:
    fields = {"params": {"destination": destination}, "source": source}

    def run() -> dict:
        if CLICK_TO_CALL not in actor.perms:
            raise Denied(f"your role ({actor.role_label}) does not allow placing calls")
        if not actor.endpoint:
            raise Denied("you have no phone endpoint in your profile to call from")
        try:
            dialled = check(destination, settings.DIAL_RULES, actor.roles)
        except NumberRejected as rejected:
            raise ActionError(400, str(rejected), "invalid", "destination") from None
        server = settings.CLICK_TO_CALL_SERVER or settings.ARI_SERVERS[0].name
        fields["server"] = server
        fields["params"]["dialled"] = dialled.number
        return _command("c2c.start", {
            "server": server, "endpoint": actor.endpoint, "number": dialled.number,
            "context": settings.CLICK_TO_CALL_CONTEXT, "owner": actor.username, "owner_id": actor.user.pk,
            "caller_name": actor.user.get_full_name() or actor.username, "caller_number": actor.extension,
        })

    return _attempt(actor, CLICK_TO_CALL, fields, run)


def visible_sessions(actor: Actor, sessions) -> list[dict]:
    """The sessions a user may follow: their own; everyone's for those who supervise (the Sessions
    page); an agent also sees that they are monitored when the site allows it. Each in the words meant
    for that viewer ("you hung up" to the owner, "agent hung up" to everyone else)."""
    out = []
    for session in sessions:
        own = session["owner"] == actor.username
        if own or actor.sees_all_sessions:
            shown = {k: v for k, v in session.items() if k != "detail_others"}
            if not own:
                shown["detail"] = session.get("detail_others", session["detail"])
            out.append(shown)
        elif settings.MONITOR_VISIBLE_TO_AGENTS and session["kind"] == "monitor" and actor.endpoint \
                and session.get("target_name", "").startswith(actor.endpoint + "-"):
            out.append({k: session[k] for k in ("id", "kind", "state", "mode", "target", "target_name", "started",
                                                "ended")})
    return out
