"""Security headers over real HTTP: a Content-Security-Policy on every page with nothing inline to allow; the
production settings (secure cookies, the proxy's TLS header, HSTS, the HTTPS redirect) from the environment,
and all of them off for the loopback demo."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from switchboard import env
from tests.live_server import LiveDashboard

PAGES = ["/", "/channels/default/1764159200.42/", "/originate/", "/stuck/", "/audit/", "/account/token/",
         "/api/docs/", "/admin/"]


class _Inline(HTMLParser):
    """Script that runs from the page itself rather than from a file: what the policy would refuse."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and "src" not in a and a.get("type") != "application/json":
            self.found.append("<script> without src")
        self.found += [f"<{tag} {name}=...>" for name, _ in attrs if name == "style" or name.startswith("on")]
        if tag == "style":
            self.found.append("<style>")
        if a.get("href", "").startswith("javascript:"):
            self.found.append(f"<{tag} href=javascript:...>")


def directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_every_page_has_a_policy_with_nothing_inline(live_dashboard):
    admin = live_dashboard.login("admin")
    anonymous_login = httpx.get(live_dashboard.url + "/login/")
    for path, response in [("/login/", anonymous_login), *((p, admin.get(p)) for p in PAGES)]:
        assert response.status_code == 200, path
        policy = directives(response.headers["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"], path
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"], path
        assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'self'"], path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        if path != "/admin/":  # Django's own pages: the browser test checks they run under the policy
            parser = _Inline()
            parser.feed(response.text)
            assert parser.found == [], f"{path}: {parser.found}"
    # Swagger UI's set-up comes as a script file of its own.
    docs = admin.get("/api/docs/")
    setup = re.search(r'<script src="(/api/docs/\?script=)"', docs.text)
    assert setup and admin.get(setup.group(1)).headers["content-type"].startswith("application/javascript")
    assert anonymous_login.headers["Referrer-Policy"] == "same-origin"


def test_the_loopback_demo_has_no_tls_settings(live_dashboard):
    client = live_dashboard.login("noc")
    response = client.get("/")
    assert response.status_code == 200 and "Strict-Transport-Security" not in response.headers
    assert not any("secure" in h.lower() for h in response.headers.get_list("set-cookie"))
    assert client.cookies["sessionid"]  # sent back over plain HTTP: the cookie is not Secure


@pytest.fixture(scope="module")
def behind_tls(simulator, tmp_path_factory):
    dashboard = LiveDashboard(simulator, tmp_path_factory.mktemp("tls"), app="switchboard-tls", extra_env={
        "DJANGO_SESSION_COOKIE_SECURE": "true", "DJANGO_CSRF_COOKIE_SECURE": "true",
        # Not X-Forwarded-Proto, which uvicorn itself reads: this proves Django's setting does the work.
        "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Ssl=on", "DJANGO_SECURE_SSL_REDIRECT": "true",
        "DJANGO_SECURE_HSTS_SECONDS": "31536000", "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "DJANGO_SECURE_HSTS_PRELOAD": "true"})
    yield dashboard
    dashboard.stop()


def test_behind_a_tls_proxy_cookies_are_secure_hsts_is_sent_and_plain_http_is_redirected(behind_tls):
    plain = httpx.get(behind_tls.url + "/login/?next=/audit/")
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"https://127.0.0.1:{behind_tls.port}/login/?next=/audit/"

    tls = httpx.Client(base_url=behind_tls.url, headers={"X-Forwarded-Ssl": "on"})
    page = tls.get("/login/")
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    csrf_cookie = re.search(r"csrftoken=([^;]+);.*\bSecure\b", page.headers["set-cookie"]).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    # The test talks plain HTTP to the proxy's side, so it hands back the Secure cookie itself.
    logged_in = tls.post("/login/", data={"username": "agent", "password": "agent", "csrfmiddlewaretoken": token},
                         headers={"Referer": f"https://127.0.0.1:{behind_tls.port}/login/",
                                  "Cookie": f"csrftoken={csrf_cookie}"})
    assert logged_in.status_code == 302
    session = next(c for c in logged_in.headers.get_list("set-cookie") if c.startswith("sessionid="))
    assert "Secure" in session and "HttpOnly" in session


@pytest.mark.parametrize(("name", "value"), [
    ("DJANGO_SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto"),
    ("DJANGO_SECURE_PROXY_SSL_HEADER", "=https"),
    ("DJANGO_SECURE_HSTS_SECONDS", "a year"),
    ("DJANGO_SESSION_COOKIE_SECURE", "sometimes"),
    ("API_TOKEN_RATE", "lots"),
    ("API_TOKEN_RATE", "10/fortnight"),
    ("LOGIN_FAILURE_LIMIT", "0"),
    ("LIVE_AUTH_RECHECK_SECONDS", "-5"),
])
def test_a_wrong_security_setting_stops_the_start_with_its_name(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(env.ConfigError, match=name):
        env.security()


def test_the_security_defaults_suit_the_loopback_demo(monkeypatch):
    for name in ("DJANGO_SESSION_COOKIE_SECURE", "DJANGO_CSRF_COOKIE_SECURE", "DJANGO_SECURE_PROXY_SSL_HEADER",
                 "DJANGO_SECURE_SSL_REDIRECT", "DJANGO_SECURE_HSTS_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    defaults = env.security()
    assert not (defaults.session_cookie_secure or defaults.csrf_cookie_secure or defaults.ssl_redirect)
    assert defaults.proxy_ssl_header is None and defaults.hsts_seconds == 0
    monkeypatch.setenv("DJANGO_SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto=https")
    assert env.security().proxy_ssl_header == ("HTTP_X_FORWARDED_PROTO", "https")


def test_state_changing_requests_need_the_csrf_token(live_dashboard):
    page = live_dashboard.login("supervisor")
    forged = httpx.Client(base_url=live_dashboard.url, cookies=page.cookies)  # the cookie, not the token
    refused = forged.post("/api/v1/channels/1764159200.42/hold", json={})
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied" and "CSRF" in refused.json()["message"]
    assert forged.post("/account/token/", data={"do": "create"}).status_code == 403
    assert forged.post("/logout/").status_code == 403
    assert forged.get("/api/v1/me").json()["username"] == "supervisor"  # still signed in: the logout was refused


def test_the_ari_password_never_reaches_the_browser(live_dashboard, simulator):
    admin = live_dashboard.login("admin")
    for path in [*PAGES, "/api/v1/me", "/api/v1/channels", "/api/v1/sessions", "/api/v1/stuck", "/api/schema/",
                 "/admin/dashboard/profile/"]:
        response = admin.get(path)
        assert response.status_code == 200, path
        assert simulator.password not in response.text and simulator.username + ":" not in response.text, path
