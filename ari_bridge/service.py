"""``ChannelService``: what the dashboard calls to read and act on channels.

It knows nothing of users or roles. Reading goes to the registry (``list_channels``,
``applicable_actions``) or to ARI (``details``); each action calls the matching
``AriClient`` method of the channel's server and, on success, records the flags that
Asterisk raises no event for (hold, mute, MOH, silence, ring) through ``record_flag``
(default: ``registry.record_action``).
"""
from __future__ import annotations

import asyncio
import inspect
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Collection, Iterable, Mapping

from .client import AriClient
from .errors import AriError, NotFound, ValidationError, not_in_stasis_reason, preview
from .models import Channel, LiveRecording, Model, Playback, RTPstat, Variable
from .registry import FLAG_ACTIONS, ChannelRegistry, LiveChannel

RecordFlag = Callable[[str, str, str, dict[str, Any]], "Awaitable[None] | Any"]

# Channel actions that ARI accepts only on a channel in a Stasis application (409 otherwise).
NEEDS_STASIS = frozenset({
    "answer", "hold", "unhold", "mute", "unmute", "start_moh", "stop_moh", "start_silence",
    "stop_silence", "ring", "ring_stop", "send_dtmf", "play", "play_with_id", "record",
    "continue_in_dialplan", "move", "redirect", "dial", "set_channel_var",
})
# ... of which these also answer 412 while the channel is Down, Rsrvd or Ringing (record,
# move and setting a variable do not look at the state).
NEEDS_ANSWERABLE = frozenset({
    "answer", "hold", "unhold", "mute", "unmute", "start_moh", "stop_moh", "start_silence",
    "stop_silence", "ring", "ring_stop", "send_dtmf", "play", "play_with_id",
    "continue_in_dialplan", "redirect",
})
CHANNEL_ACTIONS = (
    "get", "hangup", "continue_in_dialplan", "move", "redirect", "answer", "ring", "ring_stop",
    "send_dtmf", "mute", "unmute", "hold", "unhold", "start_moh", "stop_moh", "start_silence",
    "stop_silence", "play", "play_with_id", "record", "get_channel_var", "set_channel_var",
    "snoop_channel", "snoop_channel_with_id", "dial", "rtp_statistics",
)
RTP_TECHNOLOGIES = frozenset({"PJSIP", "SIP"})
SORT_KEYS: Mapping[str, Callable[[LiveChannel], Any]] = {
    "created": lambda e: e.created_at,
    "last_event": lambda e: e.last_event_at,
    "name": lambda e: e.channel.name,
    "state": lambda e: e.channel.state,
    "id": lambda e: e.channel.id,
    "server": lambda e: e.server,
    "app": lambda e: e.stasis_app or "",
    "caller": lambda e: (e.channel.caller.number, e.channel.caller.name),
    "connected": lambda e: (e.channel.connected.number, e.channel.connected.name),
}


@dataclass(frozen=True, slots=True)
class ChannelDetails(Model):
    """One channel now: a fresh snapshot, the registry's view, the variables asked for
    (None where unset) and RTP statistics where the channel carries RTP."""

    server: str
    channel: Channel
    entry: LiveChannel | None
    variables: Mapping[str, str | None]
    rtp: RTPstat | None


def _matches(entry: LiveChannel, needle: str) -> bool:
    ch = entry.channel
    haystack = (
        ch.id, ch.name, ch.caller.name, ch.caller.number, ch.connected.name, ch.connected.number,
        ch.dialplan.context, ch.dialplan.exten, entry.stasis_app or "",
    )
    return any(needle in field.lower() for field in haystack)


class ChannelService:
    def __init__(
        self,
        clients: Mapping[str, AriClient],
        registry: ChannelRegistry,
        *,
        record_flag: RecordFlag | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clients = clients
        self.registry = registry
        self._record_flag: RecordFlag = record_flag or (
            lambda server, channel_id, action, params: registry.record_action(
                server, channel_id, action, **params
            )
        )
        self._clock = clock

    def client(self, server: str) -> AriClient:
        try:
            return self.clients[server]
        except KeyError:
            raise ValidationError("server", f"no Asterisk server named {server!r}") from None

    # ---------------------------------------------------------------- reading
    def list_channels(
        self,
        *,
        text: str | None = None,
        state: str | Collection[str] | None = None,
        in_app: bool | None = None,
        min_age: float | None = None,
        max_age: float | None = None,
        server: str | None = None,
        sort: str = "-created",
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[int, list[LiveChannel]]:
        """Filter, sort and page the registry: ``(total matching, the page)``.

        ``text`` matches (case-insensitive substring) id, name, caller and connected name and
        number, dialplan context and extension, and app; ``in_app`` True means in a Stasis
        application, False in the dialplan; ages are in seconds since creation; ``sort`` is one
        of SORT_KEYS, ``-`` first for descending."""
        descending = sort.startswith("-")
        key = SORT_KEYS.get(sort.lstrip("-"))
        if key is None:
            raise ValidationError("sort", f"must be one of {', '.join(SORT_KEYS)} (- first for descending)")
        if offset < 0 or (limit is not None and limit < 0):
            raise ValidationError("offset" if offset < 0 else "limit", "must not be negative")
        entries = self.registry.values(server)
        if text:
            needle = text.lower()
            entries = [e for e in entries if _matches(e, needle)]
        if state:
            states = {state.lower()} if isinstance(state, str) else {s.lower() for s in state}
            entries = [e for e in entries if e.channel.state.lower() in states]
        if in_app is not None:
            entries = [e for e in entries if (e.stasis_app is not None) == in_app]
        if min_age is not None or max_age is not None:
            now = self._clock()
            low = min_age if min_age is not None else float("-inf")
            high = max_age if max_age is not None else float("inf")
            entries = [e for e in entries if low <= now - e.created_at <= high]
        # Ties break on the key, so that paging is stable.
        entries.sort(key=lambda e: (key(e), e.server, e.channel.id), reverse=descending)
        end = None if limit is None else offset + limit
        return len(entries), entries[offset:end]

    async def details(self, server: str, channel_id: str, *, variables: Iterable[str] = ()) -> ChannelDetails:
        client = self.client(server)
        names = list(dict.fromkeys(variables))
        channel = await client.get(channel_id)
        has_rtp = channel.technology in RTP_TECHNOLOGIES
        values, rtp = await asyncio.gather(
            asyncio.gather(*(self._variable(client, channel_id, n) for n in names)),
            self._rtp(client, channel_id) if has_rtp else _none(),
        )
        return ChannelDetails(
            server=server,
            channel=channel,
            entry=self.registry.get((server, channel_id)),
            variables=dict(zip(names, values)),
            rtp=rtp,
        )

    @staticmethod
    async def _variable(client: AriClient, channel_id: str, name: str) -> str | None:
        try:
            return (await client.get_channel_var(channel_id, variable=name)).value
        except NotFound:
            return None

    @staticmethod
    async def _rtp(client: AriClient, channel_id: str) -> RTPstat | None:
        try:
            return await client.rtp_statistics(channel_id)
        except AriError:
            return None  # no RTP session (yet): the details are still worth showing

    def applicable_actions(self, entry: LiveChannel) -> dict[str, str | None]:
        """For each channel action: None when it applies now, else why not (what ARI would say)."""
        in_app = entry.stasis_app is not None
        state = entry.channel.state
        technology = entry.channel.technology
        out: dict[str, str | None] = {}
        for action in CHANNEL_ACTIONS:
            reason: str | None = None
            if action in NEEDS_STASIS and not in_app:
                reason = not_in_stasis_reason(action)
            elif action == "dial" and state != "Down":
                reason = "only a created channel that has not been dialled yet can be dialled"
            elif action in NEEDS_ANSWERABLE and state == "Down":
                reason = "a created channel must be dialled first"
            elif action in NEEDS_ANSWERABLE and state in ("Rsrvd", "Ringing"):
                reason = "the channel is not answered yet"
            elif action == "rtp_statistics" and technology not in RTP_TECHNOLOGIES:
                reason = f"a {technology or 'channel of this'} channel carries no RTP statistics"
            out[action] = reason
        return out

    # ---------------------------------------------------------------- acting
    def _check_free_id(self, server: str, parameter: str, wanted: str | None) -> None:
        """The id asked for a new snoop or external media channel must be free: Asterisk answers a taken
        one with a bare 500 ("could not be created"), where originate's answers 409."""
        if wanted and self.registry.get((server, wanted)) is not None:
            raise ValidationError(parameter, f"a channel with the id {preview(wanted)} exists already")

    def _check_redirect(self, server: str, channel_id: str, endpoint: str) -> None:
        """Asterisk redirects a channel only to an endpoint of its own technology (422 otherwise): say so
        before asking, naming the parameter."""
        entry = self.registry.get((server, channel_id))
        technology = entry.channel.technology if entry is not None else None
        wanted = endpoint.partition("/")[0]
        if technology and wanted.lower() != technology.lower():
            raise ValidationError("endpoint", f"must be a {technology} endpoint ({technology}/...), as the channel "
                                  f"is: Asterisk redirects a channel only within its technology, not to {preview(wanted)}")

    async def _act(self, action: str, server: str, channel_id: str, **params: Any) -> Any:
        if action == "redirect":
            self._check_redirect(server, channel_id, params["endpoint"])
        elif action in ("snoop_channel", "snoop_channel_with_id"):
            self._check_free_id(server, "snoop_id", params.get("snoop_id"))
        result = await getattr(self.client(server), action)(channel_id, **params)
        if action in FLAG_ACTIONS:
            recorded = self._record_flag(server, channel_id, action, params)
            if inspect.isawaitable(recorded):
                await recorded
        return result

    async def list(self, server: str) -> list[Channel]:
        return await self.client(server).list()

    async def originate(self, server: str, **params: Any) -> Channel:
        return await self.client(server).originate(**params)

    async def create(self, server: str, **params: Any) -> Channel:
        return await self.client(server).create(**params)

    async def external_media(self, server: str, **params: Any) -> Channel:
        self._check_free_id(server, "channel_id", params.get("channel_id"))
        return await self.client(server).external_media(**params)

    async def get(self, server: str, channel_id: str) -> Channel:
        return await self._act("get", server, channel_id)  # type: ignore[no-any-return]

    async def originate_with_id(self, server: str, channel_id: str, **params: Any) -> Channel:
        return await self._act("originate_with_id", server, channel_id, **params)  # type: ignore[no-any-return]

    async def hangup(self, server: str, channel_id: str, *, reason: str | None = None,
                     reason_code: str | None = None) -> None:
        await self._act("hangup", server, channel_id, reason=reason, reason_code=reason_code)

    async def continue_in_dialplan(self, server: str, channel_id: str, **params: Any) -> None:
        await self._act("continue_in_dialplan", server, channel_id, **params)

    async def move(self, server: str, channel_id: str, *, app: str, app_args: str | None = None) -> None:
        await self._act("move", server, channel_id, app=app, app_args=app_args)

    async def redirect(self, server: str, channel_id: str, *, endpoint: str) -> None:
        await self._act("redirect", server, channel_id, endpoint=endpoint)

    async def answer(self, server: str, channel_id: str) -> None:
        await self._act("answer", server, channel_id)

    async def ring(self, server: str, channel_id: str) -> None:
        await self._act("ring", server, channel_id)

    async def ring_stop(self, server: str, channel_id: str) -> None:
        await self._act("ring_stop", server, channel_id)

    async def send_dtmf(self, server: str, channel_id: str, **params: Any) -> None:
        await self._act("send_dtmf", server, channel_id, **params)

    async def mute(self, server: str, channel_id: str, *, direction: str = "both") -> None:
        await self._act("mute", server, channel_id, direction=direction)

    async def unmute(self, server: str, channel_id: str, *, direction: str = "both") -> None:
        await self._act("unmute", server, channel_id, direction=direction)

    async def hold(self, server: str, channel_id: str) -> None:
        await self._act("hold", server, channel_id)

    async def unhold(self, server: str, channel_id: str) -> None:
        await self._act("unhold", server, channel_id)

    async def start_moh(self, server: str, channel_id: str, *, moh_class: str | None = None) -> None:
        await self._act("start_moh", server, channel_id, moh_class=moh_class)

    async def stop_moh(self, server: str, channel_id: str) -> None:
        await self._act("stop_moh", server, channel_id)

    async def start_silence(self, server: str, channel_id: str) -> None:
        await self._act("start_silence", server, channel_id)

    async def stop_silence(self, server: str, channel_id: str) -> None:
        await self._act("stop_silence", server, channel_id)

    async def play(self, server: str, channel_id: str, **params: Any) -> Playback:
        return await self._act("play", server, channel_id, **params)  # type: ignore[no-any-return]

    async def play_with_id(self, server: str, channel_id: str, **params: Any) -> Playback:
        return await self._act("play_with_id", server, channel_id, **params)  # type: ignore[no-any-return]

    async def record(self, server: str, channel_id: str, **params: Any) -> LiveRecording:
        return await self._act("record", server, channel_id, **params)  # type: ignore[no-any-return]

    async def get_channel_var(self, server: str, channel_id: str, *, variable: str) -> Variable:
        return await self._act("get_channel_var", server, channel_id, variable=variable)  # type: ignore[no-any-return]

    async def set_channel_var(self, server: str, channel_id: str, *, variable: str,
                              value: str | None = None) -> None:
        await self._act("set_channel_var", server, channel_id, variable=variable, value=value)

    async def snoop_channel(self, server: str, channel_id: str, **params: Any) -> Channel:
        return await self._act("snoop_channel", server, channel_id, **params)  # type: ignore[no-any-return]

    async def snoop_channel_with_id(self, server: str, channel_id: str, **params: Any) -> Channel:
        return await self._act("snoop_channel_with_id", server, channel_id, **params)  # type: ignore[no-any-return]

    async def dial(self, server: str, channel_id: str, *, caller: str | None = None,
                   timeout: int | None = None) -> None:
        await self._act("dial", server, channel_id, caller=caller, timeout=timeout)

    async def rtp_statistics(self, server: str, channel_id: str) -> RTPstat:
        return await self._act("rtp_statistics", server, channel_id)  # type: ignore[no-any-return]


async def _none() -> None:
    return None
