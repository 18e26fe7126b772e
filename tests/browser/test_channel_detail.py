"""The channel detail page: opened from the row, its fields, the live timeline, reading a variable,
and a server-side 400 shown next to the field it names."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import row

pytestmark = pytest.mark.browser


def field(page, name: str):
    return page.locator(f'#channel-fields td[data-field="{name}"]')


def test_the_detail_page_shows_the_channel_its_timeline_variables_and_errors(ui):
    page = ui.login("noc")
    alice = ui.pbx.call("PJSIP/alice")
    ui.pbx.wait_in_app(alice)
    ui.pbx.set_var(alice, "ACCOUNT_TIER", "gold")
    name = ui.pbx.channel(alice)["name"]

    row(page, alice).locator("a.ch-link").click()
    expect(page).to_have_url(f"{ui.url}/channels/default/{alice}/")
    expect(page.locator("#channel-title")).to_have_text(name)
    expect(page.locator("#loading-banner")).to_be_hidden()
    expect(page.locator("#gone-banner")).to_be_hidden()
    expect(field(page, "name")).to_have_text(name)
    expect(field(page, "id")).to_have_text(alice)
    expect(field(page, "server")).to_have_text("default")
    expect(field(page, "state")).to_have_text("Up")
    expect(field(page, "caller-name")).to_have_text("Alice")
    expect(field(page, "caller-number")).to_have_text("1001")
    expect(field(page, "stasis-application")).to_have_text("switchboard")
    expect(field(page, "held")).to_have_text("no")
    expect(field(page, "duration")).to_have_text(re.compile(r"^\d+:\d\d$"))

    # History first (creation, entry into the application), then live events.
    timeline = page.locator("#timeline li")
    expect(timeline.locator(".ev-type", has_text="StasisStart")).to_have_count(1)
    expect(timeline.locator(".ev-type", has_text="ChannelCreated")).to_have_count(1)
    ui.pbx.control("POST", "/_sim/phones/PJSIP/alice/hold")
    expect(timeline.first.locator(".ev-type")).to_have_text("ChannelHold")
    expect(field(page, "held")).to_have_text("yes (by phone)")
    expect(field(page, "at-a-glance").locator('[data-flag="held"]')).to_have_text("Held")
    ui.shots.take(page, "held-by-the-phone")

    # Reading a variable (NOC: technical control).
    page.get_by_label("Read a variable or function").fill("ACCOUNT_TIER")
    page.locator("#variable-get").get_by_role("button", name="Read").click()
    expect(page.locator('#variable-values tr[data-name="ACCOUNT_TIER"] td')).to_have_text("gold")
    page.get_by_label("Read a variable or function").fill("CALLERID(num)")
    page.locator("#variable-get").get_by_role("button", name="Read").click()
    expect(page.locator('#variable-values tr[data-name="CALLERID(num)"] td')).to_have_text("1001")

    # A value the browser lets through but the server refuses: the 400 lands next to the field.
    ui.pbx.control("DELETE", "/_sim/requests")
    play = page.locator('details[data-action-block="play"]')
    play.locator("summary").click()
    media = play.locator('[data-param="media"]')
    media.get_by_role("textbox").fill("bogus:thing")
    play.get_by_role("button", name="Play media", exact=True).click()
    error = media.locator(".field-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("bogus:thing")
    expect(error).to_contain_text("scheme must be one of")
    expect(media.get_by_role("textbox")).to_have_attribute("aria-invalid", "true")
    expect(media.get_by_role("textbox")).to_be_focused()
    expect(play.locator(".form-error")).to_be_hidden()  # not under the form: next to the field
    expect(page.locator(".toast-error")).to_contain_text("bogus:thing")
    assert not [r for r in ui.pbx.control("GET", "/_sim/requests") if r["path"].endswith("/play")], \
        "the invalid request reached Asterisk"
    ui.shots.take(page, "server-400-next-to-the-field")

    # Fixed, it plays.
    media.get_by_role("textbox").fill("sound:hello-world")
    play.get_by_role("button", name="Play media", exact=True).click()
    expect(error).to_be_hidden()
    expect(page.locator(".toast-success").last).to_have_text(f"Playing to {name}")
    expect(timeline.locator(".ev-type", has_text="PlaybackStarted").first).to_be_visible()


def test_a_move_to_an_application_nobody_serves_is_not_reported_as_done(ui):
    """The issue's case: Asterisk answers 204 to the move, then ApplicationMoveFailed. The page must
    say it failed, in words, and the audit log must say so too; no "Moved" toast."""
    alice = ui.pbx.call("PJSIP/alice")
    ui.pbx.wait_in_app(alice)
    page = ui.login("noc", path=f"/channels/default/{alice}/")
    expect(page.locator("#loading-banner")).to_be_hidden()
    move = page.locator('details[data-action-block="move"]')
    move.locator("summary").click()
    move.locator('[data-param="app"]').get_by_role("textbox").fill("dashboard2")
    move.get_by_role("button", name="Move to app", exact=True).click()
    expect(page.locator(".toast-error")).to_have_text(
        "the channel stayed where it was: no application called dashboard2 is connected to Asterisk")
    expect(page.locator(".toast-success")).to_have_count(0)
    expect(field(page, "stasis-application")).to_have_text("switchboard")
    ui.shots.take(page, "move-failed")
    entries = ui.pbx.admin_api.get("/api/v1/audit", params={"action": "move"}).json()["results"]
    assert [(e["outcome"], e["status"]) for e in entries if e["channel_id"] == alice] == [("failed", 422)]
