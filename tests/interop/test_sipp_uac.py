"""SIPp's built-in ``uac`` scenario against ``tas serve``: 2,000 calls over UDP and TCP with
zero failed calls and zero unexpected messages (issue 2, "Must show")."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interop.conftest import TasServer, free_port, run_sipp

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.timeout(240)]

CALLS = 2000


@pytest.mark.parametrize("transport", ["u1", "t1"], ids=["udp", "tcp"])
def test_sipp_uac_2000_calls(
    sipp: str, tas_server: TasServer, tmp_path: Path, transport: str
) -> None:
    args = [
        f"127.0.0.1:{tas_server.port}", "-sn", "uac", "-t", transport,
        "-i", "127.0.0.1", "-p", str(free_port()), "-m", str(CALLS), "-r", "400", "-l", "400",
        "-timeout", "100", "-timeout_error", "-buff_size", "4194304",
    ]  # fmt: skip
    code, stats, errors = run_sipp(sipp, tmp_path, args)
    assert code == 0, f"sipp exit {code}: {errors[-3000:]}\n{tas_server.log.read_text()[-3000:]}"
    assert int(stats["SuccessfulCall(C)"]) == CALLS
    assert int(stats["FailedCall(C)"]) == 0
    assert int(stats["FailedUnexpectedMessage(C)"]) == 0
    assert int(stats["OutOfCallMsgs(C)"]) == 0
    # DeadCallMsgs (a retransmitted 200 to a BYE SIPp resent under load, arriving after the
    # call ended) is RFC-conformant absorption, not an unexpected message.
    assert errors.strip() == ""
