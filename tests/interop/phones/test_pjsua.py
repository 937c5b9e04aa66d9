"""pjsua2 2.15 (PyPI ``pjsua2-python``) against the TAS over UDP, TCP and TLS with real
``sips:`` URIs, both directions; the same calls and checks as the other phones.

pjmedia's adaptive jitter buffer drops about 10 ms of playout once, about 1 s into a call, to
cut latency (its stream reports under 1.5 ms of jitter): what pjsua2 hears is checked with the
slip-tolerant figure; the one-lag figure is printed. A fixed jitter buffer
(``jbMinPre == jbMaxPre``) slips more, not less."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interop.conftest import free_port
from tests.interop.phones.matrix import ROWS
from tests.interop.phones.pjsua import PJSUA2, Pjsua
from tests.interop.phones.scenarios import PhoneFactory, check, phone_calls_tas, tas_calls_phone

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,
    pytest.mark.timeout(120),
    pytest.mark.skipif(not PJSUA2, reason="pjsua2 is not installed (pip install pjsua2-python)"),
]

TRANSPORTS = ["udp", "tcp", "tls"]


def factory(tmp: Path) -> PhoneFactory:
    def make(source: Path) -> Pjsua:
        return Pjsua(tmp / "pjsua", source, free_port(), free_port(), free_port() & ~1)

    return make


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_pjsua_calls_the_tas(transport: str, tmp_path: Path) -> None:
    row = await phone_calls_tas(factory(tmp_path), transport, tmp_path)
    ROWS.append(row)
    check(row, "1", phone_one_lag=False)
    if transport == "tls":  # RFC 3261 §12.1.1: a SIPS Request-URI gets a SIPS Contact
        log = (tmp_path / "pjsua" / "pjsua.log").read_text(errors="replace")
        assert "INVITE sips:" in log and "Contact: <sips:tas@" in log, log[-3000:]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_tas_calls_pjsua(transport: str, tmp_path: Path) -> None:
    row = await tas_calls_phone(factory(tmp_path), transport, tmp_path)
    ROWS.append(row)
    check(row, "5", phone_one_lag=False)
