"""The connection pill and the list across an Asterisk restart and a dropped event socket."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import row, wait_until

pytestmark = pytest.mark.browser


def table_uids(page) -> set[str]:
    return set(page.locator("#channel-rows tr[data-uid]").evaluate_all("rows => rows.map(r => r.dataset.uid)"))


def ari_uids(pbx) -> set[str]:
    return {f"default:{c['id']}" for c in pbx.channels()}


def test_the_pill_goes_reconnecting_across_an_asterisk_restart_and_the_list_resyncs(ui):
    page = ui.login("supervisor")
    lost = [ui.pbx.call("PJSIP/alice"), ui.pbx.dialplan_call("PJSIP/bob", "103")]
    for channel_id in lost:
        expect(row(page, channel_id)).to_be_visible()
    page.evaluate("window.__noReload = true")
    pill = page.locator("#connection-state")
    expect(pill).to_have_attribute("data-state", "live")

    # Every text the banner shows, to check afterwards what it said while Asterisk was away.
    page.evaluate("""() => {
      const banner = document.getElementById("stale-banner");
      window.__bannerTexts = [];
      new MutationObserver(() => window.__bannerTexts.push(banner.hidden ? "" : banner.textContent))
        .observe(banner, {childList: true, characterData: true, subtree: true, attributes: true});
    }""")
    # Every call is lost with the restart, and Asterisk refuses connections for 2 s.
    ui.pbx.control("POST", "/_sim/restart", {"down_seconds": 2})
    expect(pill).to_have_attribute("data-state", re.compile("^(reconnecting|unreachable)$"))
    expect(pill.locator(".conn-text")).to_have_text(re.compile("^(Reconnecting to Asterisk|Asterisk unreachable)$"))
    expect(pill).to_have_attribute("title", re.compile("^default: (reconnecting|unreachable) — "))
    expect(page.locator("#stale-banner")).to_be_visible()
    ui.shots.take(page, "reconnecting")

    expect(pill).to_have_attribute("data-state", "live", timeout=20_000)
    expect(pill.locator(".conn-text")).to_have_text("Live")
    expect(page.locator("#stale-banner")).to_be_hidden()
    # The dashboard's own socket stayed up: the banner spoke of Asterisk, never of the live feed.
    said = [text for text in page.evaluate("window.__bannerTexts") if text]
    assert said and all(re.match("^(Reconnecting to Asterisk|Asterisk is unreachable)", t) for t in said), said
    # The calls that died with the restart are gone from the list: it matches Asterisk again.
    for channel_id in lost:
        expect(row(page, channel_id)).to_have_count(0)
    assert table_uids(page) == ari_uids(ui.pbx) == set()
    expect(page.locator("#empty-state")).to_have_text("No channels right now.")

    after = ui.pbx.call("PJSIP/carol")
    expect(row(page, after).locator('[data-field="where"]')).to_have_text("Stasis: switchboard")
    assert table_uids(page) == ari_uids(ui.pbx) == {f"default:{after}"}
    assert page.evaluate("window.__noReload") is True
    ui.shots.take(page, "live-again")


def test_the_list_matches_asterisk_after_the_event_socket_drops(ui):
    page = ui.login("supervisor")
    kept = ui.pbx.call("PJSIP/alice")
    doomed = ui.pbx.call("PJSIP/bob")
    for channel_id in (kept, doomed):
        ui.pbx.wait_in_app(channel_id)
        expect(row(page, channel_id)).to_be_visible()

    # Drop the dashboard's event socket and change things while it reconnects: what it missed
    # must come back with the resync.
    ui.pbx.control("POST", "/_sim/faults", {"drop_websockets": True})
    ui.pbx.hangup(doomed)
    newcomer = ui.pbx.dialplan_call("PJSIP/carol", "103")

    expect(row(page, doomed)).to_have_count(0)
    expect(row(page, newcomer)).to_be_visible()
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "live")
    wait_until(lambda: table_uids(page) == ari_uids(ui.pbx), what="the table to match GET /ari/channels")
    assert table_uids(page) == {f"default:{kept}", f"default:{newcomer}"}
    # Row actions work on the new connection.
    row(page, kept).locator('button[data-action="hold"]').click()
    expect(row(page, kept).locator('[data-flag="held"]')).to_have_text("Held")
    ui.shots.take(page, "after-drop")
