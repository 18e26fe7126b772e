"""While Asterisk is unreachable the buttons that would send it something are disabled, with the reason
the connection pill shows; they come back when it is live again."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import row, wait_until

pytestmark = pytest.mark.browser

DOWN = re.compile(r"Asterisk is (unreachable|reconnecting)")


def test_buttons_are_disabled_with_the_reason_while_asterisk_is_unreachable(ui):
    call = ui.pbx.call("PJSIP/alice")
    ui.pbx.wait_in_app(call)
    page = ui.login("supervisor")
    hold = row(page, call).locator('button[data-slot="hold"]')
    expect(hold).to_be_enabled()
    detail = ui.as_user("supervisor", f"/channels/default/{call}/")
    detail_hold = detail.locator('form[data-action="hold"] button')
    expect(detail_hold).to_be_enabled()
    originate = ui.as_user("noc", "/originate/")
    originate_button = originate.locator('#originate-form form[data-action="originate"] button[type="submit"]')
    expect(originate_button).to_be_enabled()
    stuck = ui.as_user("noc", "/stuck/")
    expect(stuck.locator("#stuck-hangup")).not_to_have_attribute("title", DOWN)

    ui.pbx.control("POST", "/_sim/restart", {"down_seconds": 10})
    try:
        unreachable(ui, page, call, detail, originate, hold, detail_hold, originate_button, stuck)
    finally:  # the next test needs Asterisk back
        wait_until(lambda: ui.pbx.ari.get("/channels").status_code == 200, timeout=30, what="Asterisk back")


def unreachable(ui, page, call, detail, originate, hold, detail_hold, originate_button, stuck):
    for p in (page, detail, originate):
        expect(p.locator("#connection-state")).not_to_have_attribute("data-state", "live")
    expect(hold).to_be_disabled()
    expect(hold).to_have_attribute("title", DOWN)
    expect(row(page, call).locator('button[data-slot="hangup"]')).to_be_disabled()
    expect(detail_hold).to_be_disabled()
    expect(detail.locator("#blocked-actions")).to_contain_text(DOWN)
    expect(originate_button).to_be_disabled()
    expect(originate.locator("#originate-form")).to_contain_text(DOWN)
    expect(stuck.locator("#stuck-hangup")).to_have_attribute("title", DOWN)
    ui.shots.take(page, "unreachable")

    # Back: the calls died with the restart; a new one has its buttons again.
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "live", timeout=25_000)
    expect(row(page, call)).to_have_count(0)
    after = ui.pbx.call("PJSIP/bob")
    ui.pbx.wait_in_app(after)
    expect(row(page, after).locator('button[data-slot="hold"]')).to_be_enabled()
    expect(originate_button).to_be_enabled()
