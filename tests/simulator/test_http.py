"""The HTTP surface of /ari: authentication, routing errors, CORS, bodies and headers."""
import httpx
import pytest

from .helpers import PASSWORD, USER, client

AUTH_HEADER = 'Basic realm="Asterisk REST Interface"'


def test_basic_auth_and_api_key_both_work(sim):
    with client(sim) as ari:
        assert ari.get("/asterisk/ping").json()["ping"] == "pong"
    response = httpx.get(sim.ari_url + "/asterisk/info", params={"api_key": f"{USER}:{PASSWORD}"})
    assert response.status_code == 200
    assert response.json()["system"]["entity_id"] == "02:fc:00:00:00:01"


@pytest.mark.parametrize("auth, params", [(None, None), ((USER, "nope"), None), (None, {"api_key": f"{USER}:nope"}),
                                          (("someone", PASSWORD), None)])
def test_bad_credentials_get_401_with_realm(sim, auth, params):
    response = httpx.get(sim.ari_url + "/asterisk/info", auth=auth, params=params)
    assert response.status_code == 401
    assert response.json() == {"message": "Authentication required"}
    assert response.headers["WWW-Authenticate"] == AUTH_HEADER
    assert response.headers["Content-Type"] == "application/json"


def test_asterisk_headers_and_empty_204(sim):
    with client(sim) as ari:
        listed = ari.get("/channels")
        assert listed.headers["Server"] == "Asterisk"
        assert listed.headers["Cache-Control"] == "no-cache, no-store"
        assert listed.json() == []
        # Into the dialplan: with no WebSocket for an app, a Stasis channel would end by itself.
        response = ari.post("/channels", params={"endpoint": "Local/103@default", "extension": "103",
                                                 "channelId": "h-1"})
        assert response.status_code == 200
        hung_up = ari.delete("/channels/h-1")
        assert hung_up.status_code == 204
        assert hung_up.content == b""
        assert "Content-Type" not in hung_up.headers


def test_unknown_resource_trailing_slash_and_wrong_method(sim):
    with client(sim) as ari:
        unknown = ari.get("/nonexistent-resource")
        assert (unknown.status_code, unknown.json()) == (404, {"message": "Resource not found"})
        slash = ari.get("/channels/")
        assert (slash.status_code, slash.json()) == (404, {"message": "ARI URLs do not end with a slash. Try /ari/channels"})
        action = ari.post("/channels/someid/nosuchaction")
        assert (action.status_code, action.json()) == (404, {"message": "Resource not found"})
        wrong = ari.put("/channels")
        assert (wrong.status_code, wrong.json()) == (405, {"message": "Invalid method"})
        assert wrong.headers["Allow"] == "OPTIONS,GET,POST"
        wrong_hold = ari.get("/channels/x/hold")
        assert wrong_hold.status_code == 405
        assert wrong_hold.headers["Allow"] == "OPTIONS,POST,DELETE"


def test_literal_path_segments_win_over_ids(sim):
    with client(sim) as ari:
        create_get = ari.get("/channels/create")
        assert create_get.status_code == 405
        assert create_get.headers["Allow"] == "OPTIONS,POST"


def test_options_with_and_without_credentials(sim):
    preflight = {"Origin": "http://127.0.0.1:8000", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "Authorization, Content-Type"}
    refused = httpx.options(sim.ari_url + "/channels", headers=preflight)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == AUTH_HEADER
    assert refused.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"
    allowed = httpx.options(sim.ari_url + "/channels", headers=preflight, auth=(USER, PASSWORD))
    assert allowed.status_code == 204
    assert allowed.headers["Allow"] == "OPTIONS,GET,POST"
    assert allowed.headers["Access-Control-Allow-Methods"] == "OPTIONS,GET,POST"
    assert allowed.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    plain = httpx.options(sim.ari_url + "/channels/x/hold", auth=(USER, PASSWORD))
    assert plain.status_code == 204
    assert plain.headers["Allow"] == "OPTIONS,POST,DELETE"
    assert "Access-Control-Allow-Origin" not in plain.headers


@pytest.mark.parametrize("origin, allowed", [("http://127.0.0.1:8000", True), ("http://localhost:8000", True),
                                             ("http://evil.invalid:9999", False)])
def test_cors_answers_only_allowed_origins(sim, origin, allowed):
    response = httpx.get(sim.ari_url + "/channels", headers={"Origin": origin}, auth=(USER, PASSWORD))
    assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") == (origin if allowed else None)


def test_json_body_keys_act_as_query_parameters(sim):
    with client(sim) as ari:
        response = ari.post("/channels", json={"endpoint": "Local/103@default", "extension": "103",
                                               "channelId": "body-1", "callerId": "Body <42>",
                                               "variables": {"FROM_BODY": "yes"}})
        assert response.status_code == 200, response.text
        assert response.json()["id"] == "body-1"
        assert response.json()["caller"] == {"name": "Body", "number": "42"}
        assert ari.get("/channels/body-1/variable", params={"variable": "FROM_BODY"}).json() == {"value": "yes"}
        # The body overrides the query string.
        overridden = ari.post("/channels", params={"endpoint": "Bogus/x", "extension": "103"},
                              json={"endpoint": "Local/103@default", "channelId": "body-2"})
        assert overridden.status_code == 200
        assert overridden.json()["name"].startswith("Local/103@default-")


def test_malformed_json_body_is_400(sim):
    with client(sim) as ari:
        response = ari.post("/channels", params={"endpoint": "Local/101@default", "app": "dashboard"},
                            content=b"{not json", headers={"Content-Type": "application/json"})
        assert (response.status_code, response.json()) == (400, {"message": "Error parsing request body"})


def test_repeated_query_parameter_last_one_wins(sim):
    with client(sim) as ari:
        response = ari.post("/channels", params=[("endpoint", "Bogus/x"), ("endpoint", "Local/100@default"),
                                                 ("app", "dashboard"), ("channelId", "rep-1")])
        assert response.status_code == 200
        assert response.json()["name"].startswith("Local/100@default-")


def test_asterisk_resources(sim):
    with client(sim) as ari:
        info = ari.get("/asterisk/info").json()
        assert set(info) == {"build", "system", "config", "status"}
        assert ari.get("/asterisk/info", params={"only": "system"}).json().keys() == {"system"}
        ping = ari.get("/asterisk/ping").json()
        assert ping["asterisk_id"] == "02:fc:00:00:00:01" and ping["timestamp"].endswith("+0000")
        module = ari.get("/asterisk/modules/res_ari_channels.so").json()
        assert module == {"name": "res_ari_channels.so", "description": "RESTful API module - Channel resources",
                          "use_count": 0, "status": "Running", "support_level": "core"}
        assert ari.get("/asterisk/modules/nope.so").status_code == 404
        assert ari.get("/asterisk/variable", params={"variable": "ASTVERSION()"}).json() == {"value": ""}
        assert ari.post("/asterisk/variable", params={"variable": "G1", "value": "v"}).status_code == 204
        assert ari.get("/asterisk/variable", params={"variable": "G1"}).json() == {"value": "v"}


def test_endpoints_resource(sim):
    with client(sim) as ari:
        endpoints = ari.get("/endpoints").json()
        names = {(e["technology"], e["resource"]) for e in endpoints}
        for resource in ("alice", "bob", "carol", "dave", "erin", "supervisor1", "supervisor2", "noc1", "admin1"):
            assert ("PJSIP", resource) in names
        assert ("SIP", "alice") in names and ("SIP", "bob") in names
        assert ari.get("/endpoints/PJSIP/alice").json() == {"technology": "PJSIP", "resource": "alice",
                                                            "state": "online", "channel_ids": []}
        assert len(ari.get("/endpoints/SIP").json()) == 2
        assert ari.get("/endpoints/PJSIP/nobody").status_code == 404
        assert ari.get("/endpoints/Bogus").status_code == 404
