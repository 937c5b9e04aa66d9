"""The full fallback story over real SIP (UDP caller -> sandbox core -> TLS -> TAS) and RTP:
a busy registered number; the TAS plays greeting and beep and records; the stored audio is
what the caller said; NEW_VOICEMAIL is published; ``tas voicemail list`` shows the message."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

from media.tones import speech_like
from media.wav import read_wav
from registrations.model import Route
from tas.calls.records import Outcome
from tas.demo import place_call
from tas.server import TasServer
from tests.integration.calls.calls_helpers import (
    BEEP_SECONDS,
    CALLER,
    GREETING_SECONDS,
    SUBSCRIBER,
    best_correlation,
    register,
    settled,
    short_greetings,
    voice_events,
)


async def test_busy_number_gets_voicemail_with_the_callers_audio(server: TasServer) -> None:
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.FALLBACK)
    short_greetings(server, SUBSCRIBER)
    server.core.handsets.set(SUBSCRIBER, "busy")
    spoken = speech_like(2.0)

    result = await place_call(
        server.engine,
        server.core.address("UDP"),
        CALLER,
        SUBSCRIBER,
        speak_after=GREETING_SECONDS + BEEP_SECONDS + 0.4,
        message=spoken,
    )
    await settled(server)

    assert result.status == 200 and result.spoke == spoken
    messages = await server.voicemail.list_messages(SUBSCRIBER)
    assert len(messages) == 1
    message = messages[0]
    assert (message.caller, message.mailbox, message.reason.value) == (CALLER, SUBSCRIBER, "busy")
    assert 1.9 <= message.duration <= 4.0
    recorded = read_wav(message.path).pcm16()
    assert best_correlation(recorded, spoken) > 0.9  # G.711 round trip of the same samples

    leg = server.app.journals[-1]
    assert leg.kinds[:3] == ["invite", "ringing", "answered"]
    for kind in ("greeting", "beep", "recording-started", "bye", "recording-committed"):
        assert kind in leg.kinds
    assert leg.record.outcome == Outcome.VOICEMAIL_LEFT.value
    assert leg.record.voicemail_id == message.voicemail_id
    events = voice_events(server)
    for kind in ("CALL_INITIATED", "CALL_FWD_VOICEMAIL", "CALL_ANSWERED", "CALL_ENDED"):
        assert kind in events
    assert events[-1] == "NEW_VOICEMAIL"

    listed = await asyncio.to_thread(_cli_list, server)
    assert [m["voicemail_id"] for m in listed] == [message.voicemail_id]
    assert listed[0]["from"] == CALLER


def _cli_list(server: TasServer) -> list[dict[str, object]]:
    toml = server.settings.data_dir / "tas.toml"
    toml.write_text(f'data_dir = "{server.settings.data_dir}"\n')
    out = subprocess.run(
        ["timeout", "60", sys.executable, "-m", "tas", "voicemail", "--config", str(toml)]
        + ["list", "--json"],
        capture_output=True,
        check=True,
        timeout=70,
    )
    listed: list[dict[str, object]] = json.loads(out.stdout)
    return listed
