"""The wallboard in a real browser: tiles change live as calls ring, are answered, held and end; the counters
follow; the group and text filters; the full-screen layout for a wall TV."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def tile(page, endpoint: str):
    return page.locator(f'#wb-tiles li[data-id="default:{endpoint}"]')


def counter(page, name: str):
    return page.locator(f'#wb-counters [data-counter="{name}"] dd')


def test_tiles_change_live_as_a_call_rings_is_answered_held_and_ends(ui):
    pbx = ui.pbx
    page = ui.login("supervisor", path="/wallboard/")
    bob = tile(page, "PJSIP/bob")
    expect(bob).to_have_attribute("data-status", "idle")
    expect(bob.locator(".wb-name")).to_have_text("agent2")
    expect(bob.locator(".wb-phone")).to_have_text("PJSIP/bob · 1002")
    expect(counter(page, "calls")).to_have_text("0")

    pbx.control("POST", "/_sim/phones/PJSIP/bob", {"ring_after": 0.02, "answer_after": 2.0})
    call = pbx.call("PJSIP/bob", callerId='"Maria González" <+34911234567>')
    expect(bob).to_have_attribute("data-status", "ringing")
    expect(bob.locator(".wb-status")).to_have_text("Ringing")
    expect(counter(page, "ringing")).to_have_text("1")
    expect(bob).to_have_attribute("data-status", "busy")
    expect(bob.locator(".wb-status")).to_have_text("On a call")
    expect(bob.locator(".wb-peer-name")).to_have_text("Maria González")
    expect(bob.locator(".wb-peer-number")).to_have_text("+34911234567")
    expect(bob.locator(".wb-time")).to_have_text(re.compile(r"^0:0\d$"))
    expect(counter(page, "calls")).to_have_text("1")
    expect(counter(page, "ringing")).to_have_text("0")
    expect(counter(page, "longest")).to_have_text(re.compile(r"^0:0\d$"))
    ui.shots.take(page, "on-a-call")

    pbx.control("POST", "/_sim/phones/PJSIP/bob/hold")
    expect(bob).to_have_attribute("data-status", "held")
    expect(counter(page, "held")).to_have_text("1")
    pbx.control("POST", "/_sim/phones/PJSIP/bob/unhold")
    expect(bob).to_have_attribute("data-status", "busy")

    pbx.hangup(call)
    expect(bob).to_have_attribute("data-status", "idle")
    expect(bob.locator(".wb-peer-name")).to_have_text("")
    expect(counter(page, "calls")).to_have_text("0")

    offline_before = int(counter(page, "offline").inner_text())
    pbx.control("POST", "/_sim/phones/PJSIP/erin", {"offline": True})
    try:
        expect(tile(page, "PJSIP/erin")).to_have_attribute("data-status", "offline")
        expect(counter(page, "offline")).to_have_text(str(offline_before + 1))
    finally:
        pbx.control("POST", "/_sim/phones/PJSIP/erin", {"offline": False})
    expect(tile(page, "PJSIP/erin")).to_have_attribute("data-status", "idle")


def test_filter_by_group_and_by_text(ui):
    page = ui.login("supervisor", path="/wallboard/")
    expect(tile(page, "PJSIP/noc1")).to_be_visible()
    page.locator("#wb-group").select_option(label="Agents")
    visible = page.locator("#wb-tiles li:not([hidden])")
    expect(visible).to_have_count(2)
    expect(visible.locator(".wb-name")).to_have_text(["agent", "agent2"])
    assert "group=agent" in page.url
    expect(page.locator("#wb-count")).to_have_text(re.compile(r"^2 of \d+$"))

    page.locator("#wb-group").select_option(label="All groups")
    page.locator("#wb-text").fill("noc1")
    expect(visible).to_have_count(1)
    expect(visible.locator(".wb-name")).to_have_text("noc")
    page.locator("#wb-text").fill("nobody-at-all")
    expect(visible).to_have_count(0)
    expect(page.locator("#wb-empty")).to_have_text("Nobody matches the filter.")
    # The filter is in the URL: a wall TV opens the same view.
    page.reload()
    expect(page.locator("#wb-text")).to_have_value("nobody-at-all")
    expect(page.locator("#wb-empty")).to_be_visible()


def test_full_screen_for_a_wall_tv(ui):
    page = ui.login("supervisor", path="/wallboard/")
    header = page.locator(".app-header")
    expect(header).to_be_visible()
    page.locator("#wb-tv").click()
    expect(page.locator("body")).to_have_class(re.compile(r"\bwb-tv\b"))
    expect(page.locator("#wb-tv")).to_have_attribute("aria-pressed", "true")
    expect(header).to_be_hidden()
    expect(page.locator("#wb-filters")).to_be_hidden()
    expect(page.locator("#wb-clock")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    assert page.evaluate("document.fullscreenElement === document.documentElement")
    ui.shots.take(page, "tv")
    page.locator("#wb-tv").click()
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bwb-tv\b"))
    expect(header).to_be_visible()
    assert page.evaluate("document.fullscreenElement === null")

    # A bookmarked wall TV starts without the menus (full screen itself needs a click); Escape leaves.
    page.goto(ui.url + "/wallboard/?tv=1")
    expect(header).to_be_hidden()
    expect(tile(page, "PJSIP/alice")).to_be_visible()
    page.keyboard.press("Escape")
    expect(header).to_be_visible()


def test_other_roles_get_a_403_page(ui):
    page = ui.login("agent")
    expect(page.locator('.app-nav a[href="/wallboard/"]')).to_have_count(0)
    response = page.goto(ui.url + "/wallboard/")
    assert response.status == 403
    expect(page.locator("#wallboard-forbidden")).to_have_text(
        "Your role (agent) may not see the wallboard: it is for supervisors and admins.")
    expect(page.locator("#wb-tiles")).to_have_count(0)
