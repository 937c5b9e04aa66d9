"""Issue 13's rows against real SIPp, over UDP and TCP (RFC 3262, RFC 4028, RFC 3311).

SIPp calls ``tas serve`` (a number with no registration: the direct leg answers): an INVITE
requiring 100rel is taken (no 420); ``Supported: timer`` + ``Session-Expires: 1800;
refresher=uac`` gets both back in the 200 with ``Require: timer``; ``Session-Expires: 30`` gets
422 with ``Min-SE: 90``; an UPDATE with a new SDP in the confirmed dialog gets 200 with our SDP
and the call goes on to its BYE. SIPp's ``ereg ... check_it`` fails the call when a header is
missing. And our UAC against a SIPp UAS sending a reliable 183: it PRACKs it (RAck checked).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tas.transport.ua import UserAgent
from tests.interop.conftest import TasServer, free_port, last_stats, run_sipp
from tests.interop.sipp_uas import sipp_finished, start_sipp_uas, uac_towards

pytestmark = [pytest.mark.interop, pytest.mark.timeout(120)]

SCENARIOS = Path(__file__).parent / "scenarios"
NUMBER = "+4799990098"  # no registration anywhere: the direct leg answers
SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
TRANSPORTS = pytest.mark.parametrize("transport", ["u1", "t1"], ids=["udp", "tcp"])


def _sipp_call(sipp: str, server: TasServer, tmp_path: Path, scenario: str, transport: str) -> None:
    args = [
        f"127.0.0.1:{server.port}", "-sf", str(SCENARIOS / scenario), "-t", transport,
        "-i", "127.0.0.1", "-p", str(free_port()), "-m", "1", "-s", NUMBER,
        "-timeout", "30", "-timeout_error",
    ]  # fmt: skip
    code, stats, errors = run_sipp(sipp, tmp_path, args, seconds=60)
    assert code == 0, f"sipp exit {code}: {errors[-3000:]}\n{server.log.read_text()[-3000:]}"
    assert int(stats["SuccessfulCall(C)"]) == 1 and int(stats["FailedCall(C)"]) == 0
    assert int(stats["FailedUnexpectedMessage(C)"]) == 0


@TRANSPORTS
def test_invite_requiring_100rel_is_answered(
    sipp: str, tas_server: TasServer, tmp_path: Path, transport: str
) -> None:
    _sipp_call(sipp, tas_server, tmp_path, "uac_100rel_required.xml", transport)


@TRANSPORTS
def test_session_timer_is_granted_with_require_timer(
    sipp: str, tas_server: TasServer, tmp_path: Path, transport: str
) -> None:
    _sipp_call(sipp, tas_server, tmp_path, "uac_session_timer.xml", transport)


@TRANSPORTS
def test_too_short_session_interval_gets_422_min_se(
    sipp: str, tas_server: TasServer, tmp_path: Path, transport: str
) -> None:
    _sipp_call(sipp, tas_server, tmp_path, "uac_session_too_short.xml", transport)


@TRANSPORTS
def test_update_with_sdp_in_the_confirmed_dialog(
    sipp: str, tas_server: TasServer, tmp_path: Path, transport: str
) -> None:
    _sipp_call(sipp, tas_server, tmp_path, "uac_update_sdp.xml", transport)


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
async def test_our_uac_pracks_a_reliable_183(sipp: str, tmp_path: Path, transport: str) -> None:
    port = free_port()
    stats = tmp_path / "uas.csv"
    process = await start_sipp_uas(
        sipp, tmp_path, port, transport, scenario=SCENARIOS / "uas_100rel.xml", stats=stats
    )
    opts, uri = uac_towards(port, transport)
    try:
        async with await UserAgent.open(opts) as ua:
            async with await ua.call(uri, sdp=SDP) as call:
                assert b"m=audio" in call.remote_sdp
                assert call.call.rseq_in == 1
            assert await call.wait_ended() == "BYE"
            await sipp_finished(process, tmp_path)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    row = last_stats(stats)
    assert int(row["SuccessfulCall(C)"]) == 1 and int(row["FailedCall(C)"]) == 0
