"""Sessions in a real browser: the panel on every page holds the user's own calls and monitoring only;
everyone's are on the Sessions page, for supervisors and admins, live, with stop buttons where the
role allows; an ended session names who ended it, for its owner and for the others."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_workflows_ui import STATE, assert_nothing_left, new_card, shown_sessions

pytestmark = pytest.mark.browser


def session_row(page, sid: str):
    return page.locator(f'#all-sessions-rows tr[data-session="{sid}"]')


def test_everyones_sessions_are_on_a_page_of_their_own_and_the_ender_is_named(ui):
    pbx = ui.pbx
    pbx.control("POST", "/_sim/phones/PJSIP/alice", {"answer_after": 60})  # the agent's phone keeps ringing
    agent = ui.login("agent", path="/originate/")
    expect(agent.get_by_role("navigation", name="Main").get_by_role("link", name="Sessions")).to_have_count(0)
    before = shown_sessions(agent)
    agent.get_by_label("Number or extension").fill("100")
    agent.get_by_role("button", name="Call", exact=True).click()
    card, sid = new_card(agent, "click_to_call", before)
    expect(card.locator(STATE)).to_have_text("Ringing your phone")
    expect(agent.locator("#ctc-session")).to_have_attribute("data-session", sid)

    # The admin's panel shows the admin's own sessions only: none, so it is hidden.
    admin = ui.as_user("admin")
    expect(admin.locator("#sessions-panel")).to_be_hidden()
    expect(admin.locator(f'#sessions-list [data-session="{sid}"]')).to_have_count(0)
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Sessions").click()
    expect(admin).to_have_url(f"{ui.url}/sessions/")
    row = session_row(admin, sid)
    expect(row.locator('[data-col="who"]')).to_have_text("agent")
    expect(row.locator(STATE)).to_have_text("Ringing agent's phone")
    expect(row.locator('[data-col="phone"]')).to_have_text("PJSIP/alice")
    expect(row.locator(".session-what")).to_have_text("Call to 100")
    expect(admin.locator("#all-sessions-count")).to_contain_text("1 running")

    # A supervisor sees it too, without a button to stop someone else's call.
    supervisor = ui.as_user("supervisor", path="/sessions/")
    expect(supervisor.get_by_role("navigation", name="Main").get_by_role("link", name="Sessions")).to_have_attribute(
        "aria-current", "page")
    expect(session_row(supervisor, sid).locator(STATE)).to_have_text("Ringing agent's phone")
    expect(session_row(supervisor, sid).get_by_role("button")).to_be_hidden()
    ui.shots.take(admin, "admin-sessions-page", full_page=True)

    # The admin cancels it: everyone is told who did.
    row.get_by_role("button", name="Cancel: Call to 100 (agent)").click()
    expect(row.locator(STATE)).to_have_text("Cancelled by admin")
    expect(row.get_by_role("button")).to_be_hidden()
    expect(card.locator(STATE)).to_have_text("Cancelled by admin")
    expect(agent.locator("#ctc-session .ctc-status")).to_have_text("Cancelled by admin")
    expect(session_row(supervisor, sid).locator(STATE)).to_have_text("Cancelled by admin")
    ui.shots.take(agent, "cancelled-by-admin", full_page=True)
    assert_nothing_left(pbx, sid)

    # The page is not the agent's: a 403 that says why.
    response = agent.goto(f"{ui.url}/sessions/")
    assert response.status == 403
    expect(agent.locator("#sessions-forbidden")).to_contain_text("supervisors and admins")
    expect(agent.locator("#all-sessions")).to_have_count(0)


def test_a_supervisors_own_monitoring_stays_in_their_panel_and_on_the_page(ui):
    pbx = ui.pbx
    alice = pbx.call("PJSIP/alice")
    pbx.wait_in_app(alice)
    page = ui.login("supervisor", path="/sessions/")
    response = page.evaluate("""async (channel) => {
        const token = document.cookie.split('; ').find((c) => c.startsWith('csrftoken=')).split('=')[1];
        const res = await fetch('/api/v1/monitor', {method: 'POST', headers: {'Content-Type': 'application/json',
            'X-CSRFToken': token}, body: JSON.stringify({channel})});
        return {status: res.status, body: await res.json()};
    }""", alice)
    assert response["status"] == 200, response
    sid = response["body"]["id"]
    row = session_row(page, sid)
    expect(row.locator(STATE)).to_have_text("Listening")
    expect(row.locator('[data-col="who"]')).to_have_text("you (supervisor)")
    expect(page.locator(f'#sessions-list [data-session="{sid}"]')).to_be_visible()  # the panel: their own
    expect(page.locator("#all-sessions-empty")).to_be_hidden()
    row.get_by_role("button", name=re.compile(r"^Stop: ")).click()
    expect(row.locator(STATE)).to_have_text("Ended: stopped")
    assert_nothing_left(pbx, sid, keep=(alice,))
