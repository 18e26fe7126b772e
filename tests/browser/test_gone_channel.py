"""A gone channel's detail page after a reload: its last known state and timeline, not empty fields under
"the values below are the last ones seen"; and plain words when nothing is known."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_channel_detail import field

pytestmark = pytest.mark.browser


def test_a_gone_channels_page_keeps_its_last_state_and_timeline_after_a_reload(ui):
    page = ui.login("supervisor")
    alice = ui.pbx.call("PJSIP/alice")
    ui.pbx.wait_in_app(alice)
    name = ui.pbx.channel(alice)["name"]
    page.goto(f"{ui.url}/channels/default/{alice}/")
    expect(field(page, "state")).to_have_text("Up")
    ui.pbx.hangup(alice)
    expect(page.locator("#gone-banner")).to_be_visible()

    page.reload()
    expect(page.locator("#gone-banner")).to_have_text(
        "This channel is gone: Asterisk no longer has it. The values below are the last ones seen.")
    expect(page.locator("#channel-title")).to_have_text(name)
    expect(field(page, "name")).to_have_text(name)
    expect(field(page, "state")).to_have_text("Up")
    expect(field(page, "caller-name")).to_have_text("Alice")
    expect(field(page, "stasis-application")).to_have_text("switchboard")
    timeline = page.locator("#timeline li")
    for kind in ("ChannelCreated", "StasisStart", "ChannelDestroyed", "Gone"):
        expect(timeline.locator(".ev-type", has_text=kind)).to_have_count(1)
    expect(page.locator("#loading-banner")).to_be_hidden()
    ui.shots.take(page, "gone-after-reload")


def test_a_channel_nobody_knows_says_so(ui):
    page = ui.login("supervisor")
    page.goto(f"{ui.url}/channels/default/1234567890.4242/")
    expect(page.locator("#gone-banner")).to_contain_text("Nothing is known about this channel")
    expect(page.locator("#loading-banner")).to_be_hidden()
    expect(page.locator("#channel-title")).to_have_text("1234567890.4242")
