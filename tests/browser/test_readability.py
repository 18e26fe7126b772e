"""What a new user could not read: numbers and places cut while the channel column was half empty,
long names cut without their full text, two flags losing their words, numbers of right-to-left names
with their "+" moved, the audit log's user column wrapping, and on the detail page raw RTP keys
without units, snoopers as numeric ids, raw hangup reasons and each reason repeated up to three times."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import row, wait_until

pytestmark = pytest.mark.browser

LONG_NAME = "Bartholomew Featherstonehaugh-Cholmondeley of Harbour Logistics International"
RTL_NAME = "مركز خدمة العملاء"

# [left, right] of the "+" and of the digit after it, in the first text node of `node` that holds a "+".
PLUS_AND_DIGIT = """node => {
  const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const i = n.data.indexOf("+");
    if (i < 0) continue;
    const box = (a, b) => { const r = document.createRange(); r.setStart(n, a); r.setEnd(n, b); return r.getBoundingClientRect(); };
    const plus = box(i, i + 1), digit = box(i + 1, i + 2);
    return [plus.left, plus.right, digit.left, digit.right];
  }
  return null;
}"""
IS_CUT = "node => node.scrollWidth > node.clientWidth + 1"


def cell(page, channel_id: str, field: str):
    return row(page, channel_id).locator(f'[data-field="{field}"]')


def assert_plus_before_digits(locator) -> None:
    found = locator.evaluate(PLUS_AND_DIGIT)
    assert found, "no + in the cell"
    plus_left, plus_right, digit_left, _ = found
    assert plus_right <= digit_left + 0.5, f"the + is not before the digits: {found}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_columns_follow_their_content_and_every_cut_value_shows_in_full(ui, scheme):
    pbx = ui.pbx
    long_number = pbx.call("PJSIP/alice", callerId=f'"{LONG_NAME}" <+2348012345678>')
    flagged = pbx.call("PJSIP/bob", callerId='"Maria" <+442079460321>')
    pbx.wait_in_app(long_number)
    pbx.wait_in_app(flagged)
    pbx.admin_api.post(f"/api/v1/channels/{flagged}/hold").raise_for_status()
    pbx.admin_api.post(f"/api/v1/channels/{flagged}/mute", json={"direction": "both"}).raise_for_status()
    page = ui.as_user("supervisor", viewport={"width": 1400, "height": 900}, color_scheme=scheme)
    expect(cell(page, flagged, "flags").locator('[data-flag="muted"]')).to_be_visible()

    # Numbers and the place are not cut while there is room: the channel column gives way.
    for channel_id in (long_number, flagged):
        for field in ("caller-number", "where", "name"):
            wait_until(lambda: not cell(page, channel_id, field).evaluate(IS_CUT), what=f"{field} not cut")
    # Two flags keep their words, inside their cell.
    flags = cell(page, flagged, "flags")
    expect(flags.locator(".chip")).to_have_text(["Held", "Muted"])
    wait_until(lambda: not flags.evaluate(IS_CUT), what="the flags not cut")
    for chip in flags.locator(".chip").all():
        assert chip.evaluate("c => parseFloat(getComputedStyle(c).fontSize)") > 9

    # A name too long for any column is cut, with its full text on hover (title) and on keyboard focus.
    name_cell = cell(page, long_number, "caller-name")
    assert name_cell.evaluate(IS_CUT)
    expect(name_cell).to_have_attribute("title", LONG_NAME)
    name_cell.focus()
    tip = page.locator("#cell-tip")
    expect(tip).to_be_visible()
    expect(tip).to_have_text(LONG_NAME)
    assert tip.evaluate("t => t.scrollWidth <= t.clientWidth + 1"), "the tooltip itself is cut"
    ui.shots.take(page, f"table-1400-{scheme}")
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()


def test_numbers_of_right_to_left_names_keep_their_plus_in_front(ui):
    pbx = ui.pbx
    call = pbx.call("PJSIP/alice", callerId=f'"{RTL_NAME}" <+966501234567>')
    pbx.wait_in_app(call)
    page = ui.login("supervisor")
    expect(cell(page, call, "caller-name")).to_have_text(RTL_NAME)
    assert_plus_before_digits(cell(page, call, "caller-number"))
    expect(cell(page, call, "connected")).to_contain_text("+966501234567")
    assert_plus_before_digits(cell(page, call, "connected"))
    ui.shots.take(page, "rtl-desktop")

    phone = ui.as_user("supervisor", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sub = row(phone, call).locator(".ch-sub")
    expect(sub).to_be_visible()
    expect(sub).to_contain_text("+966501234567")
    assert_plus_before_digits(sub)
    ui.shots.take(phone, "rtl-phone")

    detail = ui.as_user("supervisor", f"/channels/default/{call}/")
    number = detail.locator('#channel-fields td[data-field="caller-number"]')
    expect(number).to_have_text("+966501234567")
    assert_plus_before_digits(number)


def test_the_audit_logs_user_column_does_not_wrap(ui):
    call = ui.pbx.call("PJSIP/alice")
    ui.pbx.wait_in_app(call)
    ui.pbx.admin_api.post(f"/api/v1/channels/{call}/hold").raise_for_status()
    # Long parameters and a long message take the room: the user column used to give way ("admi/n").
    media = ",".join(f"sound:a-rather-long-prompt-name-number-{n}" for n in range(8)) + ",bogus:thing"
    assert ui.pbx.admin_api.post(f"/api/v1/channels/{call}/play", json={"media": media}).status_code == 400
    page = ui.as_user("admin", "/audit/", viewport={"width": 1400, "height": 900})
    user = page.locator(".audit-table tbody tr").first.locator("td").nth(1)
    expect(user).to_have_text("admin")
    lines = user.evaluate("td => { const r = document.createRange(); r.selectNodeContents(td); "
                          "return new Set([...r.getClientRects()].map((b) => Math.round(b.top))).size; }")
    assert lines == 1, f"the user name wraps over {lines} lines"
    ui.shots.take(page, "audit-1400")


# ---------------------------------------------------------------- the detail page

UNITS = {"packets", "ms", "bytes"}


def test_rtp_statistics_are_in_words_with_units(ui):
    from dataclasses import fields

    from ari_bridge.models import RTPstat

    call = ui.pbx.call("PJSIP/alice")
    ui.pbx.wait_in_app(call)
    page = ui.as_user("noc", f"/channels/default/{call}/")
    expect(page.locator("#loading-banner")).to_be_hidden()
    page.locator("#rtp-load").click()
    table = page.locator("#rtp-table")
    expect(table).to_be_visible()
    keys = [f.name for f in fields(RTPstat)]
    for key in keys:
        label = table.locator(f'tr[data-key="{key}"] th')
        expect(label).to_have_count(1)
        words = label.inner_text()
        assert words != key and "_" not in words and words[0].isupper(), f"{key} reads {words!r}"
        value = table.locator(f'tr[data-key="{key}"] td').inner_text()
        if key in ("local_ssrc", "remote_ssrc", "channel_uniqueid"):
            continue  # identifiers, not measures
        assert value == "—" or value.rsplit(" ", 1)[-1] in UNITS, f"{key} = {value!r} has no unit"
    jitter = table.locator('tr[data-key="rxjitter"] td').inner_text()
    assert jitter.endswith(" ms") and float(jitter.split()[0]) > 0.05, jitter  # ARI says seconds: shown in ms
    ui.shots.take(page, "rtp")


def test_a_dialplan_channels_reasons_are_said_once(ui):
    call = ui.pbx.dialplan_call("PJSIP/carol", "103")
    page = ui.as_user("noc", f"/channels/default/{call}/")
    expect(page.locator("#loading-banner")).to_be_hidden()
    blocked = ui.pbx.admin_api.get(f"/api/v1/channels/{call}").json()["blocked"]
    assert len(blocked) > 10
    redirect = page.locator('details[data-action-block="redirect"] summary')
    expect(redirect).to_have_attribute("title", blocked["redirect"][0].upper() + blocked["redirect"][1:])
    reason_id = redirect.get_attribute("aria-describedby")
    expect(page.locator(f"#blocked-actions #{reason_id}")).to_contain_text(blocked["redirect"][1:])
    text = page.locator("#channel-page").inner_text().lower()
    for action, reason in blocked.items():
        assert text.count(reason.lower()) <= 1, f"{action}: {reason!r} is said {text.count(reason.lower())} times"
    assert text.count(blocked["hold"].lower()) == 1
    ui.shots.take(page, "dialplan-channel", full_page=True)


def test_snoopers_are_named_and_hangup_reasons_are_words(ui):
    pbx = ui.pbx
    call = pbx.call("PJSIP/alice")
    pbx.wait_in_app(call)
    supervisor = ui.dashboard.login("supervisor")
    try:
        sid = supervisor.post("/api/v1/monitor", json={"channel": call}).json()["id"]
        wait_until(lambda: any(s["id"] == sid and s["state"] == "active"
                               for s in supervisor.get("/api/v1/sessions").json()["results"]), what="listening")
        page = ui.as_user("supervisor", f"/channels/default/{call}/")
        snooped = page.locator('#channel-fields td[data-field="snooped-by"]')
        snoop_name = pbx.channel(f"sb-{sid}-snoop1")["name"]
        expect(snooped).to_contain_text(snoop_name)
        expect(snooped).to_contain_text("supervisor")
        expect(snooped.locator("a")).to_have_attribute("href", f"/channels/default/sb-{sid}-snoop1/")
        ui.shots.take(page, "snooped-by")

        snoop_page = ui.as_user("supervisor", f"/channels/default/sb-{sid}-snoop1/")
        expect(snoop_page.locator('#channel-fields td[data-field="snoop-of"]')).to_contain_text(
            pbx.channel(call)["name"])

        # Hangup reasons read the same in words wherever they are picked.
        hangup = page.locator('details[data-action-block="hangup"]')
        hangup.locator("summary").click()
        option = hangup.locator('select option[value="no_answer"]')
        expect(option).to_have_text("no answer")
        row_page = ui.as_user("supervisor")
        row(row_page, call).locator('button[data-action="hangup"]').click()
        expect(row_page.locator('.popover select option[value="no_answer"]')).to_have_text("no answer")
    finally:
        supervisor.post(f"/api/v1/sessions/{sid}/stop")
        supervisor.close()
