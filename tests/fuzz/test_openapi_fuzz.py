"""Schemathesis fuzzes every operation of the dashboard's own OpenAPI schema (/api/schema/) on a real server:
valid and invalid values, bounded and derandomised, over loopback with a token. No answer may be a 5xx.

Each operation gets valid and invalid cases; an operation on a channel also gets valid cases on a live call
(made again whenever a case hung it up), so that they reach ARI. External media is left out, and so is any
case naming an AudioSocket or UnicastRTP endpoint: the simulator would open a connection to the host it names."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from tests.fuzz.conftest import SUMMARY
from tests.live_server import ROOT, LiveDashboard

APP = "switchboard-fuzz"  # its own application: the session's live_dashboard holds "switchboard"
EXAMPLES = 12  # per operation and kind of case
LIVE = "fuzz-live-call"
OUTBOUND = re.compile(r"audiosocket|unicastrtp|external.?media", re.IGNORECASE)


@pytest.fixture(scope="module")
def fuzzed(simulator, tmp_path_factory):
    # The token's rate (600/minute by default) would answer most cases 429 before they reach the view.
    dashboard = LiveDashboard(simulator, tmp_path_factory.mktemp("fuzz"), app=APP,
                              extra_env={"API_TOKEN_RATE": "100000/minute"})
    made = subprocess.run([sys.executable, str(ROOT / "manage.py"), "drf_create_token", "admin"], env=dashboard.env,
                          cwd=ROOT, check=True, capture_output=True, text=True).stdout
    token = re.search(r"Generated token (\w+)", made).group(1)
    yield dashboard, {"Authorization": f"Token {token}"}
    dashboard.stop()
    simulator.control("POST", "/_sim/reset")  # whatever the fuzz originated goes with it


class Fuzz:
    def __init__(self, dashboard: LiveDashboard, auth: dict, ari: httpx.Client):
        self.dashboard, self.auth, self.ari = dashboard, auth, ari
        self.statuses: Counter = Counter()

    def live_call(self) -> None:
        if self.ari.get(f"/channels/{LIVE}").status_code == 404:
            self.ari.post("/channels", params={"endpoint": "PJSIP/alice", "app": APP, "channelId": LIVE})

    def run(self, operation, mode: GenerationMode, *, on_live_call: bool = False) -> None:
        strategy = operation.as_strategy(generation_mode=mode,
                                         path_parameters={"channel_id": LIVE} if on_live_call else None)

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def run(case):
            assume(not OUTBOUND.search(json.dumps([case.path_parameters, case.query, case.body], default=str)))
            if on_live_call:
                self.live_call()
            response = case.call(base_url=self.dashboard.url, headers=dict(self.auth), timeout=30)
            self.statuses[response.status_code] += 1
            assert response.status_code < 500, \
                f"{case.method} {case.formatted_path} {case.query} {str(case.body)[:200]}: {response.text[:300]}"

        run()


def test_no_operation_answers_a_server_error(fuzzed, simulator, request):
    dashboard, auth = fuzzed
    schema = schemathesis.openapi.from_url(f"{dashboard.url}/api/schema/?format=json", headers=dict(auth))
    operations = [result.ok() for result in schema.exclude(path_regex="external_media").get_all_operations()]
    assert {"GET /api/v1/channels", "POST /api/v1/channels/{channel_id}/hangup", "GET /api/v1/audit",
            "POST /api/v1/click-to-call", "POST /api/v1/stuck/hangup"} <= {op.label for op in operations}
    ari = httpx.Client(base_url=simulator.ari_url, auth=(simulator.username, simulator.password), timeout=10)
    fuzz = Fuzz(dashboard, auth, ari)
    failures = []
    for operation in operations:
        kinds = [(mode, False) for mode in GenerationMode]
        if "{channel_id}" in operation.path:
            kinds.append((GenerationMode.POSITIVE, True))
        for mode, on_live_call in kinds:
            try:
                fuzz.run(operation, mode, on_live_call=on_live_call)
            except Unsatisfiable:
                pass  # no invalid case exists (an operation without parameters)
            except AssertionError as failure:
                failures.append(f"{operation.label} ({mode.value}{', live call' if on_live_call else ''}): {failure}")
    assert not failures, "\n".join(failures)
    assert "Traceback" not in dashboard.log() and "Internal Server Error" not in dashboard.log()
    total = sum(fuzz.statuses.values())
    assert total > 20 * len(operations), f"only {total} cases ran"
    assert fuzz.statuses[200] + fuzz.statuses[204] > len(operations), "hardly any case got through"
    assert fuzz.statuses[429] == 0, "cases were throttled instead of reaching the views"
    request.config.stash[SUMMARY] = (f"OpenAPI fuzz: {total} cases on {len(operations)} operations, no 5xx; "
                                     f"statuses {dict(sorted(fuzz.statuses.items()))}")
