"""Who is signed in, per process: the facts the access rules read, and the live sockets each sign-in allows.

A live socket is opened with a credential: a browser's session or a script's API token. It lives as long
as that credential does, with the role it had:

- logout (Django's `user_logged_out`) and a deleted token end their sockets at once: close code
  `SIGNED_OUT` (4401), and the page goes to the login page;
- a change to a user (active flag, password, groups, permissions, profile; or deletion) makes every
  socket of that user check its credential again: no longer valid -> `SIGNED_OUT`; another role ->
  `ROLE_CHANGED` (4409), and the page reloads with the new role's view and buttons;
- every LIVE_AUTH_RECHECK_SECONDS every socket checks anyway: sessions that expire, and changes made
  behind Django's back (QuerySet.update, SQL) or whose broadcast was lost.

Each process has its own cache and sockets. A signal acts in its own process at once and, with a shared
channel layer (Redis), tells the other processes through one group; credentials travel only as digests.
`cache.get(user)` + `Actor.from_facts` give any request the same facts without reading the database again.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import import_module

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib.auth import get_user, get_user_model, user_logged_out
from django.contrib.auth.models import AnonymousUser, Group
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.http import HttpRequest

from .access import Actor
from .live import broadcast

log = logging.getLogger(__name__)

SIGNED_OUT = 4401  # the page goes to the login page
FORBIDDEN = 4403  # the role may not open this socket
ROLE_CHANGED = 4409  # the page reloads


async def refuse(consumer, code: int) -> None:
    """Refuse a socket with a close code the page understands. Accepted first: a close before the
    handshake is an HTTP 403, which a browser only sees as a lost connection (and retries)."""
    await consumer.accept()
    await consumer.close(code=code)

GROUP = "switchboard.auth"
ENDED = "auth.ended"  # {"credential": digest}: close its sockets
CHANGED = "auth.changed"  # {"users": [id, ...] or None for everyone}: drop their facts, re-check their sockets
ORIGIN = uuid.uuid4().hex  # this process: it acted on its own broadcasts already


@dataclass(frozen=True)
class Facts:
    """What the access rules read about a user (dashboard/access.py); a socket keeps the ones it opened with."""

    user_id: int
    perms: frozenset[str]
    roles: tuple[str, ...]
    endpoint: str
    extension: str

    @classmethod
    def of(cls, user) -> Facts:
        actor = Actor(user)
        return cls(user.pk, actor.perms, tuple(actor.roles), actor.endpoint, actor.extension)


@dataclass(frozen=True)
class Credential:
    kind: str  # "session" | "token"
    key: str = field(repr=False)  # the secret itself: it never leaves this process, nor a log line

    @property
    def digest(self) -> str:
        return f"{self.kind}:{hashlib.sha256(self.key.encode()).hexdigest()}"


def session_credential(session_key: str) -> Credential:
    return Credential("session", session_key)


def token_credential(token_key: str) -> Credential:
    return Credential("token", token_key)


def credential_of(scope) -> Credential | None:
    """The credential a socket was opened with (see TokenAuthMiddleware for tokens)."""
    if scope.get("token_key"):
        return token_credential(scope["token_key"])
    session = scope.get("session")
    key = session.session_key if session is not None else None
    return session_credential(key) if key else None


def signed_in(credential: Credential):
    """(user, facts, expiry) for the user the credential signs in now, or None (database; sync).

    `expiry` is when a session ends by itself (epoch seconds; None for a token)."""
    if credential.kind == "token":
        from rest_framework.authtoken.models import Token

        token = Token.objects.select_related("user").filter(key=credential.key).first()
        user = token.user if token is not None and token.user.is_active else None
        expiry = None
    else:
        # As a request with this session would be: expiry, the password hash, the active flag.
        request = HttpRequest()
        request.session = import_module(settings.SESSION_ENGINE).SessionStore(credential.key)
        user = get_user(request)
        expiry = request.session.get_expiry_date().timestamp() if user.is_authenticated else None
    if user is None or not user.is_authenticated:
        return None
    facts = Facts.of(user)
    cache.put(facts)
    return user, facts, expiry


def verify(credential: Credential, user_id: int) -> Facts | None:
    """The user's facts now, or None when the credential no longer signs that user in (database; sync)."""
    found = signed_in(credential)
    return found[1] if found is not None and found[0].pk == user_id else None


class FactsCache:
    """Facts by user id, each kept at most LIVE_AUTH_RECHECK_SECONDS and dropped as soon as the user changes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._facts: dict[int, tuple[float, Facts]] = {}

    def get(self, user) -> Facts:
        """The user's facts; reads the database on a miss (sync)."""
        with self._lock:
            hit = self._facts.get(user.pk)
        if hit is not None and time.monotonic() - hit[0] < settings.LIVE_AUTH_RECHECK_SECONDS:
            return hit[1]
        facts = Facts.of(user)
        self.put(facts)
        return facts

    def put(self, facts: Facts) -> None:
        with self._lock:
            self._facts[facts.user_id] = (time.monotonic(), facts)

    def drop(self, user_ids: Iterable[int] | None) -> None:
        with self._lock:
            if user_ids is None:
                self._facts.clear()
            for user_id in user_ids or ():
                self._facts.pop(user_id, None)


cache = FactsCache()


class SignIns:
    """Requests' credentials -> (user, facts), so that an action reads no session, user, group or permission
    from the database: the REST actions run on the event loop (dashboard/api/actions.py).

    Dropped with the sockets' facts: at once on logout, a revoked token or any change to the user (the signals
    below, in every process); else after LIVE_AUTH_RECHECK_SECONDS, and never past a session's own expiry."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, object, Facts]] = {}
        self._drops = 0  # how many drops so far: a lookup that raced with one is not kept

    def get(self, credential: Credential):
        with self._lock:
            hit = self._entries.get(credential.digest)
        if hit is None or time.time() >= hit[0]:
            return None
        return hit[1], hit[2]

    def mark(self) -> int:
        return self._drops

    def put(self, credential: Credential, user, facts: Facts, expiry: float | None, mark: int) -> None:
        until = time.time() + settings.LIVE_AUTH_RECHECK_SECONDS
        with self._lock:
            if mark != self._drops:
                return  # the user or credential changed while it was read: the next request reads it again
            self._entries[credential.digest] = (min(until, expiry) if expiry else until, user, facts)

    def drop(self, *, digest: str | None = None, users: Iterable[int] | None = None) -> None:
        """Forget a credential, the credentials of some users, or (both None) every one."""
        with self._lock:
            self._drops += 1
            if digest is not None:
                self._entries.pop(digest, None)
            elif users is None:
                self._entries.clear()
            else:
                users = set(users)
                for key in [k for k, (_, user, _) in self._entries.items() if user.pk in users]:
                    del self._entries[key]


signins = SignIns()


async def request_user(credential: Credential):
    """(user, facts) that a request's credential signs in, or None; the database only on a miss."""
    hit = signins.get(credential)
    if hit is not None:
        return hit
    mark = signins.mark()
    # Channels' database_sync_to_async gives the connection back to the pool at once: kept until the request
    # ended, it was held while the request waited for the audit writer, which may need one (a pool run dry).
    found = await database_sync_to_async(signed_in)(credential)
    if found is None:
        return None
    user, facts, expiry = found
    signins.put(credential, user, facts, expiry, mark)
    return user, facts


class Sockets:
    """This process's live sockets. Each has `credential`, `facts`, `loop` and `async end(code)`."""

    def __init__(self):
        self._lock = threading.Lock()
        self._all: set = set()

    def add(self, socket) -> None:
        with self._lock:
            self._all.add(socket)

    def discard(self, socket) -> None:
        with self._lock:
            self._all.discard(socket)

    def matching(self, *, digest: str | None = None, users: Iterable[int] | None = None,
                 loop: asyncio.AbstractEventLoop | None = None) -> list:
        users = None if users is None else set(users)
        with self._lock:
            return [s for s in self._all
                    if (digest is None or s.credential.digest == digest)
                    and (users is None or s.facts.user_id in users)
                    and (loop is None or s.loop is loop)]


sockets = Sockets()


async def _settle(socket, facts: Facts | None) -> None:
    if facts is None:
        await socket.end(SIGNED_OUT)
    elif facts != socket.facts:
        await socket.end(ROLE_CHANGED)


async def recheck(socket) -> None:
    await _settle(socket, await database_sync_to_async(verify)(socket.credential, socket.facts.user_id))


def _on_loop(socket, make_coro) -> None:
    """Run make_coro() on the socket's event loop, from any thread."""
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    try:
        if running is socket.loop:
            socket.loop.create_task(make_coro())
        else:
            asyncio.run_coroutine_threadsafe(make_coro(), socket.loop)
    except RuntimeError:  # its loop is closed: the socket went with it
        sockets.discard(socket)


def _apply(message: dict) -> None:
    if message["type"] == ENDED:
        signins.drop(digest=message["credential"])
        for socket in sockets.matching(digest=message["credential"]):
            _on_loop(socket, lambda s=socket: s.end(SIGNED_OUT))
    elif message["type"] == CHANGED:
        cache.drop(message["users"])
        signins.drop(users=message["users"])
        for socket in sockets.matching(users=message["users"]):
            _on_loop(socket, lambda s=socket: recheck(s))


def _shared_layer():
    layer = get_channel_layer()
    return None if layer is None or isinstance(layer, InMemoryChannelLayer) else layer


def publish(message: dict) -> None:
    """Act on the message in this process now, then in every other process (shared layer only)."""
    _apply(message)
    layer = _shared_layer()
    if layer is None:
        return
    message = {**message, "origin": ORIGIN}
    try:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None:
            running.create_task(layer.group_send(GROUP, message))
        else:
            async_to_sync(layer.group_send)(GROUP, message)
    except Exception:  # noqa: BLE001 - a logout must not fail with Redis: the periodic re-check still ends them
        log.exception("could not tell the other processes that a sign-in changed")


def _on_commit(message: dict) -> None:
    # After the commit, so that the re-checks read the new state (the admin saves inside a transaction).
    transaction.on_commit(lambda: publish(message))


def session_ended(session_key: str) -> None:
    _on_commit({"type": ENDED, "credential": session_credential(session_key).digest})


def token_revoked(token_key: str) -> None:
    _on_commit({"type": ENDED, "credential": token_credential(token_key).digest})


def users_changed(user_ids: Iterable[int] | None) -> None:
    """None: everyone (a change whose users are not known cheaply)."""
    _on_commit({"type": CHANGED, "users": None if user_ids is None else sorted(set(user_ids))})


# -- the per-process tasks: the broadcast listener and the periodic re-check ---------------------------

_task: asyncio.Task | None = None


async def start() -> None:
    """Start this process's listener and re-check on the running loop (idempotent; the consumers call it)."""
    global _task
    loop = asyncio.get_running_loop()
    if _task is None or _task.done() or _task.get_loop() is not loop:
        _task = loop.create_task(_run(), name="auth-state")


async def _run() -> None:
    layer = _shared_layer()
    if layer is None:
        await _recheck_loop(None, None)
        return
    # A plain channel of this process's own, not new_channel()'s: channels_redis serialises the receives of
    # a process's "!" channels behind one lock, and the replica's would hold ours back by seconds.
    channel = f"{GROUP}.{ORIGIN}"
    await layer.group_add(GROUP, channel)
    await asyncio.gather(_recheck_loop(layer, channel), _listen(layer, channel))


async def _listen(layer, channel: str) -> None:
    async def handle(message: dict) -> None:
        if message.get("origin") != ORIGIN:
            _apply(message)

    # A missed message is made up for by the periodic re-check.
    await broadcast.listen(layer, channel, handle, what="the auth broadcast")


async def _recheck_loop(layer, channel: str | None) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(settings.LIVE_AUTH_RECHECK_SECONDS)
        if layer is not None:
            try:
                await layer.group_add(GROUP, channel)  # a group membership expires in Redis after a day
            except Exception:  # noqa: BLE001
                log.exception("could not renew the auth broadcast subscription")
        by_credential: dict[str, list] = {}
        for socket in sockets.matching(loop=loop):
            by_credential.setdefault(socket.credential.digest, []).append(socket)
        for group in by_credential.values():
            # One database check per credential (a browser's tabs share a session).
            facts = await database_sync_to_async(verify)(group[0].credential, group[0].facts.user_id)
            for socket in group:
                await _settle(socket, facts)


# -- scripts' sockets ---------------------------------------------------------------------------------

def _token_user(key: str):
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    return token.user if token is not None and token.user.is_active else None


class TokenAuthMiddleware(BaseMiddleware):
    """Scripts open the live socket with `Authorization: Token <key>`, as they call the REST API.

    A wrong token refuses the socket even beside a valid session cookie, as the API does.
    """

    async def __call__(self, scope, receive, send):
        header = dict(scope.get("headers", ())).get(b"authorization", b"").decode("latin-1")
        kind, _, key = header.strip().partition(" ")
        if kind.lower() == "token":
            key = key.strip()
            user = await database_sync_to_async(_token_user)(key) if key else None
            scope = {**scope, "user": user or AnonymousUser(), "token_key": key if user else None}
        return await super().__call__(scope, receive, send)


# -- Django's signals ---------------------------------------------------------------------------------

def _logged_out(sender, request, user, **kwargs):
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        session_ended(session_key)


def _user_saved(sender, instance, created, update_fields=None, **kwargs):
    # A login stamps last_login: nothing the access rules read.
    if not created and not (update_fields and set(update_fields) == {"last_login"}):
        users_changed([instance.pk])


def _user_deleted(sender, instance, **kwargs):
    users_changed([instance.pk])


def _profile_changed(sender, instance, **kwargs):
    users_changed([instance.user_id])


def _token_deleted(sender, instance, **kwargs):
    token_revoked(instance.key)


def _group_deleted(sender, instance, **kwargs):
    users_changed(instance.user_set.values_list("pk", flat=True))


def _membership_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """user.groups / group.user_set (and user.user_permissions / permission.user_set) changed."""
    if not reverse:
        if action.startswith("post_"):
            users_changed([instance.pk])
    elif action in ("post_add", "post_remove"):
        users_changed(pk_set)
    elif action == "pre_clear":
        users_changed(instance.user_set.values_list("pk", flat=True))


def _group_permissions_changed(sender, instance, action, reverse, **kwargs):
    if action.startswith("post_"):
        users_changed(None if reverse else instance.user_set.values_list("pk", flat=True))


def connect_signals() -> None:
    from rest_framework.authtoken.models import Token

    from .models import Profile

    User = get_user_model()
    user_logged_out.connect(_logged_out, dispatch_uid="authstate.logged_out")
    post_save.connect(_user_saved, sender=User, dispatch_uid="authstate.user_saved")
    post_delete.connect(_user_deleted, sender=User, dispatch_uid="authstate.user_deleted")
    post_save.connect(_profile_changed, sender=Profile, dispatch_uid="authstate.profile_saved")
    post_delete.connect(_profile_changed, sender=Profile, dispatch_uid="authstate.profile_deleted")
    post_delete.connect(_token_deleted, sender=Token, dispatch_uid="authstate.token_deleted")
    pre_delete.connect(_group_deleted, sender=Group, dispatch_uid="authstate.group_deleted")
    m2m_changed.connect(_membership_changed, sender=User.groups.through, dispatch_uid="authstate.groups")
    m2m_changed.connect(_membership_changed, sender=User.user_permissions.through, dispatch_uid="authstate.perms")
    m2m_changed.connect(_group_permissions_changed, sender=Group.permissions.through,
                        dispatch_uid="authstate.group_perms")
