"""The fallback story with SIPp as the caller: SIPp's built-in ``uac_pcap`` scenario calls a
busy registered number through the sandbox core and plays ``g711a.pcap`` (A-law RTP); the TAS
answers, plays greeting and beep and records. The stored message holds the pcap's audio, the
core publishes NEW_VOICEMAIL and ``tas voicemail list`` shows the message."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from media.g711 import alaw_to_linear
from media.wav import read_wav
from registrations.model import Route
from tas.calls.records import Outcome
from tas.server import TasServer
from tests.integration.calls.calls_helpers import (
    SUBSCRIBER,
    best_correlation,
    register,
    running_server,
    settled,
    short_greetings,
    voice_events,
)
from tests.integration.calls.test_fallback_story import _cli_list

PCAP = Path("/usr/share/sip-tester/g711a.pcap")

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(not PCAP.is_file(), reason=f"{PCAP} is missing (Debian sip-tester)"),
]


def pcap_audio(path: Path) -> bytes:
    """The A-law RTP payloads of a libpcap file (Ethernet/IPv4/UDP), decoded to PCM16."""
    data = path.read_bytes()
    magic, _, _, _, _, _, link = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xA1B2C3D4 and link == 1, "expected a little-endian Ethernet capture"
    offset, payload = 24, bytearray()
    while offset + 16 <= len(data):
        _, _, captured, _ = struct.unpack("<IIII", data[offset : offset + 16])
        frame = data[offset + 16 : offset + 16 + captured]
        offset += 16 + captured
        ip = frame[14:]
        if len(ip) < 20 or ip[9] != 17:  # IPv4 carrying UDP
            continue
        rtp = ip[(ip[0] & 0x0F) * 4 + 8 :]
        if len(rtp) > 12 and rtp[1] & 0x7F == 8:  # PCMA
            payload += rtp[12 + (rtp[0] & 0x0F) * 4 :]
    return alaw_to_linear(bytes(payload))


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TasServer]:
    async for running in running_server(tmp_path / "data"):
        running.voicemail.settings.silence_timeout = 10.0  # SIPp hangs up first
        yield running


async def test_sipp_uac_pcap_leaves_its_audio_as_voicemail(
    sipp: str, server: TasServer, tmp_path: Path
) -> None:
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.FALLBACK)
    short_greetings(server, SUBSCRIBER)
    server.core.handsets.set(SUBSCRIBER, "busy")
    (tmp_path / "pcap").symlink_to(PCAP.parent)  # the scenario plays pcap/g711a.pcap
    host, port = server.core.address("UDP")
    process = await asyncio.create_subprocess_exec(
        "timeout", "-s", "KILL", "60", sipp, f"{host}:{port}", "-sn", "uac_pcap",
        "-s", SUBSCRIBER, "-m", "1", "-i", "127.0.0.1", "-p", "0", "-mp", "0", "-nostdin",
        "-timeout", "50s", "-trace_err", "-error_file", str(tmp_path / "errors.log"),
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    code = await process.wait()
    errors = tmp_path / "errors.log"
    assert code == 0, errors.read_text() if errors.exists() else f"sipp exit {code}"
    await settled(server)

    (message,) = await server.voicemail.list_messages(SUBSCRIBER)
    assert message.reason.value == "busy" and message.duration > 4.0
    sent = pcap_audio(PCAP)
    assert best_correlation(read_wav(message.path).pcm16(), sent) > 0.9
    (leg,) = server.app.journals
    assert leg.record.outcome == Outcome.VOICEMAIL_LEFT.value
    assert voice_events(server)[-1] == "NEW_VOICEMAIL"
    listed = await asyncio.to_thread(_cli_list, server)
    assert [m["voicemail_id"] for m in listed] == [message.voicemail_id]
