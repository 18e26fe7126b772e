"""The live table is one tab stop with arrow-key navigation (WAI-ARIA grid pattern): a keyboard user
moves between rows with Up/Down/Home/End/PageUp/PageDown, along a row's cells and buttons with
Left/Right, acts with Enter, and opens a channel with Enter on its row; focus survives the row's
channel going away."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import row

pytestmark = pytest.mark.browser

FOCUSED = "() => { const a = document.activeElement; const tr = a.closest('tr[aria-rowindex]'); " \
          "return {tag: a.tagName, row: tr ? Number(tr.getAttribute('aria-rowindex')) : null, " \
          "uid: tr ? tr.dataset.uid : null, onRow: a === tr, inTable: !!a.closest('#channels'), " \
          "action: a.dataset.action || null, field: a.dataset.field || null}; }"


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def test_the_table_is_one_tab_stop_walked_with_the_arrow_keys(ui):
    pbx = ui.pbx
    calls = [pbx.call(f"PJSIP/{phone}") for phone in ("alice", "bob", "carol")]
    for call in calls:
        pbx.wait_in_app(call)
    page = ui.login("supervisor")
    expect(page.locator("#channel-rows tr[data-uid]")).to_have_count(3)
    tab_stops = page.locator("#channels [tabindex='0']")
    expect(tab_stops).to_have_count(1)

    # Tab from the last control before the table lands on its first row; one more Tab leaves the table.
    page.locator('#state-counts button[data-state="Up"]').focus()
    page.keyboard.press("Tab")
    first = focused(page)
    assert first["onRow"] and first["row"] == 2, first
    page.keyboard.press("Tab")
    assert not focused(page)["inTable"], "a second Tab stayed in the table"
    page.keyboard.press("Shift+Tab")
    assert focused(page)["row"] == 2

    page.keyboard.press("ArrowDown")
    assert focused(page)["row"] == 3
    page.keyboard.press("End")
    assert focused(page)["row"] == 4
    page.keyboard.press("Home")
    assert focused(page)["row"] == 2
    page.keyboard.press("ArrowUp")  # up from the first row: the column headers
    assert focused(page)["tag"] == "BUTTON" and page.evaluate("document.activeElement.dataset.sort") == "name"
    page.keyboard.press("ArrowDown")
    assert focused(page)["row"] == 2
    expect(tab_stops).to_have_count(1)

    # Along the row: the channel link, then the cells, then the buttons.
    uid = focused(page)["uid"]
    page.keyboard.press("ArrowRight")
    assert focused(page)["tag"] == "A"
    page.keyboard.press("ArrowRight")
    assert focused(page)["field"] == "state"
    for _ in range(12):
        if focused(page)["action"] == "hold":
            break
        page.keyboard.press("ArrowRight")
    assert focused(page)["action"] == "hold", focused(page)
    page.keyboard.press("Enter")
    held_row = page.locator(f'#channel-rows tr[data-uid="{uid}"]')
    expect(held_row.locator('[data-flag="held"]')).to_be_visible()
    expect(held_row.locator('button[data-slot="hold"]')).to_be_focused()  # the same button, now Unhold
    page.keyboard.press("ArrowDown")  # the same column in the next row
    assert focused(page)["action"] == "hold" and focused(page)["row"] == 3
    page.keyboard.press("Escape")
    assert focused(page)["onRow"] and focused(page)["row"] == 3
    ui.shots.take(page, "row-focus")

    # The focused row's channel goes away: the focus stays in the table, on the row now in its place.
    gone = focused(page)["uid"].split(":", 1)[1]
    pbx.hangup(gone)
    expect(row(page, gone)).to_have_count(0)
    now = focused(page)
    assert now["inTable"] and now["onRow"] and now["uid"] != f"default:{gone}", now

    # Enter on a row opens the channel.
    target = now["uid"].split(":", 1)[1]
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{ui.url}/channels/default/{target}/")


def test_page_down_and_end_reach_rows_that_were_not_drawn(ui):
    pbx = ui.pbx
    calls = [pbx.call("PJSIP/alice") for _ in range(40)]
    page = ui.as_user("supervisor", viewport={"width": 1400, "height": 600})
    expect(page.locator("#table-foot")).to_have_text("40 channels")
    page.locator("#channel-rows tr[data-uid]").first.focus()
    page.keyboard.press("PageDown")
    after_page = focused(page)["row"]
    assert 5 < after_page < 20, after_page
    page.keyboard.press("End")
    last = focused(page)
    assert last["row"] == 41 and last["onRow"], last
    box = page.locator(f'#channel-rows tr[data-uid="{last["uid"]}"]').bounding_box()
    wrap = page.locator("#table-wrap").bounding_box()
    assert wrap["y"] <= box["y"] and box["y"] + box["height"] <= wrap["y"] + wrap["height"] + 1, "not scrolled into view"
    page.keyboard.press("PageUp")
    assert focused(page)["row"] < 41
    page.keyboard.press("Control+Home")
    assert focused(page)["row"] == 2
    ui.shots.take(page, "top-again")
    for call in calls:
        pbx.hangup(call)
