"""Find stuck channels with the Stuck view's rules and, with --hangup, hang them up: for cron or a
systemd timer. See the "Stuck channels" section of README.md."""
from __future__ import annotations

import dataclasses
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dashboard import runtime, sweep
from dashboard.access import Actor
from dashboard.services import ActionError, resolve_server
from dashboard.stuck import duration, explain

HELP = """\
Find the channels that a stuck rule catches (the rules and STUCK_* settings of the Stuck view) and
print them as a table. --dry-run (the default) changes nothing; --hangup hangs up every channel
listed, each hangup authorised and audited on its own (source "command") under the --as user, and
prints what succeeded, what was already gone (counted as done) and what failed; the exit status is
1 when a hangup failed.

History: with ARI_LISTENER=external (Redis) the command reads the listener's live state, which
knows each channel's history. Otherwise it connects to ARI itself (under the application name
<ARI_APP>-sweep, so as not to take the dashboard's own over) and knows only what a fresh
GET /channels tells: the channel's age and, for a channel not answered yet, how long it has been
unanswered. The rules that need history (no events, waiting unbridged in an application, RTP
silence) then catch nothing, since they count from the command's start.
"""


def _printable(text: str) -> str:
    # Channel names and ids come from the PBX: keep terminal control characters out of the table.
    return "".join(ch if ch.isprintable() else "?" for ch in text)


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--dry-run", action="store_true", help="only list the stuck channels (the default)")
        mode.add_argument("--hangup", action="store_true", help="hang up every stuck channel listed")
        parser.add_argument("--reason", default=sweep.DEFAULT_REASON, choices=sweep.HANGUP_REASONS,
                            help="hangup reason (default: normal)")
        parser.add_argument("--server", help="only this Asterisk server (a name from ARI_SERVERS)")
        parser.add_argument("--as", dest="as_user", metavar="USERNAME",
                            help="the user the sweep is authorised and audited as (default: the first superuser)")
        parser.add_argument("--wait", type=float, default=20.0,
                            help="seconds to wait for the ARI event streams to be live (default 20)")

    def handle(self, *args, **options):
        actor = self._actor(options["as_user"])
        if not sweep.may_sweep(actor):
            raise CommandError(f"{actor.username} ({actor.role_label}) may not sweep stuck channels: that takes "
                               "a role that may hang up any call (supervisor, noc, admin)")
        started_here = runtime._runtime is None
        if started_here and settings.ARI_LISTENER == "embedded":
            # Our own event stream subscribes to everything under another application name: the same
            # name would take the Stasis application away from the running dashboard.
            settings.ARI_SERVERS = [dataclasses.replace(s, app=f"{s.app}-sweep") for s in settings.ARI_SERVERS]
        try:
            rt = runtime.get()
            server = self._server(options["server"])
            self._wait_live(rt, server, options["wait"])
            self._sweep(actor, server, options)
        finally:
            if started_here:
                runtime.close()

    def _actor(self, username: str | None) -> Actor:
        users = get_user_model().objects
        if username:
            user = users.filter(username=username).first()
            if user is None:
                raise CommandError(f"no user named {username!r} (--as)")
        else:
            user = users.filter(is_superuser=True, is_active=True).order_by("pk").first()
            if user is None:
                raise CommandError("no superuser to audit the sweep under: create one "
                                   "(manage.py createsuperuser) or name a user with --as USERNAME")
        if not user.is_active:
            raise CommandError(f"user {user.get_username()!r} is inactive")
        return Actor(user)

    def _server(self, server: str | None) -> str | None:
        if not server:
            return None
        try:
            return resolve_server(server)
        except ActionError as err:
            raise CommandError(err.message) from None

    def _wait_live(self, rt, server: str | None, timeout: float) -> None:
        names = [server] if server else [s.name for s in settings.ARI_SERVERS]
        deadline = time.monotonic() + timeout
        while True:
            states = {name: rt.replica.servers.get(name, {}) for name in names}
            if all(s.get("state") == "live" for s in states.values()):
                return
            if time.monotonic() > deadline:
                down = ", ".join(f"{name}: {s.get('state', 'no answer')} {s.get('detail', '')}".strip()
                                 for name, s in states.items() if s.get("state") != "live")
                raise CommandError(f"the ARI event streams are not live after {timeout:g} s ({down}); "
                                   "nothing was swept")
            time.sleep(0.1)

    def _sweep(self, actor: Actor, server: str | None, options) -> None:
        now = time.time()
        rules = settings.STUCK_RULES
        found = sweep.stuck_entries(server, now)
        multi = len(settings.ARI_SERVERS) > 1
        mode = "hangup" if options["hangup"] else "dry run: nothing is hung up; --hangup to act"
        self.stdout.write(f"{len(found)} stuck channel{'' if len(found) == 1 else 's'} ({mode})")
        if found:
            header = (["SERVER"] if multi else []) + ["ID", "NAME", "STATE", "AGE", "RULES"]
            rows = [([e.server] if multi else []) + [
                _printable(e.id), _printable(e.channel.name), e.channel.state, duration(now - e.created_at),
                "; ".join(f"{name}: {explain(e, name, rules, now)}" for name in names)]
                for e, names in found]
            widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header) - 1)]
            for row in [header, *rows]:
                cells = [str(cell).ljust(width) for cell, width in zip(row, widths)] + [row[-1]]
                self.stdout.write("  ".join(cells).rstrip())
        if not options["hangup"] or not found:
            return
        summary = sweep.hangup(actor, [e.key for e, _ in found], options["reason"], source="command")
        counts = sweep.summary_counts(summary)
        self.stdout.write(f"Hung up: {counts['hung_up']}, already gone: {counts['already_gone']}, left alone "
                          f"(no longer stuck): {counts['skipped']}, failed: {counts['failed']} "
                          f"(audited as {actor.username}, reason {options['reason']})")
        for key, label in (("already_gone", "GONE"), ("skipped", "LEFT"), ("failed", "FAILED")):
            for item in summary[key]:
                message = f": {item['message']}" if item.get("message") else ""
                self.stdout.write(f"  {label} {_printable(item['id'])} {_printable(item['name'])}{message}")
        if summary["failed"]:
            raise CommandError(f"{counts['failed']} hangup{'' if counts['failed'] == 1 else 's'} failed",
                               returncode=1)
