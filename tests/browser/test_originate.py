"""The originate page: click-to-call as an agent, the full originate form as NOC, and the mutual
exclusion of a Stasis application and a dialplan extension."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import APP, row, wait_until

pytestmark = pytest.mark.browser


def originate_requests(pbx) -> list[dict]:
    return [r for r in pbx.control("GET", "/_sim/requests") if r["method"] == "POST" and r["path"] == "/ari/channels"]


def test_click_to_call_as_an_agent_rings_their_own_phone(ui):
    page = ui.login("agent", path="/originate/")
    expect(page.locator(".originate-grid h2")).to_have_text(["Call from your phone"])  # no full originate form
    expect(page.locator("section[aria-labelledby=ctc-title]")).to_contain_text("From your phone PJSIP/alice")

    # The server's dial plan judges the number: its 400 lands under the field.
    page.get_by_label("Number or extension").fill("alice")
    page.get_by_role("button", name="Call", exact=True).click()
    expect(page.locator("#ctc-error")).to_contain_text("digits")
    expect(page.get_by_label("Number or extension")).to_have_attribute("aria-invalid", "true")
    assert ui.pbx.channels() == []

    page.get_by_label("Number or extension").fill("103")
    page.get_by_role("button", name="Call", exact=True).click()
    expect(page.locator(".toast-success")).to_have_text("Calling 103 from PJSIP/alice")
    expect(page.locator("#ctc-error")).to_be_hidden()
    ui.shots.take(page, "click-to-call")

    # The agent's phone rings first, then the destination, then the two are bridged.
    def legs():
        channels = ui.pbx.channels()
        mine = [c for c in channels if c["name"].startswith("PJSIP/alice-")]
        far = [c for c in channels if c["name"].startswith("Local/103@from-phones-") and c["name"].endswith(";1")]
        return (mine[0], far[0]) if mine and far else None

    agent, far = wait_until(legs, what="both legs of the click-to-call")
    page.get_by_role("link", name="Live channels").click()
    agent_leg = row(page, agent["id"])
    expect(agent_leg.locator('[data-field="name"] a')).to_have_text(agent["name"])
    expect(agent_leg.locator('[data-field="caller-number"]')).to_have_text("103")
    expect(agent_leg.locator('[data-flag="bridged"]')).to_have_text("Bridged")
    # The far leg is bridged to the agent's call, so the agent sees it too.
    expect(row(page, far["id"]).locator('[data-flag="bridged"]')).to_have_text("Bridged")
    ui.shots.take(page, "the-call-in-the-list")


def test_noc_originates_into_the_application_and_the_exclusion_is_refused(ui):
    page = ui.login("noc", path="/originate/")
    form = page.locator('#originate-form form[data-action="originate"]')
    expect(form).to_be_visible()
    endpoint = form.locator('[data-param="endpoint"] input')
    app = form.locator('[data-param="app"] input')
    extension = form.locator('[data-param="extension"] input')

    # App and extension together: refused in the browser, with the reason next to the field.
    ui.pbx.control("DELETE", "/_sim/requests")
    endpoint.fill("PJSIP/carol")
    app.fill(APP)
    extension.fill("103")
    form.get_by_role("button", name="Originate").click()
    error = form.locator('[data-param="extension"] .field-error')
    expect(error).to_have_text("Leave the dialplan fields empty when a Stasis application is set.")
    expect(extension).to_have_attribute("aria-invalid", "true")
    ui.shots.take(page, "exclusion-refused")
    # The server refuses it as well, naming the parameter (for clients that skip the page's check).
    answer = page.evaluate("""async () => {
        const token = document.cookie.split('; ').find((c) => c.startsWith('csrftoken=')).split('=')[1];
        const res = await fetch('/api/v1/channels', {method: 'POST', headers: {'Content-Type': 'application/json',
            'X-CSRFToken': token}, body: JSON.stringify({endpoint: 'PJSIP/carol', app: 'switchboard', extension: '103'})});
        return {status: res.status, body: await res.json()};
    }""")
    assert answer["status"] == 400 and answer["body"]["parameter"] == "extension", answer
    assert originate_requests(ui.pbx) == [], "a refused originate reached Asterisk"
    assert ui.pbx.channels() == []

    # Only the application: the channel is created and lands in the dashboard's application.
    extension.fill("")
    form.get_by_role("button", name="Originate").click()
    expect(error).to_be_hidden()
    result = form.locator(".form-result .banner")
    expect(result).to_contain_text("Channel created.")
    link = result.get_by_role("link")
    expect(link).to_have_text(re.compile(r"^Open PJSIP/carol-\d+$"))
    expect(page.locator(".toast-success")).to_have_text(re.compile(r"^Originated PJSIP/carol-\d+$"))
    channel_id = re.search(r"/channels/default/([^/]+)/$", link.get_attribute("href")).group(1)
    assert ui.pbx.wait_in_app(channel_id)["name"].startswith("PJSIP/carol-")
    sent = originate_requests(ui.pbx)
    assert len(sent) == 1 and sent[0]["query"]["endpoint"] == "PJSIP/carol" and sent[0]["query"]["app"] == APP
    assert "extension" not in sent[0]["query"]
    ui.shots.take(page, "originated")
    link.click()
    expect(page.locator('#channel-fields td[data-field="stasis-application"]')).to_have_text(APP)
