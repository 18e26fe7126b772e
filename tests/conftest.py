"""Shared fixtures: every test talks to a real simulator over real HTTP and WebSocket."""
import pytest

BROWSER_FIXTURES = {"page", "browser", "context", "ui"}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Browser tests run last: Playwright's sync API leaves an event loop running in the main thread,
    and pytest-asyncio tests after it would fail ("Runner.run() cannot be called from a running event
    loop"). A stable sort, so the order within each group is kept."""
    def is_browser(item) -> bool:
        fixtures = set(getattr(item, "fixturenames", ()))
        return item.get_closest_marker("browser") is not None or bool(BROWSER_FIXTURES & fixtures)

    items.sort(key=is_browser)


@pytest.fixture(scope="session")
def simulator():
    """One simulator for the whole run, on a free port, over real HTTP and WebSocket."""
    from ari_sim.testing import running_simulator

    with running_simulator() as sim:
        yield sim


@pytest.fixture
def sim(simulator):
    """The shared simulator, reset to an idle PBX (no channels, bridges, faults or request log)."""
    simulator.control("POST", "/_sim/reset")
    yield simulator


@pytest.fixture(scope="session")
def live_dashboard(simulator, tmp_path_factory):
    """The dashboard served by uvicorn in a subprocess, on a free port, with the demo users."""
    from tests.live_server import LiveDashboard

    dashboard = LiveDashboard(simulator, tmp_path_factory.mktemp("live-dashboard"))
    yield dashboard
    dashboard.stop()
