"""Signing out reaches every tab (the other tabs go to the login page and come back after it), a new role
reloads the page, the pages run under the Content-Security-Policy, and the API token page works."""
from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import row
from tests.site_admin import submit

pytestmark = pytest.mark.browser

# Records every policy violation, whatever the console prints (an init script is not subject to the policy).
CSP_WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


def signed_in(ui, page: Page, username: str) -> httpx.Client:
    """A session of its own for the page's browser (the shared ones must survive this test's logouts)."""
    client = ui.dashboard.login(username)
    page.context.clear_cookies()
    page.context.add_cookies([{"name": k, "value": v, "url": ui.url} for k, v in client.cookies.items()])
    return client


def test_logout_in_one_tab_sends_the_other_tabs_to_the_login_page_and_back_after_it(ui):
    first = ui.page
    signed_in(ui, first, "supervisor")
    second = ui.watch(first.context.new_page())
    for page, path in ((first, "/"), (second, "/audit/?outcome=ok")):
        page.goto(ui.url + path)
        expect(page.locator("#connection-state")).to_have_attribute("data-state", "live")

    first.get_by_role("button", name="Log out").click()
    expect(first).to_have_url(ui.url + "/login/")
    expect(second).to_have_url(ui.url + "/login/?next=%2Faudit%2F%3Foutcome%3Dok")
    ui.shots.take(second, "other-tab-at-login")
    # Logging in again there returns to the page it was on.
    second.get_by_label("Username").fill("supervisor")
    second.get_by_label("Password").fill("supervisor")
    second.get_by_role("button", name="Log in").click()
    expect(second).to_have_url(ui.url + "/audit/?outcome=ok")


def test_a_session_ended_from_elsewhere_closes_the_socket_and_the_page_goes_to_login(ui):
    # No tab of this browser logs out: only the server's closing of the socket can tell the page.
    page = ui.page
    client = signed_in(ui, page, "noc")
    channel_id = ui.pbx.call("PJSIP/alice")
    page.goto(f"{ui.url}/channels/default/{channel_id}/")
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "live")
    client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
    assert client.post("/logout/").status_code == 302
    expect(page).to_have_url(re.compile(re.escape(f"{ui.url}/login/?next=%2Fchannels%2Fdefault%2F{channel_id}%2F")))


def test_a_401_from_the_api_sends_the_page_to_login(ui):
    page = ui.page
    signed_in(ui, page, "supervisor")
    channel_id = ui.pbx.call("PJSIP/alice")
    page.goto(ui.url + "/")
    expect(row(page, channel_id)).to_be_visible()
    page.context.clear_cookies()  # the session cookie is gone; the open socket does not know
    row(page, channel_id).locator('button[data-action="hold"]').click()
    expect(page).to_have_url(ui.url + "/login/?next=%2F")


def test_a_new_profile_endpoint_reloads_the_agents_page_with_it(ui, admin_api):
    page = ui.page
    signed_in(ui, page, "agent2")
    page.goto(ui.url + "/")
    expect(page.locator(".scope-note")).to_have_text("Your calls only (PJSIP/bob)")
    profile = re.search(r'/admin/dashboard/profile/(\d+)/change/">agent2<',
                        admin_api.get("/admin/dashboard/profile/").text).group(1)
    path = f"/admin/dashboard/profile/{profile}/change/"
    page.evaluate("window.__before = true")
    try:
        submit(admin_api, path, {"endpoint": "PJSIP/carol"})
        expect(page.locator(".scope-note")).to_have_text("Your calls only (PJSIP/carol)")
        assert page.evaluate("window.__before") is None  # a new page, not an edit of the old one
        carol = ui.pbx.call("PJSIP/carol")
        expect(row(page, carol)).to_be_visible()
    finally:
        submit(admin_api, path, {"endpoint": "PJSIP/bob"})


def test_the_pages_run_under_the_policy_with_no_violation(ui):
    page = ui.page
    page.add_init_script(CSP_WATCH)
    console = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.context.clear_cookies()
    page.goto(ui.url + "/login/")
    expect(page.get_by_label("Username")).to_be_visible()
    page.goto(ui.url + "/admin/login/")
    expect(page.locator("#login-form")).to_be_visible()

    ui.login("admin")
    channel_id = ui.pbx.call("PJSIP/alice")
    checks = [
        ("/", lambda: expect(row(page, channel_id)).to_be_visible()),
        (f"/channels/default/{channel_id}/", lambda: expect(page.locator("#connection-state"))
         .to_have_attribute("data-state", "live")),
        ("/audit/", lambda: expect(page.locator("h1")).to_contain_text("Audit log")),
        ("/stuck/", lambda: expect(page.locator("#stuck-rules li").first).to_be_visible()),
        ("/originate/", lambda: expect(page.locator("#click-to-call")).to_be_visible()),
        ("/account/token/", lambda: expect(page.locator("#api-token-state")).to_be_visible()),
        ("/api/docs/", lambda: expect(page.locator(".swagger-ui .opblock").first).to_be_visible()),
        ("/admin/", lambda: expect(page.locator("#site-name")).to_be_visible()),
    ]
    for path, ready in checks:
        page.goto(ui.url + path)
        ready()
        page.wait_for_timeout(300)  # late scripts (Swagger UI renders after load) get to run
        assert page.evaluate("window.__csp") == [], path
    assert not [line for line in console if "Content Security Policy" in line], console
    # The watch itself works: inline style, which the policy refuses, is reported.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_function("window.__csp.length > 0")
    ui.shots.take(page, "admin-under-csp")


def test_a_user_creates_an_api_token_sees_it_once_and_revokes_it(ui, admin_api):
    page = ui.page
    signed_in(ui, page, "noc")
    page.goto(ui.url + "/account/token/")
    expect(page.locator("#api-token-state")).to_have_text("You have no token.")
    page.get_by_role("button", name="Create a token").click()
    key = page.locator("#api-token-key").text_content()
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    expect(page.locator(".token-example")).to_contain_text(f'Authorization: Token {key}')
    ui.shots.take(page, "created")
    script = httpx.Client(base_url=ui.url, headers={"Authorization": f"Token {key}"})
    assert script.get("/api/v1/me").json()["roles"] == ["noc"]

    page.goto(ui.url + "/account/token/")  # shown once: not again on the next visit
    expect(page.locator("#api-token-state")).to_contain_text("You have a token, created")
    expect(page.locator("#api-token-key")).to_have_count(0)
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator("#api-token-state")).to_have_text("You have no token.")
    assert script.get("/api/v1/me").status_code == 401
    audit = admin_api.get("/api/v1/audit", params={"user": "noc", "limit": 20}).json()["results"]
    assert [e["action"] for e in audit if e["action"].startswith("token_")][:2] == ["token_revoked", "token_created"]
