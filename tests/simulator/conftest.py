"""Simulator tests: `sim` (shared, real time, from tests/conftest.py) and `fast`, a second
simulator whose clock runs ten times faster, for tests that wait on timers (dial timeouts,
recordings, replays of recorded scenarios)."""
import pytest

from ari_sim.testing import running_simulator

FAST_SCALE = 0.1


@pytest.fixture(scope="session")
def fast_simulator():
    with running_simulator(time_scale=FAST_SCALE) as sim:
        yield sim


@pytest.fixture
def fast(fast_simulator):
    fast_simulator.control("POST", "/_sim/reset")
    yield fast_simulator
