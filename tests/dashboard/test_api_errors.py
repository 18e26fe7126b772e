"""Every answer under /api/ is the API's JSON error shape, including those Django makes itself (no route,
a bad Host header, a crash), on a real server; pages keep their HTML."""
from __future__ import annotations

import httpx
import pytest
from django.urls import path


def _assert_json_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/json"), response.text[:300]
    body = response.json()
    assert set(body) <= {"message", "code", "parameter"} and body["message"] and body["code"]
    return body


@pytest.mark.parametrize("url", [
    "/api/v1/channels/a%0D%0Ab/hold",
    "/api/v1/channels/a%0Ab",
    "/api/v1/channels/%0A/variable",
    "/api/v1/no-such-thing",
    "/api/v1/me/",
    "/api/",
    "/api/v2/channels",
])
def test_an_unknown_api_address_is_a_json_404(live_dashboard, url):
    client = live_dashboard.login("admin")
    for method in ("GET", "POST", "DELETE"):
        body = _assert_json_error(client.request(method, url), 404)
        assert "\n" not in body["message"] and "\r" not in body["message"]


def test_a_channel_id_with_a_control_character_is_refused_by_name(live_dashboard):
    body = _assert_json_error(live_dashboard.login("admin").post("/api/v1/channels/a%0Db/hold"), 400)
    assert body["parameter"] == "channel_id"


def test_a_wrong_method_is_a_json_405(live_dashboard):
    client = live_dashboard.login("admin")
    _assert_json_error(client.delete("/api/v1/me"), 405)
    _assert_json_error(client.get("/api/v1/channels/x/hold"), 405)
    _assert_json_error(client.put("/api/v1/channels"), 405)


def test_a_bad_host_header_is_a_json_400_under_the_api_only(live_dashboard):
    client = live_dashboard.login("admin")
    body = _assert_json_error(client.get("/api/v1/me", headers={"Host": "evil.example.com"}), 400)
    assert body["code"] == "bad_host"
    page = client.get("/audit/", headers={"Host": "evil.example.com"})
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")


def test_without_login_the_api_answers_json(live_dashboard):
    anonymous = httpx.Client(base_url=live_dashboard.url)
    _assert_json_error(anonymous.get("/api/v1/channels"), 401)
    _assert_json_error(anonymous.get("/api/v1/nowhere"), 404)
    assert anonymous.get("/nowhere/").headers["content-type"].startswith("text/html")


def _crash(request):
    raise RuntimeError("boom")


urlpatterns = [path("api/v1/crash", _crash), path("crash/", _crash)]
handler500 = "dashboard.error_pages.server_error"


def test_a_crash_under_the_api_is_a_json_500(client, settings, users):
    # No address of the dashboard crashes on purpose: this one is the test's own.
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    response = client.get("/api/v1/crash")
    assert response.status_code == 500 and response["content-type"].startswith("application/json")
    assert response.json() == {"message": "internal error; it has been logged", "code": "internal"}
    page = client.get("/crash/")
    assert page.status_code == 500 and page["content-type"].startswith("text/html")
