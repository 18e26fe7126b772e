"""The click-to-call number field has one voice: whatever is wrong with a number, the page shows the
words of the server's dial plan, the same as the API answers."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("typed", ["", "10;3", "alice", "1!2", "0900123456"])
def test_the_page_says_what_the_server_says(ui, typed):
    api = ui.dashboard.login("agent")
    try:
        answer = api.post("/api/v1/click-to-call", json={"destination": typed})
    finally:
        api.close()
    assert answer.status_code == 400 and answer.json()["parameter"] == "destination"
    words = answer.json()["message"]
    page = ui.login("agent", path="/originate/")
    field = page.get_by_label("Number or extension")
    field.fill(typed)
    page.get_by_role("button", name="Call", exact=True).click()
    expect(page.locator("#ctc-error")).to_have_text(words[0].upper() + words[1:])
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    assert ui.pbx.channels() == []
