"""SIPp plays g711a.pcap and dtmf_2833_1.pcap into a call answered by the media engine.

A minimal SIP answerer (enough for one INVITE/ACK/BYE over UDP, not the real SIP stack)
hands the INVITE's SDP to :meth:`MediaSession.create` and records the call.
"""

import asyncio
import shutil
import socket
import struct
from pathlib import Path
from typing import cast

import pytest

from media.codecs import PCMA
from media.dtmf import DtmfDigit
from media.recording import Recording
from media.rtp import RtpPacket
from media.session import MediaEngine, MediaSession
from media.wav import read_wav
from tests.naive_sip import header_map, ok_response

PCAPS = Path("/usr/share/sip-tester")
SCENARIO = Path(__file__).parent / "scenarios" / "media_uac_pcap.xml"
DTMF_SCENARIO = Path(__file__).parent / "scenarios" / "media_uac_dtmf.xml"

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("sipp") is None, reason="SIPp (sip-tester) not installed"),
    pytest.mark.skipif(not (PCAPS / "g711a.pcap").exists(), reason="SIPp pcaps not installed"),
]


def pcap_rtp(path: Path) -> list[RtpPacket]:
    """RTP packets of a libpcap file (Ethernet or Linux cooked capture, IPv4/UDP)."""
    data = path.read_bytes()
    (link,) = struct.unpack_from("<I", data, 20)
    link_header = {1: 14, 113: 16}[link]
    packets = []
    pos = 24
    while pos + 16 <= len(data):
        (length,) = struct.unpack_from("<I", data, pos + 8)
        frame = data[pos + 16 : pos + 16 + length]
        pos += 16 + length
        ip = frame[link_header:]
        udp = ip[(ip[0] & 0x0F) * 4 :]
        packets.append(RtpPacket.parse(udp[8:]))
    return packets


def free_port(kind: int = socket.SOCK_DGRAM, even_pair: bool = False) -> int:
    while True:
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if not even_pair:
            return port
        if port % 2 == 0:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                try:
                    s.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
            return port


class Answerer(asyncio.DatagramProtocol):
    """Just enough UAS for SIPp's INVITE, ACK and BYE."""

    def __init__(self, engine: MediaEngine, record_to: Path) -> None:
        self.engine = engine
        self.record_to = record_to
        self.session: MediaSession | None = None
        self.recording: Recording | None = None
        self.digits: list[DtmfDigit] = []
        self.finished = asyncio.get_running_loop().create_future()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        message = data.decode()
        method = message.split(" ", 1)[0]
        if method == "INVITE" and self.session is None:
            asyncio.get_running_loop().create_task(self.invite(message, addr))
        elif method == "BYE":
            self.respond(message, addr, "")
            asyncio.get_running_loop().create_task(self.hangup())

    async def invite(self, message: str, addr: tuple[str, int]) -> None:
        offer = message.split("\r\n\r\n", 1)[1]
        self.session, answer = await MediaSession.create(self.engine, offer)
        self.session.on_dtmf = self.digits.append
        self.recording = self.session.record(self.record_to)
        self.respond(message, addr, answer)

    async def hangup(self) -> None:
        if self.session is not None:
            await self.session.close()
        if not self.finished.done():
            self.finished.set_result(None)

    def respond(self, request: str, addr: tuple[str, int], sdp: str) -> None:
        h = header_map(request)
        assert self.transport is not None
        self.transport.sendto(ok_response(h, sdp, tag="tas1", contact="<sip:tas@127.0.0.1>"), addr)


async def run_sipp(scenario: Path, record_to: Path, ports: tuple[int, int]) -> Answerer:
    """Run one SIPp call of ``scenario`` against the answerer; returns it after the BYE."""
    loop = asyncio.get_running_loop()
    engine = MediaEngine("127.0.0.1", *ports)
    transport, answerer = await loop.create_datagram_endpoint(
        lambda: Answerer(engine, record_to), local_addr=("127.0.0.1", 0)
    )
    sip_port = transport.get_extra_info("sockname")[1]
    process = await asyncio.create_subprocess_exec(
        "timeout", "40", "sipp", "-sf", str(scenario), "-m", "1", "-i", "127.0.0.1",
        "-p", str(free_port()), "-mp", str(free_port(even_pair=True)), "-nostdin",
        "-timeout", "35s", "-timeout_error", f"127.0.0.1:{sip_port}",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, cwd=record_to.parent,
    )  # fmt: skip
    try:
        await asyncio.wait_for(answerer.finished, 45)
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
    finally:
        transport.close()
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, stderr.decode(errors="replace")[-2000:]
    assert answerer.recording is not None and answerer.session is not None
    return answerer


async def test_sipp_pcap_audio_is_recorded_and_digit_detected_once(tmp_path: Path) -> None:
    target = tmp_path / "sipp.wav"
    answerer = await run_sipp(SCENARIO, target, (32000, 32099))
    assert answerer.recording is not None and answerer.session is not None
    result = await answerer.recording.wait()
    assert result.path == target

    sent = pcap_rtp(PCAPS / "g711a.pcap")
    expected_pcm = PCMA.decode(b"".join(p.payload for p in sent))
    frame = len(sent[0].payload) / 8000
    audio = read_wav(target)
    # the pcap sample for sample, then the rest of the call (DTMF, pause: 7.4 + ~0.7 s of
    # scenario) as silence: the recording keeps wall-clock time (issue 11)
    assert audio.data[: len(expected_pcm)] == expected_pcm
    assert not any(audio.data[len(expected_pcm) :])
    assert 7.4 - frame <= audio.duration <= 7.4 + 1.5, audio.duration

    assert [d.digit for d in answerer.digits] == ["1"]
    stats = answerer.session.stats
    assert stats.lost == 0 and stats.invalid == 0
    assert stats.packets_received == len(sent) + len(pcap_rtp(PCAPS / "dtmf_2833_1.pcap"))


async def test_sipp_spliced_digit_captures_each_reported_once(tmp_path: Path) -> None:
    answerer = await run_sipp(DTMF_SCENARIO, tmp_path / "digits.wav", (32100, 32199))
    assert [d.digit for d in answerer.digits] == ["#", "1", "0"]
    assert all(d.duration == pytest.approx(0.28) for d in answerer.digits)
