"""Recently gone channels: the REST API answers 404 with the last state it saw, and the live socket still
streams their timeline history, for those who could see them; nothing is told about anyone else's."""
from __future__ import annotations

import json

from tests.dashboard.test_live_socket import APP, ari, call, open_page  # noqa: F401 - ari is a fixture


async def _gone(live_dashboard, ari, endpoint: str) -> tuple[str, str]:
    channel_id = call(ari, endpoint)
    page = await open_page(live_dashboard, "supervisor")
    await page.until(lambda p: p.by_id(channel_id) and p.by_id(channel_id)["app"] == APP, what="the call")
    name = page.by_id(channel_id)["name"]
    assert ari.delete(f"/channels/{channel_id}").status_code == 204
    await page.until(lambda p: p.by_id(channel_id) is None, what="the hangup")
    await page.ws.close()
    return channel_id, name


async def test_a_gone_channel_answers_404_with_its_last_state(live_dashboard, ari):
    channel_id, name = await _gone(live_dashboard, ari, "PJSIP/alice")
    response = live_dashboard.login("supervisor").get(f"/api/v1/channels/{channel_id}")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "gone" and "gone" in body["message"]
    assert body["last_seen"]["name"] == name and body["last_seen"]["state"] == "Up"
    assert body["last_seen"]["app"] == APP and isinstance(body["gone_at"], float)
    # The agent on that phone may read it; another agent is told nothing more than for a made-up id.
    assert live_dashboard.login("agent").get(f"/api/v1/channels/{channel_id}").json()["last_seen"]["name"] == name
    for path in (f"/api/v1/channels/{channel_id}", "/api/v1/channels/1234567890.999"):
        denied = live_dashboard.login("agent2").get(path)
        assert denied.status_code == 404 and denied.json() == {"message": "the channel is gone (or never existed)",
                                                               "code": "not_found"}


async def test_a_gone_channels_timeline_is_kept_for_those_who_could_see_it(live_dashboard, ari):
    channel_id, _ = await _gone(live_dashboard, ari, "PJSIP/alice")
    uid = f"default:{channel_id}"

    async def history(username: str) -> list[dict]:
        page = await open_page(live_dashboard, username)
        await page.ws.send(json.dumps({"type": "watch", "uid": uid}))
        try:
            await page.until(lambda p: any(m["type"] == "events" for m in p.messages), timeout=1.5)
        except AssertionError:
            pass
        await page.ws.close()
        return [i for m in page.messages if m["type"] == "events" for i in m["items"]]

    supervisor = await history("supervisor")
    assert {"ChannelCreated", "StasisStart", "ChannelDestroyed"} <= {i["type"] for i in supervisor}
    assert await history("agent") != []
    assert await history("agent2") == []
