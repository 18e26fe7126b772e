"""Administer a live dashboard from a test: its admin forms over HTTP (as a browser without JavaScript would
send them), and manage.py in another process on its database."""
from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser

import httpx

from tests.live_server import ROOT, LiveDashboard


class _PostForm(HTMLParser):
    """The fields of the page's first POST form (not the header's logout), with the values a browser would send."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._state = "before"  # before | in | after
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if (tag == "form" and self._state == "before" and a.get("method", "").lower() == "post"
                and not a.get("action", "").endswith("/logout/")):
            self._state = "in"
        if self._state != "in":
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._state != "in":
            return
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, "".join(self._text)))
            self._textarea = None
        elif tag == "form":
            self._state = "after"


def submit(client: httpx.Client, path: str, changes: dict[str, str | list[str] | None]) -> httpx.Response:
    """GET the admin page at `path`, change fields (a list for a multiple select; None unticks or empties),
    POST it back and expect the admin's redirect (a 200 means the form came back with errors)."""
    page = client.get(path)
    assert page.status_code == 200, f"{path}: {page.status_code}"
    parser = _PostForm()
    parser.feed(page.text)
    fields = [(k, v) for k, v in parser.fields if k not in changes]
    for key, value in changes.items():
        if value is None:
            continue
        fields.extend((key, v) for v in ([value] if isinstance(value, str) else value))
    data: dict[str, list[str]] = {}
    for key, value in fields:
        data.setdefault(key, []).append(value)
    response = client.post(path, data=data)
    errors = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.text, re.S)
    assert response.status_code == 302, f"{path}: {response.status_code} {errors}"
    return response


def manage(dashboard: LiveDashboard, *args: str) -> str:
    """Run a manage.py command with the dashboard's settings."""
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=dashboard.env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def manage_shell(dashboard: LiveDashboard, code: str) -> str:
    """Run Python in `manage.py shell`: another process on the dashboard's database."""
    return manage(dashboard, "shell", "-c", code)
