"""The simulated Asterisk: channel lifecycle, originate and dial, answer and hangup.

Everything runs on one event loop, so no locks: an ARI request, a timer and the control API
each run to completion before the next. Event order is produced by plain call order, and the
orders below are the ones the captures show (see the comments where Asterisk's own order is
surprising).
"""
from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Optional

from .bridges import Bridging
from .config import SimConfig
from .dialplan import Dialplan
from .errors import AllocationFailed, AriError, bad_request, conflict
from .events import EventBus
from .media import Media
from .phones import Endpoint, Phones
from .stasis import StasisEngine
from .state import Bridge, Channel, LiveRecording, Playback, StoredRecording
from .timefmt import ast_time
from .variables import FunctionError, read_variable, split_function

MAX_UNIQUEID = 149
ORIGINATE_APP = ("AppDial2", "(Outgoing Line)")


@dataclass(slots=True, eq=False)
class DialLeg:
    """An outgoing call being placed on `channel` (by originate, or ARI's dial of a created channel)."""

    channel: Channel
    dialstring: str
    kind: str  # "originate" | "ari"
    timeout: Optional[float] = None
    app: Optional[str] = None
    app_args: list = field(default_factory=list)
    app_data: str = ""
    target: Optional[tuple] = None  # (context, exten, priority) for an originate into the dialplan
    state: str = "dialing"
    initial_pending: bool = False

    def status_dialstring(self) -> str:
        return self.dialstring if self.kind == "originate" else ""


class Pbx:
    def __init__(self, config: SimConfig, bus: EventBus):
        self.config = config
        self.bus = bus
        self.loop = asyncio.get_running_loop()
        self.scale = config.time_scale
        self.phones = Phones(extra=config.phones)
        self.dialplan = Dialplan(self, seed=config.seed)
        self.stasis = StasisEngine(self)
        self.media = Media(self)
        self.bridging = Bridging(self)
        self._uniqueid_seq = 0
        self._local_seq = 0
        self._tech_seq: Counter = Counter()
        self._snoop_seq = 0
        self.channels: dict[str, Channel] = {}
        self.bridges: dict[str, Bridge] = {}
        self.playbacks: dict[str, Playback] = {}
        self.live_recordings: dict[str, LiveRecording] = {}
        self.stored_recordings: dict[str, StoredRecording] = {}
        # Globals start as the dialplan's [globals] (the phones' numbers), as on Asterisk.
        self.global_vars: dict[str, str] = dict(self.dialplan.globals)
        self.startup_time = ast_time()
        self.last_reload_time = self.startup_time

    # --- time -------------------------------------------------------------------------------

    def later(self, seconds: float, fn: Callable, *args) -> asyncio.TimerHandle:
        return self.loop.call_later(max(0.0, seconds * self.scale), fn, *args)

    def soon(self, fn: Callable, *args) -> asyncio.Handle:
        return self.loop.call_soon(fn, *args)

    # --- reset --------------------------------------------------------------------------

    def clear(self, keep_files: bool = False) -> None:
        """Forget every call silently (reset/restart): no events, timers cancelled. Stored
        recordings are files on disk: a restart (`keep_files`) finds them again."""
        for channel in list(self.channels.values()):
            channel.cancel_timers()
            channel.alive = False
            if channel.control is not None:
                channel.control.flush()
        for playback in self.playbacks.values():
            if playback.timer is not None:
                playback.timer.cancel()
        for recording in self.live_recordings.values():
            if recording.timer is not None:
                recording.timer.cancel()
        self.media.close_sockets()
        self.channels.clear()
        self.bridges.clear()
        self.playbacks.clear()
        self.live_recordings.clear()
        if not keep_files:
            self.stored_recordings.clear()
        self.global_vars.clear()
        self.global_vars.update(self.dialplan.globals)
        self.phones.clear_channels()
        for app in self.bus.apps.values():
            app.channels.clear()
            app.bridges.clear()

    # --- channel allocation -----------------------------------------------------------------

    def next_uniqueid(self) -> str:
        seq = self._uniqueid_seq
        self._uniqueid_seq += 1
        return f"{int(time.time())}.{seq}"

    def check_ids(self, *ids: Optional[str]) -> None:
        for value in ids:
            if value and len(value) > MAX_UNIQUEID:
                raise bad_request(f"Uniqueid length exceeds maximum of {MAX_UNIQUEID}")

    def _claim_id(self, requested: Optional[str]) -> str:
        if requested:
            if requested in self.channels:
                raise conflict("Channel with given unique ID already exists")
            return requested
        return self.next_uniqueid()

    def new_channel(self, tech: str, resource: str, name: str, uniqueid: str, *, state: str = "Down",
                    context: str = "default", exten: str = "s", device: str = "") -> Channel:
        channel = Channel(id=uniqueid, name=name, tech=tech, resource=resource, creationtime=ast_time(),
                          state=state, context=context, exten=exten, device=device,
                          created_at=time.time())
        self.channels[uniqueid] = channel
        self.bus.channel_event("ChannelCreated", channel)
        return channel

    def allocate(self, endpoint: str, channel_id: Optional[str], other_id: Optional[str]) -> Channel:
        """Create the outgoing channel for `endpoint` ("Tech/resource"), as ast_request does.

        Unknown technologies and peers fail with Asterisk's 500 Allocation failed; an id
        already in use is a 409. A Local endpoint creates both halves and returns ;1."""
        tech, _, resource = endpoint.partition("/")
        if tech == "Local":
            return self._new_local_pair(resource, channel_id, other_id)
        phone = self._endpoint_for(tech, resource)
        if phone is not None:
            uniqueid = self._claim_id(channel_id)
            return self._new_phone_channel(phone, uniqueid)
        if tech in ("UnicastRTP", "AudioSocket") and resource:
            uniqueid = self._claim_id(channel_id)
            return self.media.new_external_channel(tech, resource, uniqueid)
        raise AllocationFailed()

    def _endpoint_for(self, tech: str, resource: str) -> Optional[Endpoint]:
        name = resource.split("/", 1)[0].split("@", 1)[0]
        return self.phones.get(tech, name)

    def _new_local_pair(self, resource: str, channel_id: Optional[str], other_id: Optional[str]) -> Channel:
        target = resource.split("/", 1)[0]
        exten, _, context = target.partition("@")
        context = context or "default"
        first_id = self._claim_id(channel_id)
        if other_id and other_id not in self.channels and other_id != first_id:
            second_id = other_id
        elif channel_id:
            second_id = f"{first_id};2"
        else:
            # An otherChannelId already in use is ignored by Asterisk (captured): auto id.
            second_id = self.next_uniqueid()
        seq = self._local_seq
        self._local_seq += 1
        base = f"Local/{target}-{seq:08x}"
        device = f"Local/{target}"
        first = self.new_channel("Local", target, base + ";1", first_id, context=context, exten=exten,
                                 device=device)
        second = self.new_channel("Local", target, base + ";2", second_id, state="Ring", context=context,
                                  exten=exten, device=device)
        first.peer, second.peer = second, first
        first.half, second.half = 1, 2
        return first

    def _new_phone_channel(self, endpoint: Endpoint, uniqueid: str, *, state: str = "Down",
                           context: str = "default", exten: str = "s") -> Channel:
        tech = endpoint.technology
        seq = self._tech_seq[tech]
        self._tech_seq[tech] += 1
        name = f"{tech}/{endpoint.resource}-{seq:08x}"
        channel = Channel(id=uniqueid, name=name, tech=tech, resource=endpoint.resource,
                          creationtime=ast_time(), state=state, context=context, exten=exten,
                          device=endpoint.key, created_at=time.time())
        channel.caller_name = endpoint.caller_name
        channel.caller_number = endpoint.caller_number
        channel.endpoint = endpoint
        self.channels[uniqueid] = channel
        endpoint.add_channel(channel)
        # Asterisk adds the channel to its endpoint (a new endpoint snapshot; the channel's topic now
        # forwards to the endpoint's) before it announces the channel.
        watchers = self.bus.endpoint_watchers.get(endpoint.key)
        if watchers:
            channel.subscribers |= watchers
            self.bus.endpoint_state(endpoint)
        self.bus.channel_event("ChannelCreated", channel)
        return channel

    # --- snapshot fields with events ----------------------------------------------------------

    def set_state(self, channel: Channel, state: str) -> None:
        if channel.state == state:
            return
        channel.state = state
        self.bus.state_change(channel)
        if channel.endpoint is not None:
            self.update_device(channel.endpoint, channel)

    def set_location(self, channel: Channel, context: str, exten: str, priority: int, app: str,
                     data: str) -> None:
        """Move the channel in the dialplan. Asterisk only raises ChannelDialplan when the
        context/exten/priority changes, or when an application appears where there was none."""
        cep_changed = (context, exten, priority) != (channel.context, channel.exten, channel.priority)
        from_empty = not channel.app_name
        channel.context, channel.exten, channel.priority = context, exten, priority
        channel.app_name, channel.app_data = app, data
        if app and (cep_changed or from_empty):
            self.bus.dialplan(channel)

    def set_app(self, channel: Channel, app: str, data: str) -> None:
        self.set_location(channel, channel.context, channel.exten, channel.priority, app, data)

    def set_variable_raw(self, channel: Channel, name: str, value: str) -> None:
        channel.vars[name] = value
        self.bus.varset(channel, name, value)

    def set_caller(self, channel: Channel, name: Optional[str] = None, number: Optional[str] = None) -> None:
        if name is not None:
            channel.caller_name = name
        if number is not None:
            channel.caller_number = number
        self.bus.caller_id(channel)

    def set_connected(self, channel: Channel, name: Optional[str] = None, number: Optional[str] = None) -> None:
        if name is not None:
            channel.connected_name = name
        if number is not None:
            channel.connected_number = number
        self.bus.connected_line(channel)

    def set_variable(self, channel: Channel, name: str, value: Optional[str], report: bool = False) -> None:
        """setChannelVar semantics: functions act (and raise their own events), plain variables
        raise ChannelVarset; no value unsets. Unknown functions: 400 Failed to execute function."""
        if name.endswith(")"):
            parts = split_function(name)
            if parts is None:
                raise bad_request("Failed to execute function")
            func, arg = parts
            arg = arg.strip().lower()
            value = value or ""
            if func == "CALLERID" and arg in ("name", "num", "number", "all"):
                if arg == "name":
                    self.set_caller(channel, name=value)
                elif arg == "all":
                    from .channels import parse_callerid

                    cid_name, cid_number = parse_callerid(value)
                    self.set_caller(channel, name=cid_name, number=cid_number)
                else:
                    self.set_caller(channel, number=value)
            elif func == "CONNECTEDLINE" and arg in ("name", "num", "number"):
                if arg == "name":
                    self.set_connected(channel, name=value)
                else:
                    self.set_connected(channel, number=value)
            elif func == "CHANNEL" and arg in ("language", "accountcode", "musicclass", "hangup_handler_push"):
                if arg == "language":
                    channel.language = value
                elif arg == "accountcode":
                    channel.accountcode = value
                elif arg == "musicclass":
                    channel.moh_class = value
            elif func == "CDR":
                channel.extra.setdefault("cdr", {})[arg] = value
            else:
                raise bad_request("Failed to execute function")
        elif value is None or value == "":
            channel.vars.pop(name, None)
        else:
            self.set_variable_raw(channel, name, value)
        if report:
            channel.reported[name] = None

    def get_variable(self, channel: Channel, name: str) -> str:
        try:
            value = read_variable(channel, name)
        except FunctionError:
            raise AriError(500, "Unable to read provided function") from None
        if value is None:
            raise AriError(404, "Provided variable was not found")
        return value

    # --- device states --------------------------------------------------------------------

    @staticmethod
    def _device_category(channel: Channel) -> Optional[str]:
        if not channel.alive:
            return None
        if channel.state == "Up":
            return "ONHOLD" if channel.held else "INUSE"
        if channel.state in ("Ringing", "Ring"):
            return "RINGING"
        return None

    def update_device(self, endpoint: Endpoint, channel: Optional[Channel] = None) -> None:
        """Account for `channel`'s change, then raise DeviceStateChanged if the phone's state moved."""
        counts = endpoint.counts
        if channel is not None:
            new = self._device_category(channel)
            old = channel.extra.get("device")
            if new != old:
                if old:
                    counts[old] -= 1
                if new:
                    counts[new] += 1
                channel.extra["device"] = new
        if endpoint.behaviour.offline:
            state = "UNAVAILABLE"  # chan_pjsip's device state of an endpoint with no reachable contact
        elif counts["INUSE"] > 0:
            state = "INUSE"
        elif counts["ONHOLD"] > 0:
            state = "ONHOLD"
        elif counts["RINGING"] > 0:
            state = "RINGING"
        else:
            state = "NOT_INUSE"
        if state != endpoint.device_state:
            endpoint.device_state = state
            self.bus.device_state(endpoint.key, state)

    def reachability_changed(self, endpoint: Endpoint) -> None:
        """A phone went offline or came back, in res_pjsip's order: the endpoint's new state, the
        peer status, then the device state recomputed."""
        self.bus.endpoint_state(endpoint)
        self.bus.peer_status(endpoint, "Unreachable" if endpoint.behaviour.offline else "Reachable")
        self.update_device(endpoint)

    # --- originate / create / dial ------------------------------------------------------------

    def originate(self, *, endpoint: str, app: Optional[str], app_args: str, target: Optional[tuple],
                  caller: Optional[tuple], variables: list, timeout: Optional[float],
                  channel_id: Optional[str], other_id: Optional[str]) -> dict:
        channel = self.allocate(endpoint, channel_id, other_id)
        channel.base_app = ORIGINATE_APP
        if channel.endpoint is not None:
            self._prepare_phone_call(channel)
        self.set_app(channel, *ORIGINATE_APP)
        if caller is not None:
            cid_name, cid_number = caller
            channel.caller_name, channel.caller_number = cid_name, cid_number
            self.bus.caller_id(channel)
            channel.connected_name, channel.connected_number = cid_name, cid_number
            self.bus.connected_line(channel)
        for name, value, report in variables:
            self.set_variable(channel, name, value, report)
        if app:
            self.bus.subscribe_channel(app, channel)
            if channel.peer is not None:
                self.bus.subscribe_channel(app, channel.peer)
        snapshot = channel.snapshot()
        leg = DialLeg(channel=channel, dialstring=self._dialstring(channel, endpoint), kind="originate",
                      timeout=timeout, app=app, app_args=app_args.split(",") if app_args else [],
                      app_data=(f"{app},{app_args}" if app_args else app) if app else "", target=target)
        channel.dial = leg
        # The dial runs on its own thread in Asterisk: the response snapshot is taken first.
        self.soon(self.start_dial, leg)
        return snapshot

    def _dialstring(self, channel: Channel, endpoint: str) -> str:
        return endpoint.partition("/")[2]

    def _prepare_phone_call(self, channel: Channel) -> None:
        # chan_sip announces its Call-ID as a variable before the snapshot carries it.
        callid = uuid.uuid4().hex
        if channel.tech == "SIP":
            callid = f"{callid}@127.0.0.1:5060"
            self.bus.varset(channel, "SIPCALLID", callid)
            channel.vars["SIPCALLID"] = callid
        channel.protocol_id = callid
        channel.exten = ""

    def create(self, *, endpoint: str, app: Optional[str], app_args: str, variables: list,
               channel_id: Optional[str], other_id: Optional[str]) -> dict:
        channel = self.allocate(endpoint, channel_id, other_id)
        channel.dialstring = self._dialstring(channel, endpoint)
        if channel.endpoint is not None:
            channel.protocol_id = uuid.uuid4().hex
        if app:
            self.bus.subscribe_channel(app, channel)
        for name, value, report in variables:
            self.set_variable(channel, name, value, report)
        snapshot = channel.snapshot()
        app_data = (f"{app},{app_args}" if app_args else app) if app else "(null)"
        self.soon(self._created_enters_stasis, channel, app, app_args.split(",") if app_args else [], app_data)
        return snapshot

    def _created_enters_stasis(self, channel: Channel, app: Optional[str], args: list, app_data: str) -> None:
        if not channel.alive:
            return
        channel.stasis_exec = True
        if not self.stasis.enter(channel, app, args, app_data=app_data, from_pbx=False):
            # The thread that owns a created channel hangs it up when Stasis returns; the ;2
            # half was never called, so both just go away.
            self._destroy_unstarted(channel, cause=0)

    def _destroy_unstarted(self, channel: Channel, cause: int) -> None:
        channel.hanging = True
        channel.hangupcause = cause
        peer = channel.peer
        if peer is not None and peer.alive:
            peer.hanging = True
            peer.hangupcause = cause
            self._destroy(peer)
        self._destroy(channel)

    def dial(self, channel: Channel, caller: Optional[Channel], timeout: int) -> None:
        """ARI's dial of a created channel (state already checked by the caller)."""
        if caller is not None:
            for name, value in caller.vars.items():
                if name.startswith("_"):
                    channel.vars[name] = value
            if caller.caller_name or caller.caller_number:
                channel.connected_name, channel.connected_number = caller.caller_name, caller.caller_number
                self.bus.connected_line(channel)
            channel.language = caller.language
        leg = DialLeg(channel=channel, dialstring=channel.dialstring or "", kind="ari",
                      timeout=float(timeout) if timeout > 0 else None)
        channel.dial = leg
        self.start_dial(leg)

    def start_dial(self, leg: DialLeg) -> None:
        channel = leg.channel
        if not channel.alive or channel.hanging:
            return
        if leg.timeout:
            channel.timers["dial"] = self.later(leg.timeout, self._dial_timeout, leg)
        if channel.tech == "Local":
            self._local_call(leg)
        elif channel.endpoint is not None:
            self.bus.dial(channel, "", leg.dialstring)
            self._phone_call(leg)
        else:
            self.bus.dial(channel, "", leg.dialstring)
            self.media.external_call(leg)

    def _local_call(self, leg: DialLeg) -> None:
        first, second = leg.channel, leg.channel.peer
        if not self.dialplan.exists(second.context, second.exten, 1):
            # chan_local refuses the call before anything is copied or reported.
            self._destroy_unstarted_half(second)
            return
        # Calling a Local channel copies ;1's variables and caller ids onto ;2.
        for name, value in first.vars.items():
            second.vars[name] = value
            self.bus.varset(second, name, value)
        if first.connected_name or first.connected_number:
            second.caller_name, second.caller_number = first.connected_name, first.connected_number
            self.bus.caller_id(second)
        if first.caller_name or first.caller_number:
            second.connected_name, second.connected_number = first.caller_name, first.caller_number
            self.bus.connected_line(second)
        if leg.kind == "originate":
            self.bus.dial(first, "", leg.dialstring)
        else:
            # ARI's dial reports its first Dial after the far end's first answer/ring/busy
            # (a race in Asterisk; this is the order the captures show).
            leg.initial_pending = True
        second.pbx = True
        second.runs_h = True
        self.dialplan.run(second, second.context, second.exten, 1)
        self._flush_initial(leg)

    def _flush_initial(self, leg: DialLeg) -> None:
        if leg.initial_pending:
            leg.initial_pending = False
            if leg.channel.alive:
                self.bus.dial(leg.channel, "", leg.dialstring)

    def _phone_call(self, leg: DialLeg) -> None:
        channel = leg.channel
        endpoint = channel.endpoint
        behaviour = endpoint.behaviour_for(leg.dialstring)
        if behaviour.offline or (not endpoint.registered and not behaviour.never_answer):
            channel.timers["phone"] = self.later(0.01, self._dial_failed, leg, "CHANUNAVAIL", 20)
            return
        first = behaviour.ring_after if behaviour.ring_after is not None else 0.05
        if behaviour.busy:
            channel.timers["phone"] = self.later(first, self._dial_failed, leg, "BUSY", 17)
            return
        if behaviour.reject:
            channel.timers["phone"] = self.later(first, self._dial_failed, leg, "CONGESTION", 21)
            return
        if behaviour.ring_after is not None:
            channel.timers["ring"] = self.later(behaviour.ring_after, self._phone_ringing, leg)
        if not behaviour.never_answer:
            channel.timers["answer"] = self.later(max(behaviour.answer_after, behaviour.ring_after or 0.0),
                                                  self._phone_answers, leg)

    def _phone_ringing(self, leg: DialLeg) -> None:
        channel = leg.channel
        channel.timers.pop("ring", None)
        if not channel.alive or channel.hanging or leg.state != "dialing":
            return
        self.set_state(channel, "Ringing")
        self.bus.dial(channel, "RINGING", leg.status_dialstring())

    def _phone_answers(self, leg: DialLeg) -> None:
        channel = leg.channel
        channel.timers.pop("answer", None)
        if channel.alive and not channel.hanging and leg.state == "dialing":
            self.answer(channel)

    def _dial_timeout(self, leg: DialLeg) -> None:
        channel = leg.channel
        channel.timers.pop("dial", None)
        if not channel.alive or channel.hanging or leg.state != "dialing":
            return
        leg.state = "failed"
        if leg.kind == "ari":
            self.hangup(channel, 19, "api")
        else:
            self.hangup(channel, 19, "dial-timeout")

    def _dial_failed(self, leg: DialLeg, status: str, cause: int) -> None:
        channel = leg.channel
        channel.timers.pop("phone", None)
        if not channel.alive or channel.hanging or leg.state != "dialing":
            return
        leg.state = "failed"
        if "dial" in channel.timers:
            channel.timers.pop("dial").cancel()
        self.bus.dial(channel, status, leg.status_dialstring())
        self._flush_initial(leg)
        if channel.tech == "Local":
            if leg.kind == "originate":
                self.hangup(channel, 0, "failed")
            return
        if leg.kind == "originate":
            self.hangup(channel, cause, "failed")
        else:
            self.hangup(channel, cause, "peer")

    # --- answer and indications ------------------------------------------------------------

    def answer(self, channel: Channel) -> None:
        if channel.state == "Up" or not channel.alive:
            return
        now = time.time()
        peer = channel.peer
        if channel.half == 2 and peer is not None and peer.alive and peer.dial is not None \
                and peer.dial.initial_pending:
            self._flush_initial(peer.dial)
        channel.ringing = False
        channel.answered_at = now
        self.set_state(channel, "Up")
        if channel.half == 2 and peer is not None and peer.alive and not peer.hanging and peer.state != "Up":
            peer.answered_at = now
            self.set_state(peer, "Up")
            self._answered(peer)
            self._local_in_use(channel)
        elif channel.dial is not None:
            self._answered(channel)
        if channel.endpoint is not None:
            behaviour = channel.endpoint.behaviour
            if behaviour.hangup_after is not None:
                channel.timers["phone_hangup"] = self.later(behaviour.hangup_after, self.phone_hangs_up, channel)

    def _local_in_use(self, channel: Channel) -> None:
        self.bus.device_state(channel.device, "INUSE")
        self.bus.device_state(channel.device, "INUSE")

    def _answered(self, channel: Channel) -> None:
        leg = channel.dial
        if leg is None or leg.state != "dialing":
            return
        leg.state = "answered"
        timer = channel.timers.pop("dial", None)
        if timer is not None:
            timer.cancel()
        self.bus.dial(channel, "ANSWER", leg.status_dialstring())
        if leg.kind != "originate":
            return
        if leg.app is not None:
            channel.stasis_exec = True
            if not self.stasis.enter(channel, leg.app, leg.app_args, app_data=leg.app_data, from_pbx=False):
                self.hangup(channel, 16, "failed")
        elif leg.target is not None:
            context, exten, priority = leg.target
            channel.pbx = True
            channel.runs_h = True
            if not self.dialplan.exists(context, exten, priority):
                # ast_pbx_run on a missing extension: the PBX gives up at once.
                channel.runs_h = False
                self.bus.hangup_request(channel, 16, soft=True)
                self.set_location(channel, context, exten, priority, "", "")
                self.hangup(channel, 0, "failed")
                return
            self.dialplan.run(channel, context, exten, priority)

    def indicate_ringing(self, channel: Channel) -> None:
        channel.ringing = True
        peer = channel.peer
        if channel.half == 2 and peer is not None and peer.alive and peer.state not in ("Up", "Ringing"):
            self.set_state(peer, "Ringing")
            leg = peer.dial
            if leg is not None and leg.state == "dialing":
                self.bus.dial(peer, "RINGING", leg.status_dialstring())
                self._flush_initial(leg)
            self.bus.device_state(peer.device, "INUSE")

    def indicate_progress(self, channel: Channel) -> None:
        peer = channel.peer
        if channel.half == 2 and peer is not None and peer.alive and peer.state != "Up":
            leg = peer.dial
            if leg is not None and leg.state == "dialing":
                self.bus.dial(peer, "PROGRESS", leg.status_dialstring())

    def indicate_busy(self, channel: Channel) -> None:
        channel.hangupcause = 17
        self.set_state(channel, "Busy")
        peer = channel.peer
        if channel.half == 2 and peer is not None and peer.dial is not None:
            self._dial_failed(peer.dial, "BUSY", 17)

    def indicate_congestion(self, channel: Channel) -> None:
        channel.hangupcause = 34
        peer = channel.peer
        if channel.half == 2 and peer is not None and peer.dial is not None:
            self._dial_failed(peer.dial, "CONGESTION", 34)

    # --- dialplan ends --------------------------------------------------------------------

    def dialplan_finished(self, channel: Channel) -> None:
        """Hangup() or the end of an extension: the PBX hangs the channel up."""
        self.hangup(channel, channel.hangupcause or 16, "pbx")

    def dialplan_missing(self, channel: Channel, context: str, exten: str, priority: int) -> None:
        if channel.half == 2 and channel.state == "Ring" and channel.priority == 1 and not channel.app_name:
            # A Local ;2 with nowhere to go is destroyed before it runs anything, and the
            # dial on ;1 fails with it.
            channel.pbx = False
            self.set_location(channel, context, exten, priority, "", "")
            self._destroy_unstarted_half(channel)
            return
        self.set_location(channel, context, exten, priority, "", "")
        self.hangup(channel, 0, "pbx")

    def _destroy_unstarted_half(self, channel: Channel) -> None:
        channel.hanging = True
        channel.hangupcause = 0
        self._destroy(channel)
        peer = channel.peer
        if peer is not None and peer.alive and not peer.hanging:
            leg = peer.dial
            if leg is not None and leg.state == "dialing":
                leg.state = "failed"
            if leg is not None and leg.kind == "ari":
                # ARI's dial queues a soft hangup on the created channel when the call cannot be
                # placed (res/stasis/control.c, app_control_dial): it leaves the application and
                # is destroyed without a cause; no Dial is published.
                self.bus.hangup_request(peer, 0, soft=True)
                self.hangup(peer, 0, "failed")
                return
            peer.hanging = True
            peer.hangupcause = 0
            peer.cancel_timers()
            self._destroy(peer)

    # --- hangup -------------------------------------------------------------------------------

    def hangup(self, channel: Channel, cause: int = 16, source: str = "api") -> None:
        """End a channel and, for a Local half, its partner.

        source: "api" (DELETE /channels/{id}), "peer" (the far end hung up), "pbx" (Hangup()
        or the end of the dialplan), "failed" (the call never got through), "dial-timeout".
        """
        if not channel.alive or channel.hanging:
            return
        channel.hanging = True
        if source == "api":
            channel.hangupcause = cause
            self.bus.hangup_request(channel, 32, soft=True)
        elif source == "peer":
            if cause:
                channel.hangupcause = cause
            self.bus.hangup_request(channel, cause, soft=False)
        else:
            channel.hangupcause = cause
        channel.cancel_timers()
        self._release(channel)
        ran_h = self._run_h(channel, soft_request=source in ("api", "peer"))
        peer = channel.peer
        if peer is not None and peer.alive and not peer.hanging:
            peer.hanging = True
            peer_cause = channel.hangupcause
            if peer_cause:
                peer.hangupcause = peer_cause
            self.bus.hangup_request(peer, peer_cause, soft=False)
            # Which half Asterisk destroys first depends on who is running what; these are the
            # orders the captures show.
            peer_first = channel.half == 1 and (ran_h or source in ("dial-timeout", "pbx") or channel.continued)
            if peer_first:
                self._finish_peer(peer)
                self._destroy(channel)
            else:
                self._destroy(channel)
                self._finish_peer(peer)
        else:
            self._destroy(channel)

    def phone_hangs_up(self, channel: Channel) -> None:
        channel.timers.pop("phone_hangup", None)
        self.hangup(channel, 16, "peer")

    # --- what a phone does on its call (control API, demo traffic) ---------------------------

    def phone_hold(self, channel: Channel, musicclass: Optional[str] = None) -> None:
        """The phone puts its call on hold: ChannelHold, device ONHOLD."""
        if channel.alive and not channel.hanging and not channel.held:
            channel.held = True
            self.bus.hold(channel, musicclass)
            if channel.endpoint is not None:
                self.update_device(channel.endpoint, channel)

    def phone_unhold(self, channel: Channel) -> None:
        if channel.alive and not channel.hanging and channel.held:
            channel.held = False
            self.bus.unhold(channel)
            if channel.endpoint is not None:
                self.update_device(channel.endpoint, channel)

    def phone_dtmf(self, channel: Channel, digits: str, duration_ms: int = 100) -> None:
        """The phone presses keys: one ChannelDtmfReceived per digit, 0.1 s apart."""
        for index, digit in enumerate(digits):
            at = index * (duration_ms / 1000 + 0.1)
            channel.timers[f"phone-dtmf{index}"] = self.later(at + duration_ms / 1000, self.media.receive_dtmf,
                                                              channel, digit.upper(), duration_ms)

    def blind_transfer(self, channel: Channel, context: str, exten: str) -> bool:
        """A channel running the dialplan continues at (context, exten, 1) (a blind transfer or
        AMI Redirect: the application it was in is left). False when it is in Stasis, bridged or
        not in the dialplan; the ARI app owns such a channel."""
        if not channel.alive or channel.hanging or not channel.pbx or channel.stasis_app is not None \
                or channel.bridge is not None or not self.dialplan.exists(context, exten, 1):
            return False
        timer = channel.timers.pop("pbx", None)
        if timer is not None:
            timer.cancel()
        channel.moh_class = None
        self.dialplan.run(channel, context, exten, 1)
        return True

    def _finish_peer(self, peer: Channel) -> None:
        peer.cancel_timers()
        self._release(peer)
        self._run_h(peer, soft_request=True)
        self._destroy(peer)

    def _release(self, channel: Channel) -> None:
        """Everything a channel lets go of on its way out, in Asterisk's order."""
        self.media.channel_gone(channel)
        if channel.bridge is not None:
            self.bridging.leave(channel)
        if channel.stasis_app is not None:
            self.stasis.leave(channel, "hangup")
        elif channel.pending_stasis_status:
            channel.pending_stasis_status = False
            self.set_variable_raw(channel, "STASISSTATUS", "SUCCESS")

    def _run_h(self, channel: Channel, soft_request: bool) -> bool:
        if not (channel.runs_h and channel.pbx):
            return False
        channel.runs_h = False
        if channel.app_name == "Playback":
            self.set_variable_raw(channel, "PLAYBACKSTATUS", "SUCCESS")
        if soft_request:
            self.bus.hangup_request(channel, 16, soft=True)
        steps = self.dialplan.steps(channel.context, "h")
        if steps:
            for priority, step in enumerate(steps, start=1):
                self.set_location(channel, channel.context, "h", priority, step.app,
                                  self.dialplan.expand(channel, step.data))
            self.set_location(channel, channel.context, "h", len(steps) + 1, "", "")
        return True

    def _destroy(self, channel: Channel) -> None:
        if not channel.alive:
            return
        for snoop in list(channel.snoops):
            if snoop.alive and snoop.stasis_app is not None:
                snoop.hanging = True
                self.stasis.leave(snoop, "hangup")
        channel.cancel_timers()
        trailing = bool(channel.base_app[0]) and not channel.app_name
        channel.app_name, channel.app_data = channel.base_app
        channel.alive = False
        channel.pbx = False
        self.channels.pop(channel.id, None)
        if channel.control is not None:
            channel.control.flush()
            channel.control = None
        self.bus.destroyed(channel)
        if trailing:
            # The originate thread puts AppDial2 back after the snapshot went empty: Asterisk
            # then reports a ChannelDialplan for a channel it has just destroyed.
            self.bus.dialplan(channel)
        self.bus.forget_channel(channel)
        for snoop in list(channel.snoops):
            if snoop.alive:
                snoop.hanging = True
                snoop.hangupcause = 0
                self._destroy(snoop)
        channel.snoops.clear()
        if channel.snoop_target is not None:
            target = channel.snoop_target
            if channel in target.snoops:
                target.snoops.remove(channel)
            self.bus.device_state(channel.device, "INVALID")
        if channel.endpoint is not None:
            channel.endpoint.remove_channel(channel)
            self.bus.endpoint_state(channel.endpoint)
            self.update_device(channel.endpoint, channel)
        elif channel.half and channel.answered_at is not None:
            self.bus.device_state(channel.device, "NOT_INUSE")
        elif channel.tech in ("UnicastRTP", "AudioSocket"):
            self.bus.device_state(channel.device, "UNKNOWN")
        channel.dial = None

    # --- inbound calls (control API) ----------------------------------------------------------

    def inbound_call(self, endpoint: Endpoint, *, exten: str, context: str, caller_name: Optional[str],
                     caller_number: Optional[str], channel_id: Optional[str]) -> dict:
        uniqueid = self._claim_id(channel_id)
        channel = self._new_phone_channel(endpoint, uniqueid, state="Ring", context=context, exten=exten)
        channel.protocol_id = uuid.uuid4().hex
        if caller_name is not None:
            channel.caller_name = caller_name
        if caller_number is not None:
            channel.caller_number = caller_number
        snapshot = channel.snapshot()
        self.update_device(endpoint, channel)
        channel.pbx = True
        channel.runs_h = True
        self.soon(self._start_inbound, channel)
        return snapshot

    def _start_inbound(self, channel: Channel) -> None:
        if not channel.alive or channel.hanging:
            return
        if not self.dialplan.exists(channel.context, channel.exten, 1):
            channel.runs_h = False
            self.hangup(channel, 1, "pbx")
            return
        self.dialplan.run(channel, channel.context, channel.exten, 1)
