"""baresip 1.0 (Debian) against the TAS over UDP, TCP and TLS, both directions.

Each call asserts: connected, audio both ways (each side's recording correlates >= 0.95 with
what the other sent, lag searched), RFC 4733 DTMF seen by the receiver, hang-up by the side
the scenario says. See :mod:`tests.interop.phones.scenarios`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tas.transport.tls import ensure_self_signed
from tests.interop.conftest import free_port
from tests.interop.phones.baresip import BARESIP, Baresip
from tests.interop.phones.matrix import ROWS
from tests.interop.phones.scenarios import PhoneFactory, check, phone_calls_tas, tas_calls_phone

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,
    pytest.mark.timeout(120),
    pytest.mark.skipif(
        BARESIP is None, reason="baresip is not installed (apt-get install baresip)"
    ),
]

TRANSPORTS = ["udp", "tcp", "tls"]


def factory(tmp: Path) -> PhoneFactory:
    """Phones whose TLS side trusts (and presents) a self-signed certificate made here."""
    cert, key = ensure_self_signed(tmp / "phone-tls", "127.0.0.1")
    bundle = tmp / "phone-tls" / "bundle.pem"
    bundle.write_text(cert.read_text() + key.read_text())

    def make(source: Path) -> Baresip:
        rtp = free_port() & ~1
        return Baresip(tmp / "baresip", source, free_port(), free_port(), rtp, certificate=bundle)

    return make


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_baresip_calls_the_tas(transport: str, tmp_path: Path) -> None:
    row = await phone_calls_tas(factory(tmp_path), transport, tmp_path)
    ROWS.append(row)
    check(row, "1")


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_tas_calls_baresip(transport: str, tmp_path: Path) -> None:
    row = await tas_calls_phone(factory(tmp_path), transport, tmp_path)
    ROWS.append(row)
    check(row, "5")
