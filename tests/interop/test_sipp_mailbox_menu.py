"""The mailbox session by phone with SIPp as the subscriber's phone (issue #15, the SIPp
variant of tests/integration/calls/test_mailbox_by_phone.py): SIPp calls its own number
through the sandbox core, logs in with the PIN sent as RFC 4733 events (sip-tester's
dtmf_2833_*.pcap), saves one message, deletes the other, records a busy greeting (g711a.pcap)
and saves it (scenarios/uac_mailbox_menu.xml); the next busy caller hears that greeting. SIPp
does not analyse what it hears, so the count and prompts are checked by the harness-UA variant;
here the TAS's records, the store and the greeting's audio (correlation with the pcap SIPp
played, and with what the busy caller heard) show the session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from media.codecs import PCMA
from media.tones import speech_like
from media.wav import read_wav
from registrations.model import Route
from tas.server import TasServer
from tas.voicemail.pin_store import PinStore
from tas.voicemail.wavfile import pcm16_wav
from tests.integration.calls.calls_helpers import (
    CALLER,
    SUBSCRIBER,
    all_but_one_heard,
    register,
    running_server,
    settled,
)
from tests.integration.calls.test_mailbox_by_phone import Caller
from tests.interop.conftest import free_port, run_sipp
from tests.interop.test_media_sipp import pcap_rtp

PCAPS = Path("/usr/share/sip-tester")
SCENARIO = Path(__file__).parent / "scenarios" / "uac_mailbox_menu.xml"
PIN = "4568"  # the digits the scenario plays (see there why these)

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,
    pytest.mark.timeout(150),
    pytest.mark.skipif(
        not (PCAPS / "dtmf_2833_pound.pcap").is_file(), reason="no sip-tester pcaps"
    ),
]


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TasServer]:
    async for running in running_server(tmp_path / "data", lag_guard=False):
        yield running


async def test_sipp_logs_in_saves_deletes_and_records_a_busy_greeting(
    sipp: str, server: TasServer, tmp_path: Path
) -> None:
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.LOOP)
    server.voicemail.settings.pin_required = True
    await PinStore(server.voicemail.db).set_pin(SUBSCRIBER, PIN)
    now = datetime.now(UTC)
    message = pcm16_wav(speech_like(1.5))
    hidden = await server.voicemail.deposit(
        SUBSCRIBER, "anonymous", message, now=now - timedelta(minutes=2)
    )
    known = await server.voicemail.deposit(
        SUBSCRIBER, CALLER, message, now=now - timedelta(minutes=1)
    )

    host, port = server.core.address("UDP")
    args = [
        f"{host}:{port}", "-sf", str(SCENARIO), "-t", "u1", "-m", "1", "-i", "127.0.0.1",
        "-p", str(free_port()), "-mp", str(free_port()), "-timeout", "90", "-timeout_error",
        "-key", "number", SUBSCRIBER,
    ]  # fmt: skip
    code, stats, errors = await asyncio.to_thread(run_sipp, sipp, tmp_path, args, seconds=120)
    assert code == 0, f"sipp exit {code}: {errors[-3000:]}"
    assert int(stats["SuccessfulCall(C)"]) == 1
    await settled(server, 15.0)

    (leg,) = [j for j in server.app.journals if j.record.action == "mailbox"]
    for kind in ("mailbox-login", "mailbox-saved", "mailbox-deleted", "mailbox-greeting-set"):
        assert kind in leg.kinds, leg.kinds
    assert "mailbox-wrong-pin" not in leg.kinds
    stored = await server.voicemail.list_messages(SUBSCRIBER)
    assert [(m.voicemail_id, m.played) for m in stored] == [(hidden.voicemail_id, True)]
    assert known.voicemail_id not in {m.voicemail_id for m in stored}

    played = b"".join(PCMA.decode(p.payload) for p in pcap_rtp(PCAPS / "g711a.pcap"))
    greeting = read_wav(server.voicemail.greetings.greeting_for(SUBSCRIBER, "busy")).pcm16()
    assert len(greeting) >= 2 * 8000 * 3  # most of the 7 s SIPp played after the beep
    assert all_but_one_heard(played, greeting, 2.0)

    # the next caller finds the subscriber busy and hears the greeting SIPp recorded
    await register(server, SUBSCRIBER, Route.FALLBACK)
    server.core.handsets.set(SUBSCRIBER, "busy")
    async with Caller(server, tmp_path, CALLER, SUBSCRIBER) as busy:
        await asyncio.sleep(len(greeting) / 16000 + 1.5)
    assert all_but_one_heard(busy.heard, greeting, 2.0)
