"""SIPp plays the operator core against an in-process ``tas serve`` with ``early_media`` policies
(issue 13 item 4): 183 Session Progress with an SDP answer, the audio's RTP at the offer's
address while the call is never answered, then 480. An ``answer`` policy plays its
announcement; a ``voicemail`` policy for a leg that names no mailbox plays "cannot take your
message". UDP and TCP."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from registrations.model import Route
from tas.calls.announce import default_announcement
from tas.calls.policy import Action, Policy
from tas.calls.records import Outcome
from tas.server import TasServer
from tas.voicemail.limits import PROMPTS, Refusal
from tests.integration.calls.calls_helpers import SUBSCRIBER, register, settled
from tests.interop.conftest import free_port, run_sipp

pytestmark = [pytest.mark.interop, pytest.mark.timeout(120)]

SCENARIO = Path(__file__).parent / "scenarios" / "uac_early_media.xml"
CHIME_PACKETS = len(default_announcement()) // 320  # 20 ms of 8 kHz PCM16 per packet
PROMPT = PROMPTS[Refusal.NO_MAILBOX]
PROMPT_PACKETS = (PROMPT.stat().st_size - 44) // 320


class RtpCount(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.arrivals: list[float] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) >= 12 and data[0] >> 6 == 2 and data[1] & 0x7F == 0:  # PCMU RTP
            self.arrivals.append(time.monotonic())


async def _run(
    sipp: str, server: TasServer, tmp_path: Path, transport: str, number: str
) -> list[float]:
    """SIPp's call; the RTP arrival times at the offer's address."""
    loop = asyncio.get_running_loop()
    rtp, counter = await loop.create_datagram_endpoint(RtpCount, local_addr=("127.0.0.1", 0))
    try:
        host, port = server.stack.local["UDP" if transport == "u1" else "TCP"]
        args = [
            f"{host}:{port}", "-sf", str(SCENARIO), "-t", transport, "-m", "1",
            "-i", "127.0.0.1", "-p", str(free_port()), "-timeout", "30", "-timeout_error",
            "-key", "number", number, "-key", "rtp_port", str(rtp.get_extra_info("sockname")[1]),
        ]  # fmt: skip
        code, stats, errors = await asyncio.to_thread(run_sipp, sipp, tmp_path, args, seconds=40)
        assert code == 0, f"sipp exit {code}: {errors[-3000:]}"
        assert int(stats["SuccessfulCall(C)"]) == 1 and int(stats["FailedCall(C)"]) == 0
        await settled(server, 10.0)
    finally:
        rtp.close()
    return counter.arrivals


@pytest.mark.parametrize("transport", ["u1", "t1"], ids=["udp", "tcp"])
async def test_announcement_in_183_never_answered(
    sipp: str, server: TasServer, tmp_path: Path, transport: str
) -> None:
    await register(server, SUBSCRIBER, Route.LOOP)
    await server.app.policies.put(Policy(SUBSCRIBER, Action.ANSWER, status=480, early_media=True))
    arrivals = await _run(sipp, server, tmp_path, transport, SUBSCRIBER)
    (leg,) = server.app.journals
    assert "early-media" in leg.kinds and "answered" not in leg.kinds
    assert leg.record.outcome == Outcome.REJECTED.value and leg.record.status == 480
    assert len(arrivals) >= CHIME_PACKETS - 2  # the whole announcement, before the 480


@pytest.mark.parametrize("transport", ["u1", "t1"], ids=["udp", "tcp"])
async def test_no_mailbox_prompt_in_183(
    sipp: str, server: TasServer, tmp_path: Path, transport: str
) -> None:
    await server.app.policies.put(Policy("*", Action.VOICEMAIL, early_media=True))
    arrivals = await _run(sipp, server, tmp_path, transport, "voicemail")  # no number
    (leg,) = server.app.journals
    assert leg.record.route == "direct" and "answered" not in leg.kinds
    assert ("prompt-played", PROMPT.name) in leg.notes and "no-mailbox" in leg.kinds
    assert leg.record.outcome == Outcome.REJECTED.value and leg.record.status == 480
    assert len(arrivals) >= PROMPT_PACKETS - 2
