"""Who may see the wallboard (page, REST API), what the API answers, and the audit of every refusal.

Supervisors and admins may; agents and NOC may not (the NOC already has every channel and the Stuck page;
the wallboard watches people, which is supervision). Expectations are written out, not read from the code."""
from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dashboard.models import AuditEntry, Profile
from dashboard.wallboard import people
from tests.dashboard.conftest import wait_until

ALLOWED = {"agent": False, "supervisor": True, "noc": False, "admin": True}


@pytest.fixture(autouse=True)
def fresh_people():
    people.forget()
    yield
    people.forget()


def _page(users, username: str, path: str = "/wallboard/"):
    client = Client()
    client.force_login(users[username])
    return client.get(path)


def _denials(username: str, source: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(username=username, action="view_wallboard", source=source))


@pytest.mark.parametrize("username", sorted(ALLOWED))
def test_the_api_by_role(username, api, dashboard_runtime):
    response = api(username).get("/api/v1/wallboard")
    if ALLOWED[username]:
        assert response.status_code == 200, response.content
        assert _denials(username, "api") == []
    else:
        assert response.status_code == 403
        assert response.json() == {"message": f"your role ({username}) may not see the wallboard: it is for "
                                              "supervisors and admins", "code": "forbidden"}
        denied, = _denials(username, "api")
        assert (denied.outcome, denied.status) == (AuditEntry.Outcome.DENIED, 403)


@pytest.mark.parametrize("username", sorted(ALLOWED))
def test_the_page_and_its_nav_link_by_role(username, users, dashboard_runtime):
    page = _page(users, username)
    home = _page(users, username, "/")
    has_link = 'href="/wallboard/"' in home.content.decode()
    if ALLOWED[username]:
        assert page.status_code == 200
        boot = json.loads(re.search(r'<script id="boot" type="application/json">(.*?)</script>',
                                    page.content.decode()).group(1))
        assert boot["ws_url"] == "/ws/wallboard/"
        assert has_link
        assert _denials(username, "web") == []
    else:
        assert page.status_code == 403
        assert "may not see the wallboard" in page.content.decode()
        assert 'id="wb-tiles"' not in page.content.decode()
        assert not has_link
        assert len(_denials(username, "web")) == 1


def test_anonymous_visitors_are_sent_to_log_in(db, dashboard_runtime):
    assert Client().get("/wallboard/")["Location"].startswith("/login/?next=/wallboard/")
    response = Client().get("/api/v1/wallboard")
    assert response.status_code in (401, 403) and "message" in response.json()


def test_tiles_name_the_people_on_them(api, users, pbx):
    alice_user = users["agent"]
    alice_user.first_name, alice_user.last_name = "Alice", "Martin"
    alice_user.save()
    ghost = get_user_model().objects.create_user(username="ghost", password="ghost")
    Profile.objects.create(user=ghost, endpoint="PJSIP/ghost", extension="1099")
    call = pbx.call_in_app("PJSIP/alice", callerId='"Northwind Traders" <+15550142>')
    pbx.wait_entry(call, lambda e: e.channel.state == "Up")

    def board():
        body = api("supervisor").get("/api/v1/wallboard").json()
        return body if body["tiles"] and _tile(body, "PJSIP/alice")["status"] == "busy" else None

    body = wait_until(board, message="alice busy on the board")
    alice = _tile(body, "PJSIP/alice")
    assert (alice["name"], alice["user"], alice["group"], alice["extension"]) == ("Alice Martin", "agent", "agent",
                                                                                   "1001")
    assert alice["peer"] == {"name": "Northwind Traders", "number": "+15550142"} and alice["known"] is True
    carol = _tile(body, "PJSIP/carol")  # a phone nobody uses
    assert (carol["name"], carol["user"], carol["group"], carol["status"]) == ("carol", None, "", "idle")
    ghost_tile = _tile(body, "PJSIP/ghost")  # a profile's phone Asterisk does not know
    assert (ghost_tile["known"], ghost_tile["status"], ghost_tile["name"], ghost_tile["id"]) == (
        False, "offline", "ghost", "default:PJSIP/ghost")
    counters = body["counters"]
    assert counters["calls"] == 1 and counters["busy"] == 1 and counters["longest_call"] >= 0
    assert counters["offline"] >= 3  # SIP/alice, SIP/bob (unknown state) and ghost
    assert sum(counters[s] for s in ("idle", "ringing", "busy", "held", "offline")) == len(body["tiles"])
    assert body["history"]["bucket_seconds"] == 10 and body["history"]["points"][-1][1] >= 1
    assert body["servers"]["default"]["state"] == "live"


def test_hidden_endpoints_stay_off_the_board(api, dashboard_runtime, settings):
    settings.WALLBOARD_HIDE = ["SIP/*", "PJSIP/trunk"]
    endpoints = {t["endpoint"] for t in api("admin").get("/api/v1/wallboard").json()["tiles"]}
    assert "PJSIP/alice" in endpoints and not {"SIP/alice", "SIP/bob", "PJSIP/trunk"} & endpoints


def _tile(body: dict, endpoint: str) -> dict:
    return next(t for t in body["tiles"] if t["endpoint"] == endpoint)
