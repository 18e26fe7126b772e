"""Requests refused before their action runs: answered in the API's terms, audited, and changing nothing."""
from __future__ import annotations

import httpx
import pytest

from tests.dashboard.test_signout import create_token, revoke_token


@pytest.mark.parametrize("path", ["/api/v1/channels", "/api/v1/channels/some-id/hold", "/api/v1/me"])
def test_options_answers_what_the_url_allows(live_dashboard, path):
    client = live_dashboard.login("supervisor")
    response = client.options(path)
    assert response.status_code == 200, response.text
    assert "POST" in response.headers["Allow"] or path == "/api/v1/me"


def test_an_action_without_its_csrf_token_is_refused_and_audited(live_dashboard):
    client = live_dashboard.login("supervisor")
    del client.headers["X-CSRFToken"]
    response = client.post("/api/v1/channels/csrf-probe/hold", json={})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied" and "CSRF" in response.json()["message"]
    rows = live_dashboard.login("admin").get("/api/v1/audit", params={"q": "csrf-probe"}).json()["results"]
    assert [(r["action"], r["outcome"], r["status"], r["username"]) for r in rows] == \
        [("hold", "denied", 403, "supervisor")]


def test_an_unknown_token_page_command_changes_nothing(live_dashboard):
    client = live_dashboard.login("noc")
    key = create_token(client)
    try:
        refused = client.post("/account/token/", data={"do": "bogus", "csrfmiddlewaretoken": client.cookies["csrftoken"]})
        assert refused.status_code == 400
        script = httpx.Client(base_url=live_dashboard.url, headers={"Authorization": f"Token {key}"})
        assert script.get("/api/v1/me").status_code == 200  # the token still works
    finally:
        revoke_token(client)
