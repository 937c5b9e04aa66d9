"""Why the call came and who may see the caller, end to end over real SIP (UDP caller ->
sandbox core -> TLS -> TAS) and RTP: a FALLBACK leg carrying only History-Info (RFC 7044)
gets the reason's greeting; a caller the core marks hidden (PAI + ``Privacy: id``) leaves a
voicemail whose number appears nowhere: not in the call record or timeline, the stored
message, the API's metadata, the NEW_VOICEMAIL notification or ``tas voicemail list``."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from media import tones
from registrations.model import Route
from registrations.wgtwo.events.v0 import events_pb2
from tas.calls.records import Outcome
from tas.demo import place_call
from tas.events.history import load_timelines
from tas.server import TasServer
from tas.voicemail import Reason
from tas.voicemail.api import metadata_of
from tas.voicemail.wavfile import pcm16_wav
from tests.integration.calls.calls_helpers import (
    BEEP_SECONDS,
    CALLER,
    GREETING_SECONDS,
    SUBSCRIBER,
    register,
    server_settings,
    settled,
    short_greetings,
)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TasServer]:
    settings = server_settings(tmp_path / "data")
    settings.events.enabled = True  # the core's events into our store: the timeline joins them
    running = TasServer(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop(grace=2.0)


async def _leave_message(server: TasServer) -> None:
    assert server.core is not None
    result = await place_call(
        server.engine,
        server.core.address("UDP"),
        CALLER,
        SUBSCRIBER,
        speak_after=GREETING_SECONDS + BEEP_SECONDS + 0.3,
        message=tones.tone([600.0], 1.5),
    )
    await settled(server)
    assert result.status == 200


async def test_fallback_with_only_history_info_gets_the_busy_greeting(server: TasServer) -> None:
    assert server.core is not None
    server.settings.sandbox.fallback_headers = ("history-info",)  # no Diversion at all
    await register(server, SUBSCRIBER, Route.FALLBACK)
    short_greetings(server, SUBSCRIBER)
    busy = pcm16_wav(tones.tone([900.0], GREETING_SECONDS))
    busy_path = server.voicemail.greetings.set_greeting(SUBSCRIBER, Reason.BUSY, busy)
    server.core.handsets.set(SUBSCRIBER, "busy")
    await _leave_message(server)
    (leg,) = server.app.journals
    (message,) = await server.voicemail.list_messages(SUBSCRIBER)
    assert (message.reason, message.mailbox) == (Reason.BUSY, SUBSCRIBER)
    greeting = [detail for kind, detail in leg.notes if kind == "greeting"]
    assert greeting == [f"busy: {busy_path.name}"]
    assert leg.record.outcome == Outcome.VOICEMAIL_LEFT.value


async def test_fallback_no_answer_by_history_info_falls_back_to_the_unavailable_greeting(
    server: TasServer,
) -> None:
    assert server.core is not None
    server.settings.sandbox.fallback_headers = ("history-info",)
    await register(server, SUBSCRIBER, Route.FALLBACK)
    wav = pcm16_wav(tones.tone([500.0], GREETING_SECONDS))
    greetings = server.voicemail.greetings
    unavailable = greetings.set_greeting(SUBSCRIBER, Reason.UNAVAILABLE, wav)
    greetings.set_greeting(SUBSCRIBER, Reason.DEFAULT, wav)
    server.core.handsets.set(SUBSCRIBER, "no-answer")
    await _leave_message(server)
    (leg,) = server.app.journals
    (message,) = await server.voicemail.list_messages(SUBSCRIBER)
    assert message.reason is Reason.NO_ANSWER  # History-Info cause=408 (RFC 4458)
    greeting = [detail for kind, detail in leg.notes if kind == "greeting"]
    assert greeting == [f"no-answer: {unavailable.name}"]


async def test_hidden_caller_leaves_no_number_anywhere(server: TasServer) -> None:
    assert server.core is not None and server.plane is not None
    server.settings.sandbox.hidden_callers = [CALLER]  # CLIR: PAI + Privacy: id to the TAS
    await register(server, SUBSCRIBER, Route.FALLBACK)
    short_greetings(server, SUBSCRIBER)
    server.core.handsets.set(SUBSCRIBER, "busy")
    started = datetime.now(UTC) - timedelta(seconds=5)
    await _leave_message(server)

    (leg,) = server.app.journals
    assert leg.record.caller == "anonymous" and leg.record.callee == SUBSCRIBER
    assert all(CALLER not in detail for _, detail in leg.notes)
    (message,) = await server.voicemail.list_messages(SUBSCRIBER)
    assert message.caller == "anonymous" and message.as_dict()["from"] == "anonymous"
    metadata = metadata_of(message)
    assert getattr(metadata, "from").e164 == "" and CALLER not in str(metadata)
    notifications = [
        stored.payload.voicemail_event
        for stored in server.plane.bus.history(server.plane.clock())
        if stored.payload.HasField("voicemail_event")
    ]
    assert [n.type for n in notifications] == [events_pb2.VoicemailEvent.NEW_VOICEMAIL]
    assert notifications[0].from_number.e164 == ""
    voice = [
        stored.payload.voice_event
        for stored in server.plane.bus.history(server.plane.clock())
        if stored.payload.HasField("voice_event")
    ]
    assert voice and all(v.caller_id_hidden for v in voice)  # the core's events agree

    async def joined() -> str:
        timelines = await load_timelines(server.db, since=started)
        return json.dumps([t.as_dict() for t in timelines])

    text = ""

    def has_core_events() -> bool:
        return '"source": "core"' in text and "NEW_VOICEMAIL" in text

    deadline = asyncio.get_running_loop().time() + 10
    while not has_core_events() and asyncio.get_running_loop().time() < deadline:
        text = await joined()
        await asyncio.sleep(0.1)
    assert has_core_events(), text
    assert CALLER not in text and '"caller": "anonymous"' in text

    for args in (["list", "--json"], ["show", message.voicemail_id], ["list"]):
        out = await asyncio.to_thread(_cli, server, ["voicemail", *args])
        assert message.voicemail_id[:8] in out and CALLER not in out
    exported = server.settings.data_dir / "export.wav"
    args = ["voicemail", "export", message.voicemail_id, "--out", str(exported)]
    assert str(exported) in await asyncio.to_thread(_cli, server, args)
    assert exported.stat().st_size > 1000 and CALLER.encode() not in exported.read_bytes()


def _cli(server: TasServer, args: list[str]) -> str:
    toml = server.settings.data_dir / "tas.toml"
    toml.write_text(f'data_dir = "{server.settings.data_dir}"\n')
    out = subprocess.run(
        ["timeout", "60", sys.executable, "-m", "tas", args[0], "--config", str(toml), *args[1:]],
        capture_output=True,
        check=True,
        timeout=70,
        text=True,
    )
    return out.stdout
