"""Simulator tests: `sim` (shared, real time, from tests/conftest.py) and `fast`, a second
simulator whose clock runs ten times faster, for tests that wait on timers (dial timeouts,
recordings, replays of recorded scenarios)."""
import gc

import pytest

from ari_sim.testing import running_simulator

FAST_SCALE = 0.1


@pytest.fixture(scope="session", autouse=True)
def _no_full_collections_of_startup_objects():
    """The simulators run in this process: a full garbage collection over everything pytest,
    Django and Playwright loaded stalls their timers and the tests' requests for tens of
    milliseconds, enough to reorder events that the fast clock puts a few milliseconds apart."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(scope="session")
def simulator():
    """A simulator of the simulator tests' own: the dashboards under test elsewhere keep sockets and
    calls on the shared one, and these tests check global state (applications, request log)."""
    with running_simulator() as sim:
        yield sim


@pytest.fixture(scope="session")
def fast_simulator():
    with running_simulator(time_scale=FAST_SCALE) as sim:
        yield sim


@pytest.fixture
def fast(fast_simulator):
    fast_simulator.control("POST", "/_sim/reset")
    yield fast_simulator
