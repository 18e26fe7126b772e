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
            assert not cell(page, channel_id, field).evaluate(IS_CUT), f"{field} is cut"
    # Two flags keep their words, inside their cell.
    flags = cell(page, flagged, "flags")
    expect(flags.locator(".chip")).to_have_text(["Held", "Muted"])
    assert not flags.evaluate(IS_CUT)
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
