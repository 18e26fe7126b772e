"""Workflow sessions in a real browser: a supervisor listens to an agent's call from the live table,
whispers, then stops; an agent click-to-calls from the originate page and cancels while their phone
rings; a number from the table calls and hangs up from the sessions panel; rejected and failing
numbers say why in words. Each test ends with nothing of the session left on the PBX."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import row, wait_until

pytestmark = pytest.mark.browser

STATE = ".session-state-text"


def shown_sessions(page: Page) -> set[str]:
    """Ids of the session cards in the panel now (a session ended by an earlier test shows for ~30 s)."""
    return set(page.locator("#sessions-list .session-card").evaluate_all("cards => cards.map((c) => c.dataset.session)"))


def new_card(page: Page, kind: str, before: set[str]):
    """The panel's card of the one session of `kind` that was not there `before`, and its id."""
    def found():
        ids = page.locator(f'#sessions-list .session-card[data-kind="{kind}"]').evaluate_all(
            "cards => cards.map((c) => c.dataset.session)")
        fresh = [i for i in ids if i not in before]
        assert len(fresh) <= 1, f"more than one new {kind} session: {fresh}"
        return fresh[0] if fresh else None
    sid = wait_until(found, what=f"a new {kind} session in the panel")
    return card_of(page, sid), sid


def card_of(page: Page, sid: str):
    return page.locator(f'#sessions-list .session-card[data-session="{sid}"]')


def session_id_of(locator) -> str:
    sid = locator.get_attribute("data-session")
    assert sid and re.fullmatch(r"[0-9a-f]{12}", sid), sid
    return sid


def leftovers(pbx, sid: str) -> list[str]:
    """The session's channels and bridges still on the PBX (their ids hold the session id: sb-<id>-…)."""
    channels = [c["id"] for c in pbx.ari.get("/channels").json() if sid in c["id"]]
    bridges = [b["id"] for b in pbx.ari.get("/bridges").json() if sid in b["id"]]
    return channels + bridges


def assert_nothing_left(pbx, sid: str, keep: tuple[str, ...] = ()) -> None:
    wait_until(lambda: not leftovers(pbx, sid), what=f"session {sid}'s channels and bridges to go: {leftovers(pbx, sid)}")
    up = {c["id"] for c in pbx.channels()}
    for channel_id in keep:
        assert channel_id in up, f"{channel_id} should still be up"


def agent_call(pbx, bridge_id: str) -> tuple[str, str]:
    """Alice (an agent) on a call with Carol (a customer), both in one bridge, as a routed call is."""
    alice = pbx.call("PJSIP/alice")
    carol = pbx.call("PJSIP/carol")
    pbx.wait_in_app(alice)
    pbx.wait_in_app(carol)
    assert pbx.ari.post("/bridges", params={"type": "mixing", "bridgeId": bridge_id}).status_code == 200
    assert pbx.ari.post(f"/bridges/{bridge_id}/addChannel", params={"channel": f"{alice},{carol}"}).status_code == 204
    wait_until(lambda: next((c for c in pbx.dashboard_channels() if c["id"] == alice and bridge_id in c["flags"]["bridges"]
                             and c["state"] == "Up"), None), what="alice's call bridged in the dashboard")
    return alice, carol


# ---------------------------------------------------------------- supervisor monitoring

def test_a_supervisor_listens_whispers_and_stops_from_the_live_table(ui):
    pbx = ui.pbx
    alice, carol = agent_call(pbx, "ui-call-bridge")
    page = ui.login("supervisor")
    before = shown_sessions(page)

    listen = row(page, alice).locator('button[data-slot="snoop"]')
    expect(listen).to_have_attribute("data-action", "monitor")
    expect(listen).to_have_attribute("aria-label", "Listen")
    expect(listen).to_be_enabled()
    listen.click()

    card, sid = new_card(page, "monitor", before)
    expect(page.locator("#sessions-panel")).to_be_visible()
    alice_name = pbx.channel(alice)["name"]
    expect(card.locator(".session-what")).to_have_text(alice_name)
    expect(card.locator(".session-what a")).to_have_attribute("href", f"/channels/default/{alice}/")
    expect(card.locator(STATE)).to_have_text("Listening")
    expect(card).to_have_attribute("data-state", "active")
    expect(card.locator(".session-sub")).to_have_text("on PJSIP/supervisor1")
    expect(card.locator(".session-duration")).to_have_text(re.compile(r"^\d+:\d\d$"))
    modes = card.get_by_role("group", name="Monitoring mode")
    expect(modes.get_by_role("button", name="Listen")).to_have_attribute("aria-pressed", "true")
    expect(modes.get_by_role("button", name="Whisper")).to_have_attribute("aria-pressed", "false")
    expect(modes.get_by_role("button", name="Barge")).to_have_attribute("aria-pressed", "false")
    # The row says a session runs on that call; a click there shows it instead of starting another.
    expect(listen).to_have_attribute("aria-label", "Listening")
    expect(listen).to_have_attribute("data-session", sid)
    # Said out loud for screen readers, not only painted.
    expect(page.locator("#sessions-announce")).to_have_text(f"Monitoring, {alice_name}: Listening")
    ui.shots.take(page, "listening")

    # What the PBX has: the supervisor's phone and a snoop on alice in the session's own bridge.
    sup = f"sb-{sid}-sup"
    bridge = pbx.ari.get(f"/bridges/sb-{sid}-bridge").json()
    assert sorted(bridge["channels"]) == sorted([sup, f"sb-{sid}-snoop1"])
    assert pbx.channel(sup)["name"].startswith("PJSIP/supervisor1-")

    # Whisper, by keyboard: a new snoop replaces the old one, the supervisor's phone stays up.
    whisper = modes.get_by_role("button", name="Whisper")
    whisper.focus()
    page.keyboard.press("Enter")
    expect(card.locator(STATE)).to_have_text("Whispering to the agent")
    expect(whisper).to_have_attribute("aria-pressed", "true")
    expect(modes.get_by_role("button", name="Listen")).to_have_attribute("aria-pressed", "false")
    expect(card).to_have_attribute("data-mode", "whisper")
    expect(listen).to_have_attribute("aria-label", "Whispering")
    wait_until(lambda: pbx.channel(f"sb-{sid}-snoop1") is None, what="the listening snoop to go")
    assert f"sb-{sid}-snoop2" in pbx.ari.get(f"/bridges/sb-{sid}-bridge").json()["channels"]
    assert pbx.channel(sup) is not None
    ui.shots.take(page, "whispering")

    # Stop: the card keeps the outcome (until the server forgets the session), with no controls left.
    card.get_by_role("button", name=f"Stop: {alice_name}").click()
    expect(card.locator(STATE)).to_have_text("Ended: stopped")
    expect(card).to_have_attribute("data-state", "ended")
    expect(modes).to_be_hidden()
    expect(card.get_by_role("button", name=re.compile("^Stop"))).to_be_hidden()
    expect(card.get_by_role("button", name=f"Dismiss: {alice_name}")).to_be_visible()
    expect(listen).to_have_attribute("aria-label", "Listen")
    ui.shots.take(page, "stopped")

    assert_nothing_left(pbx, sid, keep=(alice, carol))
    assert sorted(pbx.ari.get("/bridges/ui-call-bridge").json()["channels"]) == sorted([alice, carol])
    def steps():
        entries = pbx.admin_api.get("/api/v1/audit", params={"user": "supervisor", "limit": 50}).json()["results"]
        return {a["action"] for a in entries if (a["params"] or {}).get("session") == sid}
    wait_until(lambda: {"monitor.start", "monitor.listen", "monitor.whisper", "monitor.mode", "session.stop",
                        "monitor.stop"} <= steps(), what=f"the session's steps in the audit log (so far {steps()})")
    # Dismissed, the card goes at once.
    card.get_by_role("button", name=f"Dismiss: {alice_name}").click()
    expect(card).to_have_count(0)


# ---------------------------------------------------------------- click-to-call

def test_an_agent_click_to_calls_from_the_originate_page_and_cancels(ui):
    pbx = ui.pbx
    pbx.control("POST", "/_sim/phones/PJSIP/alice", {"answer_after": 30})
    page = ui.login("agent", path="/originate/")
    before = shown_sessions(page)
    page.get_by_label("Number or extension").fill("100")
    page.get_by_role("button", name="Call", exact=True).click()

    progress = page.locator("#ctc-session")
    expect(progress).to_be_visible()
    expect(progress.locator(".ctc-status")).to_have_text("Ringing your phone")
    expect(progress).to_have_attribute("data-state", "ringing_agent")
    sid = session_id_of(progress)
    expect(progress.locator("h3")).to_have_text("Call to 100")
    expect(progress.locator('[data-step="ringing_agent"]')).to_have_class(re.compile(r"\bis-now\b"))
    expect(progress.locator('[data-step="ringing_agent"]')).to_have_attribute("aria-current", "step")
    expect(progress.locator('[data-step="dialling"]')).to_have_class(re.compile(r"\bis-todo\b"))
    expect(page.locator(".toast-success")).to_have_text("Calling 100 from PJSIP/alice")
    # The same session in the panel, on every page.
    card, in_panel = new_card(page, "click_to_call", before)
    assert in_panel == sid
    expect(card.locator(STATE)).to_have_text("Ringing your phone")
    expect(card.locator(".session-what")).to_have_text("Call to 100")
    expect(card.get_by_role("button", name="Cancel: Call to 100")).to_be_visible()
    # Alice's phone rings: the agent's leg, named after the session.
    agent_leg = wait_until(lambda: pbx.channel(f"sb-{sid}-agent"), what="the agent's leg")
    assert agent_leg["name"].startswith("PJSIP/alice-") and agent_leg["state"] == "Ringing"
    ui.shots.take(page, "ringing-your-phone", full_page=True)

    progress.get_by_role("button", name="Cancel").click()
    expect(progress.locator(".ctc-status")).to_have_text("Cancelled")
    expect(progress).to_have_attribute("data-state", "cancelled")
    expect(progress.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(progress.locator('[data-step="ringing_agent"]')).to_have_class(re.compile(r"\bis-stopped\b"))
    expect(card.locator(STATE)).to_have_text("Cancelled")
    expect(card.get_by_role("button", name="Cancel: Call to 100")).to_be_hidden()
    ui.shots.take(page, "cancelled", full_page=True)
    assert_nothing_left(pbx, sid)


def test_a_rejected_number_is_explained_next_to_the_field(ui):
    page = ui.login("agent", path="/originate/")
    field = page.get_by_label("Number or extension")
    error = page.locator("#ctc-error")
    call = page.get_by_role("button", name="Call", exact=True)

    field.fill("0900 123456")
    call.click()
    expect(error).to_have_text("0900123456 is blocked for anyone (premium or barred range)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    expect(page.locator("#ctc-session")).to_be_hidden()
    expect(page.locator("#ctc-form-error")).to_be_hidden()
    ui.shots.take(page, "premium-number-refused")

    for typed, words in (("12ab", "A number may only hold digits"), ("1", "neither an extension")):
        field.fill(typed)
        call.click()
        expect(error).to_contain_text(words)
        expect(field).to_have_attribute("aria-invalid", "true")

    # Nothing was dialled, no session started, no success claimed.
    assert ui.pbx.channels() == []
    expect(page.locator("#sessions-list .session-card:not(.is-ended)")).to_have_count(0)
    expect(page.locator(".toast-success")).to_have_count(0)

    # Fixing the number clears the error.
    field.fill("103")
    call.click()
    expect(error).to_be_hidden()
    expect(field).not_to_have_attribute("aria-invalid", "true")
    progress = page.locator("#ctc-session")
    expect(progress.locator(".ctc-status")).to_have_text("Connected")
    sid = session_id_of(progress)
    progress.get_by_role("button", name="Hang up").click()
    expect(progress.locator(".ctc-status")).to_have_text("Ended: you hung up from the dashboard")
    assert_nothing_left(ui.pbx, sid)


def test_a_number_in_the_live_table_calls_and_hangs_up_from_the_panel(ui):
    pbx = ui.pbx
    alice = pbx.call("PJSIP/alice")
    pbx.wait_in_app(alice)
    pbx.set_var(alice, "CALLERID(num)", "103")
    page = ui.login("agent")
    before = shown_sessions(page)
    number = row(page, alice).locator('[data-field="caller-number"] button.call-btn')
    expect(number).to_have_text("103")
    number.click()
    popover = page.get_by_role("dialog", name="Call 103")
    expect(popover).to_contain_text("Your phone PJSIP/alice rings first, then it calls 103.")
    popover.get_by_role("button", name="Call").click()
    expect(popover).to_have_count(0)

    card, sid = new_card(page, "click_to_call", before)
    expect(card.locator(STATE)).to_have_text("Connected")
    expect(card.locator(".session-sub")).to_have_text("from PJSIP/alice")
    # Both legs of the new call show up in the agent's own list too.
    expect(row(page, f"sb-{sid}-agent")).to_be_visible()
    ui.shots.take(page, "connected-from-the-table")

    hang_up = card.get_by_role("button", name="Hang up: Call to 103")
    hang_up.focus()
    page.keyboard.press("Enter")
    expect(card.locator(STATE)).to_have_text("Ended: you hung up from the dashboard")
    # The button it was on went away: focus stays in the card, on its Dismiss button.
    expect(card.get_by_role("button", name="Dismiss: Call to 103")).to_be_focused()
    expect(row(page, f"sb-{sid}-agent")).to_have_count(0)
    assert_nothing_left(pbx, sid, keep=(alice,))


def test_a_busy_destination_fails_in_words(ui):
    page = ui.login("agent", path="/originate/")
    page.get_by_label("Number or extension").fill("105")
    page.get_by_role("button", name="Call", exact=True).click()
    progress = page.locator("#ctc-session")
    expect(progress.locator(".ctc-status")).to_have_text("Failed: the line is busy")
    sid = session_id_of(progress)
    expect(progress.locator('[data-step="ringing_agent"]')).to_have_class(re.compile(r"\bis-done\b"))
    expect(progress.locator('[data-step="dialling"]')).to_have_class(re.compile(r"\bis-failed\b"))
    expect(card_of(page, sid).locator(STATE)).to_have_text("Failed: the line is busy")
    ui.shots.take(page, "busy", full_page=True)
    assert_nothing_left(ui.pbx, sid)


def test_the_demo_numbers_connect_and_a_number_that_goes_nowhere_says_so(ui):
    """The issue's numbers: an agent's extension and the form's own example reach someone in the demo
    dial plan, and a number with no extension ends at once in words; nothing is left on the PBX."""
    pbx = ui.pbx
    page = ui.login("agent", path="/originate/")
    field = page.get_by_label("Number or extension")
    progress = page.locator("#ctc-session")
    for number in ("1002", "0044207946000"):  # bob's phone, and out through the trunk (answers in 4 s)
        field.fill(number)
        page.get_by_role("button", name="Call", exact=True).click()
        expect(progress.locator("h3")).to_have_text(f"Call to {number}")
        expect(progress.locator(".ctc-status")).to_have_text("Connected", timeout=15_000)
        sid = session_id_of(progress)
        progress.get_by_role("button", name="Hang up").click()
        expect(progress.locator(".ctc-status")).to_have_text("Ended: you hung up from the dashboard")
        assert_nothing_left(pbx, sid)
        wait_until(lambda: pbx.channels() == [], what=f"no channel left after the call to {number}")

    field.fill("*99")
    page.get_by_role("button", name="Call", exact=True).click()
    expect(progress.locator("h3")).to_have_text("Call to *99")
    expect(progress.locator(".ctc-status")).to_have_text("Failed: unknown number (no such extension in from-phones)")
    expect(progress.locator('[data-step="dialling"]')).to_have_class(re.compile(r"\bis-failed\b"))
    ui.shots.take(page, "unknown-number", full_page=True)
    assert_nothing_left(pbx, session_id_of(progress))
    wait_until(lambda: pbx.channels() == [], what="no channel left after the unknown number")


def test_the_detail_page_listens_and_keeps_the_raw_snoop(ui):
    pbx = ui.pbx
    alice, carol = agent_call(pbx, "ui-detail-bridge")
    page = ui.login("supervisor", path=f"/channels/default/{alice}/")
    before = shown_sessions(page)
    expect(page.locator("#loading-banner")).to_be_hidden()
    # The raw ARI snoop stays in the action panel, beside the one-click listen.
    expect(page.locator('details[data-action-block="snoop_channel"]')).to_have_count(1)
    listen = page.locator("#listen-button")
    expect(listen).to_have_text("Listen from your phone")
    expect(page.locator('#channel-fields td[data-field="caller-number"] button.call-btn')).to_have_text("1001")
    listen.click()

    card, sid = new_card(page, "monitor", before)
    expect(card.locator(STATE)).to_have_text("Listening")
    expect(listen).to_have_text("Listening: show the session")
    ui.shots.take(page, "listening-from-the-detail-page")
    # A second click does not start another session: it takes the keyboard to the running one.
    listen.click()
    expect(card.get_by_role("button", name=re.compile("^Stop: "))).to_be_focused()
    page.keyboard.press("Enter")
    expect(card.locator(STATE)).to_have_text("Ended: stopped")
    expect(listen).to_have_text("Listen from your phone")
    assert_nothing_left(pbx, sid, keep=(alice, carol))
