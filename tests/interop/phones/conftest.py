"""Real softphones against the TAS: prints the interop matrix at the end of the run."""

from __future__ import annotations

import pytest

from tests.interop.phones.matrix import ROWS, render


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if ROWS:
        terminalreporter.write_sep("=", "real-phone interop matrix (correlation >= 0.95)")
        terminalreporter.write_line(render(ROWS))
