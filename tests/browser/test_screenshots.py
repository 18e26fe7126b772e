"""The live page at phone width and in dark mode, and the README's screenshots (a realistic mix of calls:
light, dark and phone).

docs/screenshot*.png are committed: they are rewritten only with UPDATE_DOCS_SCREENSHOT=1 (or when
missing), so that a test run leaves the working tree clean; every run saves the same pictures as artefacts."""
import os
import shutil

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import APP, ROOT, row

pytestmark = pytest.mark.browser

DOCS = ROOT / "docs"


def publish(shot, name: str) -> None:
    """Copy an artefact to docs/ when asked to (or when the README's picture is missing)."""
    target = DOCS / name
    if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1" or not target.exists():
        shutil.copyfile(shot, target)


def place_some_calls(pbx) -> dict[str, str]:
    calls = {
        "alice": pbx.call("PJSIP/alice", callerId='"Harbour Logistics" <+442079460321>'),
        "bob": pbx.call("PJSIP/bob", callerId='"Maria González" <+34911234567>'),
        "carol": pbx.dialplan_call("PJSIP/carol", "103", callerId='"Front desk" <2001>'),
    }
    for key in ("alice", "bob"):
        pbx.wait_in_app(calls[key])
    pbx.admin_api.post(f"/api/v1/channels/{calls['alice']}/hold").raise_for_status()
    pbx.admin_api.post(f"/api/v1/channels/{calls['bob']}/mute", json={"direction": "both"}).raise_for_status()
    return calls


def test_the_live_page_at_phone_width(ui):
    calls = place_some_calls(ui.pbx)
    page = ui.as_user("supervisor", viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                      has_touch=True)
    r = row(page, calls["alice"])
    expect(r.locator(".ch-sub")).to_have_text("Harbour Logistics <+442079460321>")
    expect(r.locator(".ch-sub")).to_be_visible()  # the caller folds under the channel name
    expect(r.locator('[data-field="caller-name"]')).to_be_hidden()
    expect(r.locator(".row-menu-btn")).to_be_visible()  # the row buttons fold into a menu
    expect(r.locator(".row-btns")).to_be_hidden()
    expect(page.locator("#channel-rows tr[data-uid]")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
    ui.shots.take(page, "phone-390x844")

    # The actions menu works with a tap and explains what it cannot do.
    r.locator(".row-menu-btn").tap()
    menu = page.locator(".popover-menu")
    expect(menu.locator('button[data-action="unhold"]')).to_be_enabled()
    expect(menu.locator(".menu-why")).to_have_text(["Your role (supervisor) cannot redirect calls."])
    ui.shots.take(page, "phone-actions-menu")
    menu.locator('button[data-action="unhold"]').tap()
    expect(r.locator(".toast-success")).to_have_count(0)
    expect(page.locator(".toast-success")).to_contain_text("Took off hold")
    expect(r).not_to_have_class("is-held")


def test_the_live_page_in_dark_mode(ui):
    calls = place_some_calls(ui.pbx)
    page = ui.as_user("supervisor", color_scheme="dark")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.locator("#theme-toggle")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#channel-rows tr[data-uid]")).to_have_count(3)
    expect(row(page, calls["carol"]).locator('[data-field="where"]')).to_have_text("default, 103, 3")
    expect(row(page, calls["alice"]).locator('[data-flag="held"]')).to_be_visible()
    expect(row(page, calls["bob"]).locator('[data-flag="muted"]')).to_have_text("Muted")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    ui.shots.take(page, "dark-mode")
    # The toggle switches to light and remembers it.
    page.locator("#theme-toggle").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != background
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")


def test_the_readme_screenshots(ui):
    pbx, admin = ui.pbx, ui.pbx.admin_api
    pbx.control("POST", "/_sim/phones/PJSIP/supervisor2", {"never_answer": True, "ring_after": 0.02})
    calls = {
        "alice": pbx.call("PJSIP/alice", callerId='"Harbour Logistics" <+442079460321>'),
        "bob": pbx.call("PJSIP/bob", callerId='"Maria González" <+34911234567>'),
        "carol": pbx.call("PJSIP/carol", callerId='"Northwind Traders" <+15550142>'),
        "dave": pbx.dialplan_call("PJSIP/dave", "100", callerId='"Queue: Sales" <600>'),
        "erin": pbx.dialplan_call("PJSIP/erin", "102", callerId='"IVR welcome" <700>'),
        "noc1": pbx.call("PJSIP/noc1", callerId='"Carrier test line" <+4930901820>'),
        "admin1": pbx.dialplan_call("PJSIP/admin1", "103", callerId='"Olumide Adeyemi" <+2348012345678>'),
        "supervisor1": pbx.call("PJSIP/supervisor1", callerId='"Jonas Berg" <+4681234567>'),
    }
    for key in ("alice", "bob", "carol", "noc1", "supervisor1"):
        pbx.wait_in_app(calls[key])
    ringing = pbx.call("PJSIP/supervisor2", callerId='"Unknown" <+33142685300>')

    def act(key, action, **body):
        admin.post(f"/api/v1/channels/{calls[key]}/{action}", json=body).raise_for_status()

    act("alice", "hold")
    act("bob", "mute", direction="in")
    act("carol", "start_moh")
    act("supervisor1", "record", name="quality-sample-0412", format="wav")
    snoop = admin.post(f"/api/v1/channels/{calls['noc1']}/snoop_channel", json={"spy": "both", "app": APP}).json()

    def ready(page):
        expect(page.locator("#channel-rows tr[data-uid]")).to_have_count(10)
        expect(row(page, calls["alice"]).locator('[data-flag="held"]')).to_be_attached()
        expect(row(page, calls["bob"]).locator('[data-flag="muted"]')).to_have_text("Muted in")
        expect(row(page, calls["carol"]).locator('[data-flag="moh"]')).to_be_attached()
        expect(row(page, calls["supervisor1"]).locator('[data-flag="recording"]')).to_be_attached()
        expect(row(page, calls["noc1"]).locator('[data-flag="snooped"]')).to_be_attached()
        expect(row(page, snoop["id"]).locator('[data-flag="snoop"]')).to_be_attached()
        expect(row(page, ringing).locator('[data-field="state"]')).to_have_text("Ringing")
        page.mouse.move(0, 0)

    for scheme, name in (("light", "screenshot.png"), ("dark", "screenshot-dark.png")):
        page = ui.as_user("supervisor", viewport={"width": 1680, "height": 690}, device_scale_factor=1,
                          color_scheme=scheme)
        ready(page)
        publish(ui.shots.take(page, f"readme-{scheme}"), name)
    phone = ui.as_user("supervisor", viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                       has_touch=True)
    ready(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
    publish(ui.shots.take(phone, "readme-phone"), "screenshot-phone.png")


def test_the_wallboard_screenshot(ui):
    """docs/wallboard.png: people on calls with customers, one ringing, one on hold, one offline."""
    pbx = ui.pbx
    pbx.control("POST", "/_sim/phones/PJSIP/supervisor2", {"never_answer": True, "ring_after": 0.02})
    pbx.control("POST", "/_sim/phones/PJSIP/noc1", {"offline": True})
    try:
        calls = {
            "alice": pbx.call("PJSIP/alice", callerId='"Harbour Logistics" <+442079460321>'),
            "bob": pbx.call("PJSIP/bob", callerId='"Maria González" <+34911234567>'),
            "carol": pbx.call("PJSIP/carol", callerId='"Northwind Traders" <+15550142>'),
            "admin1": pbx.dialplan_call("PJSIP/admin1", "103", callerId='"Olumide Adeyemi" <+2348012345678>'),
        }
        for key in ("alice", "bob", "carol"):
            pbx.wait_in_app(calls[key])
        pbx.call("PJSIP/supervisor2", callerId='"Unknown" <+33142685300>')
        pbx.control("POST", "/_sim/phones/PJSIP/carol/hold")
        page = ui.as_user("supervisor", path="/wallboard/", viewport={"width": 1400, "height": 760},
                          device_scale_factor=1)
        expect(page.locator('#wb-tiles li[data-id="default:PJSIP/carol"]')).to_have_attribute("data-status", "held")
        expect(page.locator('#wb-tiles li[data-id="default:PJSIP/supervisor2"]')).to_have_attribute(
            "data-status", "ringing")
        expect(page.locator('#wb-tiles li[data-id="default:PJSIP/noc1"]')).to_have_attribute("data-status", "offline")
        expect(page.locator('#wb-counters [data-counter="calls"] dd')).to_have_text("4")
        page.wait_for_timeout(2100)  # durations tick past zero
        page.mouse.move(0, 0)
        publish(ui.shots.take(page, "wallboard"), "wallboard.png")
    finally:
        pbx.control("POST", "/_sim/phones/PJSIP/noc1", {"offline": False})
