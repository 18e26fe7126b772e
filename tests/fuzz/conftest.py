"""The fuzz run says how many cases it sent, in pytest's closing summary."""
import pytest

SUMMARY = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter, config):
    if SUMMARY in config.stash:
        terminalreporter.write_line(config.stash[SUMMARY])
