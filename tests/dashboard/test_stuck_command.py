"""`manage.py sweep_stuck`: in this process (the running runtime's state) and as cron runs it, a
fresh process that connects to ARI itself and knows only what a resync tells."""
from __future__ import annotations

import io
import subprocess
import sys
import time

import httpx
import pytest
from django.core.management import CommandError, call_command

from dashboard.models import AuditEntry
from tests.live_server import ROOT

from .conftest import wait_until
from .test_stuck_api import RINGING_1S, ring, ringers, sim_channel_ids, stuck_ids  # noqa: F401 - fixture

MANAGE = [sys.executable, str(ROOT / "manage.py"), "sweep_stuck"]


def sweep(*args) -> str:
    out = io.StringIO()
    call_command("sweep_stuck", *args, stdout=out)
    return out.getvalue()


def test_dry_run_by_default_then_hangup(api, pbx, ringers, settings):  # noqa: F811
    settings.STUCK_RULES = RINGING_1S
    healthy = pbx.call_in_app("PJSIP/alice")
    carol, dave = ring(pbx, ringers[0]), ring(pbx, ringers[1])
    wait_until(lambda: len(stuck_ids(api("noc"))) == 2, message="two stuck channels")

    out = sweep("--as", "noc")
    lines = out.splitlines()
    assert lines[0] == "2 stuck channels (dry run: nothing is hung up; --hangup to act)"
    assert lines[1].split() == ["ID", "NAME", "STATE", "AGE", "RULES"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert set(rows) == {carol, dave}
    assert "PJSIP/carol-" in rows[carol] and " Ringing " in rows[carol]
    assert "ringing_too_long: Ringing for" in rows[carol] and "(limit 1 s)" in rows[carol]
    assert {carol, dave, healthy} <= sim_channel_ids(pbx)
    assert not AuditEntry.objects.filter(action="hangup").exists()
    again = sweep("--dry-run", "--as", "noc").splitlines()
    assert again[0] == lines[0] and {line.split()[0] for line in again[2:]} == {carol, dave}

    out = sweep("--hangup", "--as", "noc", "--reason", "busy")
    assert "Hung up: 2, already gone: 0, left alone (no longer stuck): 0, failed: 0" in out
    assert "(audited as noc, reason busy)" in out
    entries = AuditEntry.objects.filter(action="hangup").order_by("channel_id")
    assert sorted(e.channel_id for e in entries) == sorted([carol, dave])
    assert all((e.source, e.username, e.outcome, e.params) == ("command", "noc", "ok", {"reason": "busy"})
               for e in entries)
    wait_until(lambda: sim_channel_ids(pbx) == {healthy}, message="only the healthy call to be left")
    pbx.wait_gone(carol)
    pbx.wait_gone(dave)
    assert sweep("--hangup", "--as", "noc").splitlines() == ["0 stuck channels (hangup)"]


def test_who_the_sweep_runs_as(pbx, users, settings):
    settings.STUCK_RULES = RINGING_1S
    with pytest.raises(CommandError, match="no superuser to audit the sweep under"):
        sweep()
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        sweep("--as", "nobody")
    with pytest.raises(CommandError, match=r"agent \(agent\) may not sweep stuck channels"):
        sweep("--as", "agent")
    users["admin"].is_superuser = True
    users["admin"].save()
    assert sweep().startswith("0 stuck channels")
    with pytest.raises(CommandError, match="unknown Asterisk server 'elsewhere'"):
        sweep("--server", "elsewhere")


@pytest.fixture
def dave_rings(simulator):
    simulator.control("POST", "/_sim/phones/PJSIP/dave", json={"never_answer": True, "ring_after": 0.01})
    yield
    simulator.control("POST", "/_sim/phones/PJSIP/dave", json={"never_answer": False, "ring_after": 0.05})


def test_a_fresh_process_as_cron_runs_it(live_dashboard, simulator, dave_rings):
    """The command starts its own runtime, resyncs, catches a channel unanswered for too long (from its
    creation time: no history needed), and hangs it up audited in the dashboard's database."""
    ari = live_dashboard.login("admin")
    pbx_ari = httpx.Client(base_url=simulator.ari_url, auth=(simulator.username, simulator.password), timeout=10)
    response = pbx_ari.post("/channels", params={"endpoint": "PJSIP/dave", "app": "elsewhere", "timeout": 600})
    assert response.status_code == 200, response.text
    dave = response.json()["id"]
    try:
        env = {**live_dashboard.env, "STUCK_RINGING_SECONDS": "1", "STUCK_MAX_AGE_MINUTES": "0"}
        started = time.time()
        wait_until(lambda: (pbx_ari.get(f"/channels/{dave}").json().get("state") == "Ringing"),
                   message="dave's phone to ring")
        time.sleep(1.1)
        dry = subprocess.run(MANAGE, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert dry.returncode == 0, dry.stderr
        assert dry.stdout.startswith("1 stuck channel (dry run")
        assert dave in dry.stdout and "ringing_too_long: Ringing for" in dry.stdout
        assert pbx_ari.get(f"/channels/{dave}").status_code == 200

        done = subprocess.run([*MANAGE, "--hangup"], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        assert "Hung up: 1, already gone: 0" in done.stdout and "(audited as admin, reason normal)" in done.stdout
        wait_until(lambda: pbx_ari.get(f"/channels/{dave}").status_code == 404, message="dave's call to go")
        audit = ari.get("/api/v1/audit", params={"action": "hangup", "q": dave}).json()["results"]
        assert [(a["username"], a["source"], a["outcome"], a["channel_id"]) for a in audit] == [
            ("admin", "command", "ok", dave)]

        # Each run's event socket used an application of its own: the dashboard's would have been taken over.
        sockets = [r["query"].get("app") for r in simulator.control("GET", "/_sim/requests")
                   if r["path"] == "/ari/events" and r["time"] >= started]
        assert sockets == ["switchboard-sweep", "switchboard-sweep"]
    finally:
        pbx_ari.delete(f"/channels/{dave}")
        leaked = [c["id"] for c in pbx_ari.get("/channels").json() if c["id"] == dave]
        pbx_ari.close()
        ari.close()
    assert leaked == []


def test_the_command_explains_history(capsys):
    with pytest.raises(SystemExit):
        call_command("sweep_stuck", "--help")
    text = capsys.readouterr().out
    assert "--dry-run" in text and "--hangup" in text and "--as USERNAME" in text
    assert "fresh" in text and "ARI_LISTENER=external" in text
