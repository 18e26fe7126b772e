"""The live channel table: rows follow the PBX without a reload, row actions, disabled buttons that
explain themselves, untrusted caller ids rendered as text, agents' own calls only."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import row

pytestmark = pytest.mark.browser


def count(page, state: str):
    return page.locator(f'#state-counts button[data-state="{state}"] .count-num')


def mark_window(page) -> None:
    """A marker that survives only if the page is never reloaded or navigated away."""
    page.evaluate("window.__noReload = 'still here'")


def assert_not_reloaded(page, url: str) -> None:
    assert page.evaluate("window.__noReload") == "still here", "the page was reloaded"
    assert page.url == url


def test_the_list_fills_as_calls_come_and_go(ui):
    page = ui.login("supervisor")
    expect(page.locator("#empty-state")).to_have_text("No channels right now.")
    mark_window(page)
    url = page.url

    alice = ui.pbx.call("PJSIP/alice")
    bob = ui.pbx.call("PJSIP/bob")
    ui.pbx.control("POST", "/_sim/phones/PJSIP/carol", {"never_answer": True})
    carol = ui.pbx.call("PJSIP/carol")  # rings, never answered
    dialplan = ui.pbx.dialplan_call("PJSIP/dave", "103")

    for channel_id in (alice, bob, dialplan):
        expect(row(page, channel_id).locator('[data-field="state"]')).to_have_text("Up")
    expect(row(page, carol).locator('[data-field="state"]')).to_have_text("Ringing")
    expect(row(page, alice).locator('[data-field="caller-name"]')).to_have_text("Alice")
    expect(row(page, alice).locator('[data-field="where"]')).to_have_text("Stasis: switchboard")
    expect(row(page, dialplan).locator('[data-field="where"]')).to_have_text(re.compile(r"^default, 103, \d+$"))
    expect(page.locator("#channel-rows tr[data-uid]")).to_have_count(4)
    expect(count(page, "")).to_have_text("4")
    expect(count(page, "Up")).to_have_text("3")
    expect(count(page, "Ringing")).to_have_text("1")
    expect(page.locator("#total-count")).to_have_text("4")
    expect(page.locator("#table-foot")).to_have_text("4 channels")
    expect(page.locator("#empty-state")).to_be_hidden()
    ui.shots.take(page, "four-calls")

    # Counts follow hangups, and a click on a count filters by state.
    ui.pbx.hangup(bob)
    expect(row(page, bob)).to_have_count(0)
    expect(count(page, "Up")).to_have_text("2")
    expect(count(page, "")).to_have_text("3")
    page.locator('#state-counts button[data-state="Ringing"]').click()
    expect(page.locator("#channel-rows tr[data-uid]")).to_have_count(1)
    expect(row(page, carol)).to_be_visible()
    expect(page.locator("#table-foot")).to_have_text("Showing 1 of 3 channels")
    page.locator("#filter-clear").click()
    page.locator("#filter-text").fill("dave")
    expect(page.locator("#channel-rows tr[data-uid]")).to_have_count(1)
    expect(row(page, dialplan)).to_be_visible()
    page.locator("#filter-clear").click()
    expect(page.locator("#channel-rows tr[data-uid]")).to_have_count(3)
    ui.shots.take(page, "after-hangup")

    ui.pbx.hangup(carol)
    expect(count(page, "Ringing")).to_have_count(0)
    assert_not_reloaded(page, url)


def test_a_hangup_click_removes_the_row_without_a_reload(ui):
    page = ui.login("supervisor")
    alice = ui.pbx.call("PJSIP/alice")
    bob = ui.pbx.call("PJSIP/bob")
    ui.pbx.wait_in_app(alice)
    expect(row(page, alice).locator('[data-field="where"]')).to_have_text("Stasis: switchboard")
    mark_window(page)
    url = page.url
    name = ui.pbx.channel(alice)["name"]

    row(page, alice).locator('button[data-action="hangup"]').click()
    popover = page.get_by_role("dialog", name=f"Hang up: {name}")
    expect(popover).to_be_visible()
    popover.get_by_label("Reason", exact=True).select_option("normal")
    ui.shots.take(page, "reason-popover")
    popover.get_by_role("button", name="Hang up").click()

    expect(page.locator(".toast-success")).to_have_text(f"Hung up {name}")
    expect(row(page, alice)).to_have_count(0)
    expect(popover).to_have_count(0)
    expect(row(page, bob)).to_be_visible()
    assert ui.pbx.channel(alice) is None
    assert_not_reloaded(page, url)
    ui.shots.take(page, "row-gone")


def test_hold_and_mute_show_their_flags(ui):
    page = ui.login("supervisor")
    alice = ui.pbx.call("PJSIP/alice")
    ui.pbx.wait_in_app(alice)
    r = row(page, alice)
    expect(r.locator('[data-field="where"]')).to_have_text("Stasis: switchboard")
    expect(r.locator("[data-flag]")).to_have_count(0)

    r.locator('button[data-action="hold"]').click()
    held = r.locator('[data-flag="held"]')
    expect(held).to_have_text("Held")
    expect(held).to_have_attribute("title", re.compile("On hold from the dashboard"))
    expect(r).to_have_class(re.compile(r"\bis-held\b"))
    expect(page.locator(".toast-success").last).to_contain_text("Held PJSIP/alice-")

    r.locator('button[data-action="mute"]').click()
    popover = page.locator(".popover[role=dialog]")
    expect(popover.locator(".pop-title")).to_have_text(re.compile(r"^Mute: PJSIP.alice-"))
    popover.get_by_label("Direction").select_option("in")
    popover.get_by_role("button", name="Mute").click()
    muted = r.locator('[data-flag="muted"]')
    expect(muted).to_have_text("Muted in")
    expect(muted).to_have_attribute("title", re.compile("^Muted: in"))
    ui.shots.take(page, "held-and-muted")

    r.locator('button[data-action="unhold"]').click()
    expect(held).to_have_count(0)
    expect(r).not_to_have_class(re.compile(r"\bis-held\b"))
    expect(r.locator('button[data-slot="hold"]')).to_have_attribute("data-action", "hold")

    r.locator('button[data-action="unmute"]').click()
    expect(popover.locator(".pop-title")).to_have_text(re.compile(r"^Unmute: PJSIP.alice-"))
    expect(popover.get_by_label("Direction")).to_have_value("in")  # the one muted direction, preselected
    popover.get_by_role("button", name="Unmute").click()
    expect(muted).to_have_count(0)
    expect(r.locator("[data-flag]")).to_have_count(0)
    expect(r.locator('button[data-slot="mute"]')).to_have_attribute("data-action", "mute")
    ui.shots.take(page, "flags-gone")


def test_a_disabled_button_explains_itself(ui):
    page = ui.login("supervisor")
    dialplan = ui.pbx.dialplan_call("PJSIP/bob", "103")
    r = row(page, dialplan)
    expect(r.locator('[data-field="where"]')).to_have_text(re.compile(r"^default, 103"))
    hold = r.locator('button[data-slot="hold"]')
    expect(hold).to_be_disabled()
    expect(hold).to_have_attribute("title", re.compile(r"^Hold: Not in a Stasis application"))
    expect(hold).to_have_accessible_description(re.compile(r"^Not in a Stasis application"))
    expect(r.locator('button[data-action="hangup"]')).to_be_enabled()  # hangup works in the dialplan too
    ui.shots.take(page, "dialplan-call")

    agent = ui.as_user("agent")
    alice = ui.pbx.call("PJSIP/alice")
    ui.pbx.wait_in_app(alice)
    moh = row(agent, alice).locator('button[data-slot="moh"]')
    expect(moh).to_have_attribute("data-action", "start_moh")
    expect(moh).to_be_disabled()
    expect(moh).to_have_accessible_description("Your role (agent) cannot play music on hold.")
    expect(moh).to_have_attribute("title", "MOH: Your role (agent) cannot play music on hold.")
    expect(row(agent, alice).locator('button[data-action="hold"]')).to_be_enabled()
    ui.shots.take(agent, "agent-moh-disabled")


def test_an_xss_caller_id_renders_as_text(ui):
    page = ui.login("supervisor")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    payload = "<img src=x onerror=alert(1)>"
    evil = ui.pbx.call("PJSIP/carol", callerId=f'"{payload}" <555>')
    r = row(page, evil)
    caller = r.locator('[data-field="caller-name"]')
    expect(caller).to_have_text(payload)
    assert caller.evaluate("td => td.textContent") == payload
    expect(r.locator('[data-field="connected"]')).to_contain_text(payload)
    expect(page.locator("#channels img")).to_have_count(0)

    # A name changed mid-call goes through the same path.
    script = "</td><script>alert(2)</script><b>bold</b>"
    ui.pbx.wait_in_app(evil)
    ui.pbx.set_var(evil, "CALLERID(name)", script)
    expect(caller).to_have_text(script)
    expect(page.locator("#channels script, #channels b, #channels img")).to_have_count(0)
    ui.shots.take(page, "xss-as-text")

    # And the detail page.
    r.locator("a.ch-link").click()
    expect(page.locator('#channel-fields td[data-field="caller-name"]')).to_have_text(script)
    expect(page.locator("#channel-page img, #channel-page script, #channel-page b")).to_have_count(0)
    ui.shots.take(page, "xss-detail")
    assert dialogs == [], f"a dialog fired: {dialogs}"
    assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0


def test_an_agent_never_sees_another_agents_call(ui):
    page = ui.login("agent")  # PJSIP/alice
    # Every row ever added to the table, even for a frame.
    page.evaluate("""() => {
        window.__seenUids = new Set();
        const tbody = document.getElementById('channel-rows');
        const note = (node) => { if (node.dataset && node.dataset.uid) window.__seenUids.add(node.dataset.uid); };
        tbody.querySelectorAll('tr[data-uid]').forEach(note);
        new MutationObserver((records) => records.forEach((r) => r.addedNodes.forEach(note)))
            .observe(tbody, {childList: true});
    }""")
    bob = ui.pbx.call("PJSIP/bob")
    carol = ui.pbx.call("PJSIP/carol")
    mine = ui.pbx.call("PJSIP/alice")
    expect(row(page, mine)).to_be_visible()
    later = ui.pbx.call("PJSIP/dave")
    mine_too = ui.pbx.call("PJSIP/alice")  # created after `later`: once it shows, `later` was processed
    expect(row(page, mine_too)).to_be_visible()
    for channel_id in (bob, carol, later):
        ui.pbx.wait_in_app(channel_id)  # the dashboard has them (the supervisor's view)
    ui.pbx.set_var(carol, "CALLERID(name)", "Changed")
    ui.pbx.control("POST", "/_sim/phones/PJSIP/bob/hold")
    ui.pbx.wait_in_app(mine)
    ui.pbx.set_var(mine, "CALLERID(name)", "Last change")
    expect(row(page, mine).locator('[data-field="caller-name"]')).to_have_text("Last change")

    expect(page.locator("#channel-rows tr[data-uid]")).to_have_count(2)
    expect(page.locator("#total-count")).to_have_text("2")
    seen = set(page.evaluate("[...window.__seenUids]"))
    assert seen == {f"default:{mine}", f"default:{mine_too}"}
    page.locator("#filter-text").fill("bob")
    expect(page.locator("#empty-state")).to_contain_text("No channel matches these filters.")
    ui.shots.take(page, "agent-own-calls")
    # The detail page of someone else's call shows nothing of it either.
    page.goto(f"{ui.url}/channels/default/{bob}/")
    expect(page.locator(".toast-error")).to_have_text("your role (agent) may only see your own calls")
    expect(page.locator('#channel-fields td[data-field="name"]')).to_have_text("")
    expect(page.locator('#channel-fields td[data-field="caller-name"]')).to_have_text("")
    ui.shots.take(page, "agent-other-detail")
