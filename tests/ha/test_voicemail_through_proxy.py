"""A voicemail left through the proxy on one replica is played by the other (issue #14): two
``tas serve`` replicas on one PostgreSQL with ``[voicemail] storage = "database"`` behind the
shipped Kamailio config; ``tas call`` (the harness, real RTP) calls a FALLBACK-registered
number through Kamailio, hears greeting and beep and speaks; the voicemail API of the replica
that did not take the call serves the very bytes the recording replica stored, and no audio
file exists in either data folder (the audio lives in the database)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import grpc
import grpc.aio
import pytest

from registrations.model import Registration, Route
from registrations.store import RegistrationStore
from registrations.wgtwo.common.v0 import phonenumber_pb2
from registrations.wgtwo.voicemail.v0 import voicemail_pb2, voicemail_pb2_grpc
from tas.store import Database
from tas.store.migrate import upgrade
from tests.ha.conftest import Replica, start_kamailio, start_replica
from tests.integration.calls.directory_helpers import postgres_database

pytestmark = [pytest.mark.interop, pytest.mark.postgres, pytest.mark.timeout(150)]

BOX = "+4712345678"
CALLER = "+4799999999"
TOKEN = "ha-voicemail-token"


async def _register_fallback(url: str) -> None:
    """The schema, then BOX's desired FALLBACK registration (calls for it go to voicemail)."""
    db = Database(url)
    try:
        await upgrade(db)
        reg = Registration(BOX, Route.FALLBACK, "sips:tas@tas.invalid", "", "")
        await RegistrationStore(db).set_desired(BOX, reg, time.time())
    finally:
        await db.close()


async def _api(replica: Replica) -> voicemail_pb2_grpc.VoicemailMediaServiceStub:
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{replica.voicemail_api}")
    return voicemail_pb2_grpc.VoicemailMediaServiceStub(channel)  # type: ignore[no-untyped-call]


AUTH = (("authorization", f"Bearer {TOKEN}"),)


async def _messages(replica: Replica) -> list[voicemail_pb2.VoicemailMetadata]:
    stub = await _api(replica)
    to = phonenumber_pb2.PhoneNumber(e164=BOX)
    reply = await stub.GetAllVoicemailMetadata(
        voicemail_pb2.GetAllVoicemailMetadataRequest(to=to), metadata=AUTH
    )
    return list(reply.metadata)


async def _wav(replica: Replica, voicemail_id: str) -> bytes:
    stub = await _api(replica)
    request = voicemail_pb2.GetVoicemailRequest(voicemail_id=voicemail_id)
    reply = await stub.GetVoicemail(request, metadata=AUTH)
    return bytes(reply.wav)


async def test_voicemail_left_through_kamailio_is_played_by_the_other_replica(
    kamailio_binary: str, tmp_path: Path
) -> None:
    async with postgres_database() as name:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
        await _register_fallback(url)
        extra = f'[database]\nurl = "{url}"\n'
        voicemail = f'storage = "database"\napi_tokens = ["{TOKEN}"]\n'
        a, b = await asyncio.gather(
            asyncio.to_thread(start_replica, tmp_path, "a", extra, voicemail),
            asyncio.to_thread(start_replica, tmp_path, "b", extra, voicemail),
        )
        kam = await asyncio.to_thread(start_kamailio, kamailio_binary, tmp_path, [a.port, b.port])
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith("TAS_")}
            env["TAS_DATA_DIR"] = str(tmp_path / "caller")
            call = await asyncio.to_thread(
                subprocess.run,
                [
                    "timeout", "-s", "KILL", "90", sys.executable, "-m", "tas", "call",
                    f"sip:{BOX}@127.0.0.1:{kam.port}", "--transport", "udp",
                    "--from", CALLER, "--local", "127.0.0.1", "--play", "speech",
                    "--expect", "answered", "--expect", "beep", "--expect", "voicemail",
                    "--voicemail-api", f"127.0.0.1:{a.voicemail_api}", "--token", TOKEN,
                ],
                capture_output=True, text=True, env=env, timeout=100,
            )  # fmt: skip
            assert call.returncode == 0, call.stdout + call.stderr
            listed = await _messages(a)
            assert len(listed) == 1, listed
            voicemail_id = listed[0].voicemail_id
            committed = f"event=voicemail_committed id={voicemail_id} "
            recorders = [r for r in (a, b) if committed in r.log.read_text()]
            assert len(recorders) == 1, "exactly one replica recorded the message"
            recorder = recorders[0]
            player = b if recorder is a else a
            print(f"\nHA voicemail through Kamailio: recorded on {recorder.log.parent.name}, "
                  f"played by {player.log.parent.name}")  # fmt: skip
            stored = await _wav(recorder, voicemail_id)
            played = await _wav(player, voicemail_id)
            assert played == stored
            assert len(played) > 8000 * 2, len(played)  # over a second of 8 kHz PCM16
            for folder in ("a", "b"):
                assert not list((tmp_path / folder / "data").rglob("*.wav")), folder
        finally:
            await asyncio.to_thread(kam.stop)
            for replica in (a, b):
                await asyncio.to_thread(replica.stop)
