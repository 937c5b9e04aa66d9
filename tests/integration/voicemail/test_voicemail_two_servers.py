"""A voicemail recorded on replica A is played by replica B (issue #14, at the server level):
two in-process ``TasServer`` replicas on one PostgreSQL with ``[voicemail] storage =
"database"``, each with its own data folder. SIPp's ``uac_pcap`` calls a busy number through
A's embedded core and A records it; B's VoicemailMediaService (real gRPC) lists and returns the
same bytes, and its audio is the pcap's. Not through Kamailio (tests/ha/ owns that harness)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import grpc.aio
import pytest

from media import tones
from media.wav import read_wav
from registrations.model import Route
from registrations.wgtwo.common.v0 import phonenumber_pb2
from registrations.wgtwo.voicemail.v0 import voicemail_pb2, voicemail_pb2_grpc
from tas.server import TasServer
from tas.voicemail.greetings import GreetingKind
from tas.voicemail.wavfile import pcm16_wav
from tests.integration.calls.calls_helpers import (
    GREETING_SECONDS,
    SUBSCRIBER,
    best_correlation,
    register,
    server_settings,
    settled,
)
from tests.integration.calls.directory_helpers import postgres_database
from tests.interop.conftest import sipp  # noqa: F401 (fixture)
from tests.interop.test_fallback_story import PCAP, pcap_audio

pytestmark = [
    pytest.mark.interop,
    pytest.mark.postgres,
    pytest.mark.timeout(120),
    pytest.mark.skipif(not PCAP.is_file(), reason=f"{PCAP} is missing (Debian sip-tester)"),
]


async def _replica(folder: Path, url: str) -> TasServer:
    settings = server_settings(folder / "data")
    settings.database.url = url
    settings.voicemail.storage = "database"
    settings.voicemail.silence_timeout = 10.0  # SIPp hangs up first
    server = TasServer(settings)
    await server.start()
    return server


@pytest.fixture
async def replicas(tmp_path: Path) -> AsyncIterator[tuple[TasServer, TasServer]]:
    async with postgres_database() as name:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
        a = await _replica(tmp_path / "A", url)
        try:
            b = await _replica(tmp_path / "B", url)
            try:
                yield a, b
            finally:
                await b.stop(grace=2.0)
        finally:
            await a.stop(grace=2.0)


async def test_voicemail_left_on_a_is_played_through_b_api(
    sipp: str,  # noqa: F811
    replicas: tuple[TasServer, TasServer],
    tmp_path: Path,
) -> None:
    a, b = replicas
    assert a.core is not None
    await register(a, SUBSCRIBER, Route.FALLBACK)
    # storage = "database": greetings go into voicemail_greeting (files alone are a cache)
    wav = pcm16_wav(tones.tone([500.0], GREETING_SECONDS))
    for kind in GreetingKind:
        await a.voicemail.greeting_catalog.set_greeting(SUBSCRIBER, kind, wav)
    a.core.handsets.set(SUBSCRIBER, "busy")
    (tmp_path / "pcap").symlink_to(PCAP.parent)
    host, port = a.core.address("UDP")
    process = await asyncio.create_subprocess_exec(
        "timeout", "-s", "KILL", "60", sipp, f"{host}:{port}", "-sn", "uac_pcap",
        "-s", SUBSCRIBER, "-m", "1", "-i", "127.0.0.1", "-p", "0", "-mp", "0", "-nostdin",
        "-timeout", "50s", "-trace_err", "-error_file", str(tmp_path / "errors.log"),
        cwd=tmp_path, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await process.wait() == 0
    await settled(a)
    (message,) = await a.voicemail.list_messages(SUBSCRIBER)
    _, recorded = await a.voicemail.read_audio(message.voicemail_id)
    messages = a.voicemail.messages_dir
    assert not [p for p in messages.rglob("*") if p.is_file()]  # the audio is in the database

    token = b.settings.voicemail.api_tokens[0]
    auth = (("authorization", f"Bearer {token}"),)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{b.voicemail_api.port}") as channel:
        stub = voicemail_pb2_grpc.VoicemailMediaServiceStub(channel)  # type: ignore[no-untyped-call]
        listed = await stub.GetAllVoicemailMetadata(
            voicemail_pb2.GetAllVoicemailMetadataRequest(
                to=phonenumber_pb2.PhoneNumber(e164=SUBSCRIBER)
            ),
            metadata=auth,
        )
        fetched = await stub.GetVoicemail(
            voicemail_pb2.GetVoicemailRequest(voicemail_id=message.voicemail_id), metadata=auth
        )
    assert [m.voicemail_id for m in listed.metadata] == [message.voicemail_id]
    assert fetched.wav == recorded and len(recorded) == message.size
    print(f"\nrecorded on A ({len(recorded)} bytes, {message.duration:.1f} s), played by B")
    assert best_correlation(read_wav(fetched.wav).pcm16(), pcap_audio(PCAP)) > 0.9
