"""The console of a running dashboard keeps to what an operator must see: normal use (refused requests,
the API docs and schema, the audit CSV export) prints nothing."""
from __future__ import annotations

import pytest


@pytest.fixture
def new_log(live_dashboard):
    """What the dashboard's console printed from now on (its log file grows; read only the new part)."""
    start = live_dashboard.log_path.stat().st_size

    def read() -> str:
        with open(live_dashboard.log_path, "rb") as log:
            log.seek(start)
            return log.read().decode(errors="replace")
    return read


def test_normal_use_prints_nothing(live_dashboard, new_log):
    agent = live_dashboard.login("agent")
    admin = live_dashboard.login("admin")
    try:
        assert agent.post("/api/v1/click-to-call", json={"destination": "12ab"}).status_code == 400
        assert agent.get("/api/v1/stuck").status_code == 403
        assert admin.get("/api/v1/channels/no-such-channel").status_code == 404
        assert admin.get("/stuck/").status_code == 200
        assert agent.get("/stuck/").status_code == 403
        for _ in range(2):  # the schema is built once, then cached: both must be quiet
            assert admin.get("/api/schema/").status_code == 200
        assert admin.get("/api/docs/").status_code == 200
        export = admin.get("/audit/export.csv")
        assert export.status_code == 200 and export.text.startswith("at,username,action")
        assert "click_to_call" in export.text
    finally:
        agent.close()
        admin.close()
    printed = new_log()
    assert printed.strip() == "", f"the console printed during normal use:\n{printed}"
