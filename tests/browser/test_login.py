"""Logging in through the form as every role, the header, the live pill, logging out."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login_with_form

pytestmark = pytest.mark.browser


def test_a_wrong_password_is_refused(ui):
    page = ui.page
    page.goto(ui.url + "/")
    expect(page).to_have_url(f"{ui.url}/login/?next=/")  # the live page needs a login
    page.get_by_label("Username").fill("agent")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".form-error[role=alert]")).to_contain_text("enter a correct username and password")
    expect(page.locator("#connection-state")).to_have_count(0)
    ui.shots.take(page, "refused")


@pytest.mark.parametrize("username", ["supervisor", "agent", "noc", "admin"])
def test_each_role_logs_in_sees_itself_live_and_logs_out(ui, username):
    page = ui.page
    login_with_form(page, ui.dashboard, username)
    expect(page.locator(".who-name")).to_have_text(username)
    expect(page.locator(".who-role")).to_have_text(username)  # each demo user is named after its role
    pill = page.locator("#connection-state")
    expect(pill).to_have_attribute("data-state", "live")
    expect(pill).to_have_text("Live")
    expect(page.locator("#table-foot")).to_have_text("0 channels")
    scope = page.locator(".scope-note")
    if username == "agent":
        expect(scope).to_have_text("Your calls only (PJSIP/alice)")
        expect(page.locator("#empty-state")).to_have_text("You have no calls right now.")
    else:
        expect(scope).to_have_count(0)
        expect(page.locator("#empty-state")).to_have_text("No channels right now.")
    ui.shots.take(page, "logged-in")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(ui.url + "/login/")
    expect(page.locator(".who-name")).to_have_count(0)
    page.goto(ui.url + "/")
    expect(page).to_have_url(f"{ui.url}/login/?next=/")  # the session is really gone
