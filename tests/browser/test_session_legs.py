"""Listen is disabled, with the server's reason, on the channels of a click-to-call or monitoring
session: the live table and the detail page say no before the request, in the words the API answers."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import row, wait_until

pytestmark = pytest.mark.browser

REASON = "That channel belongs to a monitoring or click-to-call session"


def test_listen_is_disabled_on_the_legs_of_a_click_to_call(ui):
    agent = ui.dashboard.login("agent")
    try:
        session = agent.post("/api/v1/click-to-call", json={"destination": "100"}).json()
        wait_until(lambda: any(s["id"] == session["id"] and s["state"] == "connected"
                               for s in agent.get("/api/v1/sessions").json()["results"]), what="the call connected")
        page = ui.login("supervisor")
        for leg in session["channels"]:
            listen = row(page, leg).locator('button[data-slot="snoop"]')
            expect(listen).to_have_attribute("data-action", "monitor")
            expect(listen).to_be_disabled()
            expect(listen).to_have_attribute("title", f"Listen: {REASON}")
            expect(row(page, leg).locator(".visually-hidden", has_text=REASON)).to_have_count(1)
        ui.shots.take(page, "legs")

        detail = ui.as_user("supervisor", f"/channels/default/{session['channels'][0]}/")
        expect(detail.locator("#listen-button")).to_be_disabled()
        expect(detail.locator("#listen-button")).to_have_attribute("title", REASON)
    finally:
        agent.post(f"/api/v1/sessions/{session['id']}/stop")
        agent.close()
    wait_until(lambda: not [c for c in ui.pbx.channels() if session["id"] in c["id"]], what="the session's calls to go")
