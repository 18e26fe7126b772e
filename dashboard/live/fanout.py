"""What the live sockets of one process send: each changed channel presented once, its changed fields
computed once, the same message reused for every page (docs/frontend-contract.md, "Live WebSocket").

A page gets a channel whole once (in a snapshot, or the first time it may see it), then only the
fields that changed (`patch`). That works because every page that has a channel has the same
version of it: the process's current one (`View.current`). The replica hands each batch here before
any socket sees it; the batch is presented at once (changed channels re-presented, compared with
their current version, the difference kept) and a socket that takes its snapshot later starts from
the versions the batch left. A page that sees every channel then gets every batch's message as is:
one message, built once, for all of them.

There are two views of the channels: whole, and with monitoring hidden (agents, unless
MONITOR_VISIBLE_TO_AGENTS). A view is kept only while a socket uses it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import orjson
from django.conf import settings

from ..presenters import BlockedMaps, present
from ..stuck import stuck_reasons

Key = tuple[str, str]


def _uid(key: Key) -> str:
    return f"{key[0]}:{key[1]}"


@dataclass
class Presented:
    """One batch as one view's pages get it."""

    whole: dict[Key, dict] = field(default_factory=dict)  # the channels it changed or added, presented
    patches: dict[Key, dict] = field(default_factory=dict)  # ...of which those the process had: what changed
    removed: list[Key] = field(default_factory=list)
    message: str | None = None  # the diff for a page that sees every channel, once built ("" for none)


class View:
    def __init__(self, hide: bool, blocked_maps: BlockedMaps, replica):
        self.hide = hide
        self.blocked_maps = blocked_maps
        self.replica = replica  # its sessions: a session's legs cannot be listened to (presenters.present)
        # key -> [presented dict, its JSON (None until a page needs it whole), the entry]. JSON as str: orjson's
        # bytes keep an 8 kB buffer each, which 10,000 channels would turn into 80 MB.
        self.current: dict[Key, list] = {}
        self.active = False

    def _present(self, entry, service) -> dict:
        return present(entry, service, sessions=self.replica.sessions, hide_monitoring=self.hide,
                       blocked_maps=self.blocked_maps)

    def activate(self, registry, service) -> None:
        self.current = {entry.key: [self._present(entry, service), None, entry] for entry in registry.values()}
        self.active = True

    def deactivate(self) -> None:
        self.current = {}
        self.active = False

    def whole(self, key: Key) -> str | None:
        slot = self.current.get(key)
        if slot is None:
            return None
        if slot[1] is None:
            slot[1] = orjson.dumps(slot[0]).decode()
        return slot[1]

    def take(self, batch, service) -> Presented:
        """Present a batch's changes against the current versions, and make them current."""
        out = Presented()
        current = self.current
        for entry in batch.upsert:
            key = entry.key
            new = self._present(entry, service)
            old = current.get(key)
            current[key] = [new, None, entry]
            if old is not None:
                old = old[0]
                patch = {name: value for name, value in new.items() if old[name] != value}
                if not patch:
                    continue  # what changed does not show (e.g. the time of the last RTP sample)
                patch["uid"] = new["uid"]
                out.patches[key] = patch
            out.whole[key] = new
        for key in batch.remove:
            current.pop(key, None)
            out.removed.append(key)
        return out

    def restuck(self, now: float) -> Presented:
        """The channels whose stuck rules changed with the clock alone (no event changed them)."""
        rules = settings.STUCK_RULES
        out = Presented()
        for key, slot in self.current.items():
            data, _, entry = slot
            stuck = stuck_reasons(entry, rules, now)
            if stuck != data["stuck"]:
                data = {**data, "stuck": stuck}
                self.current[key] = [data, None, entry]
                out.whole[key] = data
                out.patches[key] = {"uid": data["uid"], "stuck": stuck}
        return out

    # -- messages -----------------------------------------------------------------------------

    def diffs_for_all(self, batches) -> list[str]:
        """The diffs for a page that sees every channel and has had every batch before these: each batch's
        own message, built once for every such page (one after the other, they are exact)."""
        out = []
        for batch in batches:
            one = batch.views[self.hide]
            if one.message is None:
                one.message = _diff_message(self._merge([one], lambda key: True)) or ""
            if one.message:
                out.append(one.message)
        return out

    def diff_for_own(self, batches, sent: set[Key], visible: set[Key]) -> str | None:
        """The diff for a page that sees `visible` now and has `sent` (updated in place)."""
        merged = self._merge([b.views[self.hide] for b in batches], sent.__contains__, sent | visible)
        upsert, patch, remove = [], [], []
        for key, (kind, data) in merged.items():
            if key in visible and kind != "remove":
                if kind == "patch" and key in sent:
                    patch.append(orjson.dumps(data).decode())
                else:
                    whole = self.whole(key)
                    if whole is not None:
                        upsert.append(whole)
                        sent.add(key)
            elif key in sent:
                remove.append(key)
                sent.discard(key)
        for key in visible - sent:  # visible now without having changed (a bridge joined, a role...)
            whole = self.whole(key)
            if whole is not None:
                upsert.append(whole)
                sent.add(key)
        for key in sent - visible:
            remove.append(key)
        sent.intersection_update(visible)
        if not (upsert or patch or remove):
            return None
        return _join(upsert, patch, remove)

    def _merge(self, presented: list[Presented], had, only: set[Key] | None = None) -> dict[Key, tuple[str, object]]:
        """Key -> ("whole", dict) | ("patch", dict) | ("remove", None) over batches in order, for a page
        for which `had(key)` says whether it has the key before the first of them (`only`: these keys)."""
        state: dict[Key, tuple[str, object]] = {}
        for one in presented:
            for key, data in one.whole.items():
                if only is not None and key not in only:
                    continue
                before = state.get(key)
                patch = one.patches.get(key)
                if patch is not None and (before[0] == "patch" if before else had(key)):
                    state[key] = ("patch", {**before[1], **patch} if before else patch)
                else:
                    state[key] = ("whole", data)
            for key in one.removed:
                if only is None or key in only:
                    state[key] = ("remove", None)
        return state


def _join(upsert: list[str], patch: list[str], remove: list[Key]) -> str:
    return ('{"type":"diff","upsert":[' + ",".join(upsert) + '],"patch":[' + ",".join(patch)
            + '],"remove":' + orjson.dumps([_uid(k) for k in remove]).decode() + "}")


def _diff_message(merged: dict[Key, tuple[str, object]]) -> str | None:
    upsert, patch, remove = [], [], []
    for key, (kind, data) in merged.items():
        if kind == "whole":
            upsert.append(orjson.dumps(data).decode())
        elif kind == "patch":
            patch.append(orjson.dumps(data).decode())
        else:
            remove.append(key)
    if not (upsert or patch or remove):
        return None
    return _join(upsert, patch, remove)


class Fanout:
    """The process's views, fed by the replica before its sockets."""

    def __init__(self, replica, service):
        self.replica = replica
        self.service = service
        self.blocked_maps = BlockedMaps()
        self.views = {hide: View(hide, self.blocked_maps, replica) for hide in (False, True)}

    def view(self, hide: bool) -> View:
        """The view a socket is about to use (started from the registry if nobody used it)."""
        view = self.views[hide]
        if not view.active:
            view.activate(self.replica.registry, self.service)
        return view

    def take(self, batch, listeners) -> None:
        # Pages have a view (`hide`); other listeners (confirm.py's watches of events) need none.
        wanted = {listener.hide for listener in listeners if hasattr(listener, "hide")}
        for hide, view in self.views.items():
            if hide not in wanted:
                if view.active:
                    view.deactivate()
            elif batch.resync:
                view.activate(self.replica.registry, self.service)
            elif not view.active:  # started from the registry, which already has this batch
                view.activate(self.replica.registry, self.service)
                batch.views[hide] = Presented()
            elif batch.restuck:
                batch.views[hide] = view.restuck(time.time())
            else:
                batch.views[hide] = view.take(batch, self.service)
