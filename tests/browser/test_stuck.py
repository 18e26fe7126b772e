"""The Stuck view in a real browser: a NOC user sees the stuck channels with the rule that caught each,
previews the sweep (nothing happens), confirms a bulk hangup while one of the channels hangs up by
itself, and reads the summary; an agent is turned away.

The rules' thresholds come from the server's environment, so this module runs a dashboard of its own
with STUCK_RINGING_SECONDS=1 on the browser suite's simulator, under an application name of its own
(it sees every channel through subscribeAll and leaves the shared dashboard's application alone)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_until
from tests.live_server import LiveDashboard

pytestmark = pytest.mark.browser

RINGERS = ("carol", "dave", "erin")


@pytest.fixture(scope="module")
def stuck_dashboard(browser_sim, tmp_path_factory):
    live = LiveDashboard(browser_sim, tmp_path_factory.mktemp("stuck-dashboard"), app="switchboard-stuck-tests",
                         extra_env={"STUCK_RINGING_SECONDS": "1", "STUCK_MAX_AGE_MINUTES": "0",
                                    "STUCK_STASIS_UNBRIDGED_MINUTES": "0", "STUCK_NO_EVENT_MINUTES": "0",
                                    "STUCK_RTP_SILENCE_SECONDS": "0"})
    yield live
    live.stop()


def open_as(ui, dashboard: LiveDashboard, username: str, path: str = "/stuck/"):
    client = dashboard.login(username)
    page = ui.new_page()
    page.context.add_cookies([{"name": k, "value": v, "url": dashboard.url} for k, v in client.cookies.items()])
    client.close()
    page.goto(dashboard.url + path)
    expect(page.locator(".who-name")).to_have_text(username)
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "live")
    return page


def test_a_noc_user_previews_and_bulk_hangs_up_stuck_channels(ui, stuck_dashboard):
    pbx = ui.pbx
    for phone in RINGERS:
        pbx.control("POST", f"/_sim/phones/PJSIP/{phone}", {"never_answer": True})
    api = stuck_dashboard.login("noc")
    try:
        healthy = pbx.call("PJSIP/alice")
        carol, dave, erin = (pbx.call(f"PJSIP/{phone}", timeout=600) for phone in RINGERS)
        wait_until(lambda: {c["id"] for c in api.get("/api/v1/stuck").json()["results"]} == {carol, dave, erin},
                   what="the three ringing calls to be stuck")

        page = open_as(ui, stuck_dashboard, "noc")
        rows = page.locator("#stuck-rows tr")
        expect(rows).to_have_count(3)
        expect(page.locator("#stuck-count")).to_have_text("3")
        expect(page.locator(f'#stuck-rows tr[data-uid="default:{healthy}"]')).to_have_count(0)
        carol_row = page.locator(f'#stuck-rows tr[data-uid="default:{carol}"]')
        expect(carol_row).to_contain_text("PJSIP/carol-")
        expect(carol_row).to_contain_text("Ringing")
        expect(carol_row.locator('[data-rule="ringing_too_long"]')).to_contain_text(
            re.compile(r"Ringing too long Ringing for \d+ s \(limit 1 s\)"))
        expect(page.locator('#stuck-rules [data-rule="ringing_too_long"]')).to_have_text(
            "Ringing too long: in Down, Ring or Ringing for more than 1 s")
        expect(page.locator('#stuck-rules [data-rule="too_old"]')).to_have_text("Too old: off")
        expect(page.locator("#stuck-hangup")).to_be_disabled()
        expect(page.locator("#stuck-reason")).to_have_value("normal")

        # Select all, then the dry run: it lists exactly what would be hung up and hangs up nothing.
        page.get_by_label("Select every stuck channel").check()
        expect(page.locator("#stuck-hangup")).to_have_text("Hang up 3 channels")
        expect(page.locator("#stuck-hangup")).to_be_enabled()
        page.get_by_role("button", name="Preview").click()
        preview = page.locator("#stuck-preview-panel")
        expect(preview).to_be_visible()
        expect(preview.locator("#preview-note")).to_have_text(
            "The selected 3 channels would be hung up with reason “normal”:")
        expect(preview.locator("li")).to_have_count(3)
        expect(preview.locator(f'li[data-uid="default:{dave}"]')).to_contain_text("Ringing too long: Ringing for")
        ui.shots.take(page, "preview", full_page=True)
        assert {carol, dave, erin, healthy} <= {c["id"] for c in pbx.channels()}

        # One unticked, the reason changed, then the confirmation step.
        page.get_by_label(re.compile(r"^Select PJSIP/erin-")).uncheck()
        page.get_by_label("Hangup reason").select_option("busy")
        page.get_by_role("button", name="Hang up 2 channels").click()
        confirm = page.locator("#stuck-confirm")
        expect(confirm.locator("h2")).to_have_text("Hang up 2 channels?")
        expect(confirm.locator("#confirm-note")).to_contain_text("reason “busy”")
        expect(confirm.locator("li")).to_have_count(2)
        ui.shots.take(page, "confirm", full_page=True)

        # Dave's call ends by itself before the confirmation: its row goes at once, and it counts as done.
        pbx.hangup(dave)
        expect(page.locator(f'#stuck-rows tr[data-uid="default:{dave}"]')).to_have_count(0)
        confirm.get_by_role("button", name="Yes, hang up 2 channels").click()

        summary = page.locator("#stuck-summary")
        expect(summary).to_be_visible()
        expect(summary.locator('[data-count="hung_up"]')).to_have_text("1")
        expect(summary.locator('[data-count="already_gone"]')).to_have_text("1")
        expect(summary.locator('[data-count="failed"]')).to_have_text("0")
        expect(summary.locator(f'[data-list="hung_up"] li[data-uid="default:{carol}"]')).to_contain_text("PJSIP/carol-")
        expect(summary.locator(f'[data-list="already_gone"] li[data-uid="default:{dave}"]')).to_contain_text(
            "PJSIP/dave-")
        expect(confirm).to_be_hidden()
        expect(page.locator(f'#stuck-rows tr[data-uid="default:{carol}"]')).to_have_count(0)
        expect(rows).to_have_count(1)  # erin, left unticked, still rings
        expect(page.locator(f'#stuck-rows tr[data-uid="default:{erin}"]')).to_be_visible()
        ui.shots.take(page, "summary", full_page=True)

        wait_until(lambda: {c["id"] for c in pbx.channels()} == {healthy, erin}, what="carol's and dave's calls to go")
        audit = api.get("/api/v1/audit", params={"action": "hangup", "limit": 10}).json()["results"]
        assert sorted((a["channel_id"], a["username"], a["source"], a["outcome"], a["status"], a["params"]["reason"])
                      for a in audit) == sorted([(carol, "noc", "stuck", "ok", 204, "busy"),
                                                 (dave, "noc", "stuck", "failed", 404, "busy")])
    finally:
        api.close()
        for phone in RINGERS:
            pbx.control("POST", f"/_sim/phones/PJSIP/{phone}", {"never_answer": False})


def test_an_agent_is_turned_away_from_the_stuck_view(ui, stuck_dashboard):
    page = open_as(ui, stuck_dashboard, "agent")
    expect(page.locator("#stuck-forbidden")).to_contain_text("Your role (agent) cannot sweep stuck channels")
    expect(page.locator("#stuck-table")).to_have_count(0)
    client = stuck_dashboard.login("agent")
    assert client.get("/stuck/").status_code == 403
    assert client.get("/api/v1/stuck").status_code == 403
    client.close()


def boxes_overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] \
        and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


@pytest.mark.parametrize("viewport,scheme", [({"width": 1400, "height": 900}, "light"),
                                             ({"width": 390, "height": 844}, "dark")])
def test_the_empty_message_sits_in_the_table_card(ui, stuck_dashboard, viewport, scheme):
    client = stuck_dashboard.login("noc")
    page = ui.new_page(viewport=viewport, color_scheme=scheme)
    page.context.add_cookies([{"name": k, "value": v, "url": stuck_dashboard.url} for k, v in client.cookies.items()])
    client.close()
    page.goto(stuck_dashboard.url + "/stuck/")
    empty = page.locator("#stuck-empty")
    expect(empty).to_have_text("No channel is stuck right now.")
    message = empty.bounding_box()
    for other in ("#page-title", "#stuck-rules", ".toolbar-row", "#stuck-table thead"):
        assert not boxes_overlap(message, page.locator(other).bounding_box()), f"the empty message covers {other}"
    card = page.locator(".card", has=page.locator("#stuck-table")).bounding_box()
    assert card["y"] <= message["y"] and message["y"] + message["height"] <= card["y"] + card["height"]
    ui.shots.take(page, f"empty-{viewport['width']}-{scheme}", full_page=True)


def test_rows_hung_up_by_the_sweep_leave_at_once(ui, stuck_dashboard):
    """The rows go on the sweep's answer, even when the channels' removal is slow to come over the
    socket and a list read just before the hangups (stale) is answered after them: both are held back
    here, as a loaded server does."""
    pbx = ui.pbx
    for phone in RINGERS:
        pbx.control("POST", f"/_sim/phones/PJSIP/{phone}", {"never_answer": True})
    api = stuck_dashboard.login("noc")
    try:
        ringing = [pbx.call(f"PJSIP/{phone}", timeout=600) for phone in RINGERS]
        wait_until(lambda: {c["id"] for c in api.get("/api/v1/stuck").json()["results"]} == set(ringing),
                   what="the three ringing calls to be stuck")
        stale = api.get("/api/v1/stuck").text
        held = {"on": False}

        def socket(ws):
            server = ws.connect_to_server()
            server.on_message(lambda m: None if held["on"] and '"diff"' in m else ws.send(m))
            ws.on_message(server.send)

        page = ui.new_page()
        page.route_web_socket("**/ws/live/", socket)
        page.context.add_cookies([{"name": k, "value": v, "url": stuck_dashboard.url} for k, v in api.cookies.items()])
        page.goto(stuck_dashboard.url + "/stuck/")
        rows = page.locator("#stuck-rows tr")
        expect(rows).to_have_count(3)
        page.get_by_label("Select every stuck channel").check()
        page.get_by_role("button", name="Hang up 3 channels").click()
        held["on"] = True
        page.route("**/api/v1/stuck", lambda route: route.fulfill(status=200, content_type="application/json",
                                                                  body=stale))
        page.get_by_role("button", name="Yes, hang up 3 channels").click()
        expect(page.locator('#stuck-summary [data-count="hung_up"]')).to_have_text("3")
        expect(rows).to_have_count(0)
        expect(page.locator("#stuck-count")).to_have_text("0")
        page.wait_for_timeout(500)  # the stale list, read again after the sweep, does not bring them back
        expect(rows).to_have_count(0)
        ui.shots.take(page, "swept")
        wait_until(lambda: not pbx.channels(), what="the calls to go")
    finally:
        api.close()
        for phone in RINGERS:
            pbx.control("POST", f"/_sim/phones/PJSIP/{phone}", {"never_answer": False})
