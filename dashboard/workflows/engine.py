"""The workflows' host: routes ARI events to flows, runs commands from the web processes, publishes
the sessions people see, and writes every step to the audit log."""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping

from channels.db import database_sync_to_async

from ari_bridge import AriClient, AriServerConfig, ChannelRegistry
from ari_bridge.events import Event, StasisStart

from .flow import Flow, event_channel_ids

log = logging.getLogger(__name__)

ENDED_VISIBLE_SECONDS = 30


class CommandError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Workflows:
    def __init__(self, clients: Mapping[str, AriClient], servers: Mapping[str, AriServerConfig],
                 registry: ChannelRegistry, on_change: Callable[[dict | None, str], None]):
        self.clients = clients
        self.servers = servers
        self.registry = registry
        self._on_change = on_change
        self.flows: dict[str, Flow] = {}
        self.recent: dict[str, dict] = {}  # ended sessions, kept visible for a while
        self._watchers: dict[tuple[str, str], set[Flow]] = defaultdict(set)
        self._finished: list[Flow] = []

    # -- events -------------------------------------------------------------------------------

    def watch(self, server: str, channel_id: str, flow: Flow) -> None:
        self._watchers[(server, channel_id)].add(flow)

    def on_event(self, server: str, event: Event) -> None:
        if isinstance(event, StasisStart) and event.args and event.args[0] == "dial" \
                and event.application == self.servers[server].app:
            from .router import RoutedCall

            self.start(RoutedCall(self, server, caller=event.channel, args=event.args[1:]))
        for channel_id in event_channel_ids(event):
            for flow in tuple(self._watchers.get((server, channel_id), ())):
                flow.deliver(event)
            if event.type == "ChannelDestroyed":
                self._watchers.pop((server, channel_id), None)

    # -- flows --------------------------------------------------------------------------------

    def start(self, flow: Flow) -> Flow:
        self.flows[flow.id] = flow
        flow.task = asyncio.get_running_loop().create_task(flow.main(), name=f"{flow.kind}-{flow.id}")
        self.changed(flow)
        return flow

    def changed(self, flow: Flow) -> None:
        if flow.public:
            self._on_change(flow.to_dict(), flow.id)

    def finished(self, flow: Flow) -> None:
        self.flows.pop(flow.id, None)
        for watchers in self._watchers.values():
            watchers.discard(flow)
        if flow.public:
            # Ended sessions stay visible briefly so their owner sees how they ended.
            self.recent[flow.id] = flow.to_dict()
            asyncio.get_running_loop().call_later(ENDED_VISIBLE_SECONDS, self._forget, flow.id)

    def _forget(self, session_id: str) -> None:
        self.recent.pop(session_id, None)
        self._on_change(None, session_id)

    def sessions(self) -> list[dict]:
        return [f.to_dict() for f in self.flows.values() if f.public] + list(self.recent.values())

    async def stop(self) -> None:
        tasks = [f.task for f in self.flows.values() if f.task]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- commands from the web processes ------------------------------------------------------

    async def command(self, name: str, args: dict) -> dict:
        from .click_to_call import ClickToCall
        from .monitor import MonitorSession

        if name == "monitor.start":
            flow = self.start(MonitorSession(self, args["server"], owner=args["owner"], owner_id=args["owner_id"],
                                             target_id=args["channel_id"], endpoint=args["endpoint"],
                                             mode=args["mode"]))
            return flow.to_dict()
        if name == "c2c.start":
            flow = self.start(ClickToCall(self, args["server"], owner=args["owner"], owner_id=args["owner_id"],
                                          endpoint=args["endpoint"], number=args["number"], context=args["context"],
                                          caller_name=args["caller_name"], caller_number=args["caller_number"]))
            return flow.to_dict()
        if name in ("monitor.mode", "flow.stop"):
            flow = self.flows.get(args.get("session", ""))
            if flow is None or not flow.public:
                raise CommandError(404, "that session has ended")
            if flow.owner != args["owner"] and not args.get("any_owner"):
                raise CommandError(403, "that session belongs to someone else")
            if name == "monitor.mode" and flow.kind != "monitor":
                raise CommandError(400, "only a monitoring session has modes")
            flow.command(name, args)
            return flow.to_dict()
        raise CommandError(400, f"unknown command {name}")

    # -- audit --------------------------------------------------------------------------------

    def audit(self, flow: Flow, **fields) -> None:
        asyncio.get_running_loop().create_task(_audit(flow, fields))


async def _audit(flow: Flow, fields: dict) -> None:
    try:
        await database_sync_to_async(_write_audit, thread_sensitive=False)(flow, fields)
    except Exception:  # noqa: BLE001 - a failed audit write must not break the call
        log.exception("audit write failed for %s", flow.kind)


def _write_audit(flow: Flow, fields: dict) -> None:
    from django.contrib.auth import get_user_model

    from ..audit import record

    class _Actor:
        def __init__(self, user):
            self.user = user

    user = get_user_model().objects.filter(pk=flow.owner_id).first() if flow.owner_id else None
    params = {"session": flow.id, **fields.pop("params", {})}
    record(actor=_Actor(user) if user else None, server=flow.server, source="workflow", params=params, **fields)
