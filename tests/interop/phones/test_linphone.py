"""linphonec 5.1 (Debian linphone-cli) against the TAS over UDP, TCP and TLS (``sips:``), both
directions; the same calls and checks as :mod:`tests.interop.phones.test_baresip`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interop.conftest import free_port
from tests.interop.phones.linphone import LINPHONEC, Linphone
from tests.interop.phones.matrix import ROWS
from tests.interop.phones.scenarios import PhoneFactory, check, phone_calls_tas, tas_calls_phone

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,
    pytest.mark.timeout(120),
    pytest.mark.skipif(
        LINPHONEC is None, reason="linphonec is not installed (apt-get install linphone-cli)"
    ),
]

TRANSPORTS = ["udp", "tcp", "tls"]
#: belle-sip 5.1 logs "New connection arriving on TLS, not handled !" and drops inbound TLS
#: connections: linphonec places sips: calls but cannot receive them.
NO_TLS_SERVER = pytest.mark.xfail(
    reason="linphonec (belle-sip 5.1) does not accept inbound TLS connections", strict=True
)
INBOUND = ["udp", "tcp", pytest.param("tls", marks=NO_TLS_SERVER)]


def factory(tmp: Path) -> PhoneFactory:
    def make(source: Path) -> Linphone:
        return Linphone(tmp / "linphone", source, free_port(), free_port(), free_port() & ~1)

    return make


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_linphone_calls_the_tas(transport: str, tmp_path: Path) -> None:
    row = await phone_calls_tas(factory(tmp_path), transport, tmp_path)
    ROWS.append(row)
    check(row, "1", phone_one_lag=False)


@pytest.mark.parametrize("transport", INBOUND)
async def test_the_tas_calls_linphone(transport: str, tmp_path: Path) -> None:
    row = await tas_calls_phone(factory(tmp_path), transport, tmp_path)
    ROWS.append(row)
    check(row, "5", phone_one_lag=False)
