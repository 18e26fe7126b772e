"""The audit page lists what was done through the pages, and its CSV export matches it."""
import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, row

pytestmark = pytest.mark.browser

CSV_HEADER = ["at", "username", "action", "server", "channel_id", "channel_name", "params", "outcome", "status",
              "message", "source"]


def test_the_audit_page_lists_the_actions_and_the_csv_matches(ui):
    page = ui.login("supervisor")
    alice = ui.pbx.call("PJSIP/alice")
    ui.pbx.wait_in_app(alice)
    name = ui.pbx.channel(alice)["name"]
    r = row(page, alice)

    # Four actions through the pages: hold, unhold, an invalid play, a hangup with a reason.
    r.locator('button[data-action="hold"]').click()
    expect(r.locator('[data-flag="held"]')).to_be_visible()
    r.locator('button[data-action="unhold"]').click()
    expect(r.locator('[data-flag="held"]')).to_have_count(0)
    r.locator("a.ch-link").click()
    play = page.locator('details[data-action-block="play"]')
    play.locator("summary").click()
    play.locator('[data-param="media"] input').fill("bogus:thing")
    play.get_by_role("button", name="Play media", exact=True).click()
    expect(play.locator('[data-param="media"] .field-error')).to_be_visible()
    page.go_back()
    row(page, alice).locator('button[data-action="hangup"]').click()
    popover = page.locator(".popover[role=dialog]")
    popover.get_by_label("Reason", exact=True).select_option("busy")
    popover.get_by_role("button", name="Hang up").click()
    expect(row(page, alice)).to_have_count(0)

    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Search").fill(alice)
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(rf"/audit/\?q={re.escape(alice)}&"))  # (a User filter only with 2+ users)
    entries = page.locator(".audit-table tbody tr[data-outcome]")
    expect(entries).to_have_count(4)
    expect(entries.locator("td:nth-child(3)")).to_have_text(["hangup", "play", "unhold", "hold"])  # newest first
    expect(entries.locator(".outcome-badge")).to_have_text(["succeeded", "invalid input", "succeeded", "succeeded"])
    expect(entries.locator("td:nth-child(2)")).to_have_text(["supervisor"] * 4)
    expect(entries.locator("td:nth-child(4) a")).to_have_text([name] * 4)
    expect(entries.nth(0).locator("td.params")).to_have_text("reason=busy")
    expect(entries.nth(1).locator("td.params")).to_have_text("media=bogus:thing")
    expect(entries.nth(1).locator("td:nth-child(7)")).to_contain_text("scheme must be one of")
    expect(page.locator(".title-count")).to_have_text("4 entries")
    ui.shots.take(page, "audit-filtered", full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == "switchboard-audit.csv"
    saved = ARTIFACTS / f"{ui.shots.prefix}--export.csv"
    download.save_as(saved)
    lines = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert lines[0] == CSV_HEADER
    rows = [dict(zip(CSV_HEADER, line)) for line in lines[1:]]
    assert len(rows) == 4
    shown = entries.evaluate_all("""trs => trs.map(tr => ({
        when: tr.querySelector('time').textContent, user: tr.children[1].textContent.trim(),
        action: tr.children[2].textContent.trim(), outcome: tr.dataset.outcome,
        status: tr.children[5].querySelector('.mono') ? tr.children[5].querySelector('.mono').textContent : '',
        message: tr.children[6].textContent.trim()}))""")
    for line, cells in zip(rows, shown):
        assert line["at"][:19].replace("T", " ") == cells["when"]
        assert (line["username"], line["action"], line["outcome"], line["status"]) == \
            (cells["user"], cells["action"], cells["outcome"], cells["status"])
        assert (line["server"], line["channel_id"], line["channel_name"]) == ("default", alice, name)
        assert (line["message"] or "—") == cells["message"]
    assert [line["action"] for line in rows] == ["hangup", "play", "unhold", "hold"]

    # The JSON API (as admin) agrees with both.
    api = ui.pbx.admin_api.get("/api/v1/audit", params={"q": alice}).json()["results"]
    assert [(e["action"], e["outcome"], e["username"]) for e in api] == \
        [(line["action"], line["outcome"], line["username"]) for line in rows]
