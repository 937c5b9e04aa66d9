"""Mailbox by phone over real SIP (UDP caller -> sandbox core -> TLS -> TAS) and RTP: the
subscriber calls their own number, logs in with the PIN (RFC 4733 digits), hears the count and
a hidden caller announced as such, saves one message, deletes the other, records a busy
greeting by phone; the next busy FALLBACK caller hears that greeting. Three wrong PINs lock."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from media.session import MediaSession
from media.tones import speech_like
from media.wav import read_wav
from registrations.model import Route
from tas.server import TasServer
from tas.transport.stack import StackOptions
from tas.transport.ua import UserAgent
from tas.voicemail.menu_compose import PromptSet, count_sentence, envelope
from tas.voicemail.menu_prompts import Prompt
from tas.voicemail.pin_store import PinStore
from tas.voicemail.wavfile import pcm16_wav
from tests.integration.calls.calls_helpers import (
    CALLER,
    SUBSCRIBER,
    best_correlation,
    register,
    server_settings,
    settled,
)

pytestmark = pytest.mark.slow


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TasServer]:
    """``tas serve`` in-process without the event-loop lag guard: these calls last seconds,
    and a busy shared machine must not turn their INVITEs into 503s."""
    settings = server_settings(tmp_path / "data")
    settings.limits.lag_threshold = 0.0
    running = TasServer(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop(grace=2.0)


PIN = "4321"
PROMPTS = PromptSet.load(None)


def seconds_of(*pieces: Prompt) -> float:
    total = 0.0
    for piece in pieces:
        audio = read_wav(PROMPTS.path(piece))
        total += len(audio.pcm16()) / 2 / audio.rate
    return total


def heard(recorded: bytes, piece: Prompt) -> float:
    """How well ``piece`` (its shipped WAV) shows up in what the caller heard."""
    return best_correlation(recorded, read_wav(PROMPTS.path(piece)).pcm16())


class Caller:
    """A UDP UA calling through the sandbox core, recording what it hears."""

    def __init__(self, server: TasServer, tmp: Path, caller: str, callee: str) -> None:
        self.server, self.tmp, self.caller, self.callee = server, tmp, caller, callee

    async def __aenter__(self) -> Caller:
        assert self.server.core is not None
        self.ua = await UserAgent.open(
            StackOptions(udp=("127.0.0.1:0",), tcp=(), user=self.caller[1:])
        )
        self.session, offer = await MediaSession.create_offer(self.server.engine)
        host, port = self.server.core.address("UDP")
        self.call = self.ua.dial(
            f"sip:{self.callee}@{host}:{port}",
            sdp=offer.encode(),
            from_uri=f"sip:{self.caller}@127.0.0.1",
        )
        answer = await asyncio.wait_for(self.call.answered, 10.0)
        self.session.apply_answer(answer.body)
        self.heard_path = self.tmp / f"heard-{id(self)}.wav"
        self.recording = self.session.record(self.heard_path, max_duration=120.0)
        return self

    async def keys(self, digits: str, pause: float = 0.3) -> None:
        for digit in digits:
            await self.session.send_dtmf(digit)
            await asyncio.sleep(pause)

    async def ended(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.call.wait_ended(), seconds)
        except TimeoutError:
            return False
        return True

    async def __aexit__(self, *exc: object) -> None:
        if self.call.call.state == "confirmed":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.call.hangup(), 5.0)
        self.recording.stop()
        result = await self.recording.wait()
        self.heard = read_wav(result.path).pcm16() if result.path else b""
        await self.session.close()
        await self.ua.close()


async def _mailbox(server: TasServer) -> PinStore:
    await register(server, SUBSCRIBER, Route.LOOP)
    server.voicemail.settings.pin_required = True  # the sandbox asserts every caller's number
    pins = PinStore(server.voicemail.db)
    await pins.set_pin(SUBSCRIBER, PIN)
    return pins


async def test_login_listen_save_delete_and_record_a_busy_greeting(
    server: TasServer, tmp_path: Path
) -> None:
    await _mailbox(server)
    now = datetime.now(UTC)
    said = speech_like(1.5)
    message = pcm16_wav(said)
    hidden = await server.voicemail.deposit(
        SUBSCRIBER, "anonymous", message, now=now - timedelta(minutes=2)
    )
    known = await server.voicemail.deposit(
        SUBSCRIBER, CALLER, message, now=now - timedelta(minutes=1)
    )
    greeting = speech_like(2.0)

    async with Caller(server, tmp_path, SUBSCRIBER, SUBSCRIBER) as call:
        await asyncio.sleep(0.5)
        await call.keys(PIN + "#")
        # the count, the hidden caller's envelope and the message itself, then save it
        said_first = (*count_sentence(2, 0), *envelope("", hidden.created, now, UTC))
        # (then the message menu: keys are taken during it and its replays, so wait long)
        await asyncio.sleep(2.0 + seconds_of(*said_first) + 1.5 + 3.0)
        await call.keys("2")  # save the oldest (hidden caller's) message
        await asyncio.sleep(1.0)
        await call.keys("7")  # delete the next one
        await asyncio.sleep(1.0)
        await call.keys("0")  # options (barges into "no more messages")
        await asyncio.sleep(0.5)
        await call.keys("1")  # record the busy greeting
        await asyncio.sleep(seconds_of(Prompt.RECORD_GREETING) + 0.4 + 0.6)
        await call.session.play(greeting)
        await asyncio.sleep(0.3)
        await call.keys("#")
        await asyncio.sleep(0.5)
        await call.keys("3")  # save it
        await asyncio.sleep(seconds_of(Prompt.GREETING_SAVED) + 0.5)
    await settled(server)

    assert heard(call.heard, Prompt.YOU_HAVE) >= 0.9
    assert heard(call.heard, Prompt.HIDDEN_NUMBER) >= 0.9
    assert best_correlation(call.heard, said) >= 0.9  # the message was played
    stored = await server.voicemail.list_messages(SUBSCRIBER)
    assert [(m.voicemail_id, m.played) for m in stored] == [(hidden.voicemail_id, True)]
    assert known.voicemail_id not in {m.voicemail_id for m in stored}
    kinds = server.app.journals[-1].kinds
    assert "mailbox-login" in kinds and "mailbox-greeting-set" in kinds

    # the next caller finds the subscriber busy and hears the greeting recorded by phone
    await register(server, SUBSCRIBER, Route.FALLBACK)
    assert server.core is not None
    server.core.handsets.set(SUBSCRIBER, "busy")
    async with Caller(server, tmp_path, CALLER, SUBSCRIBER) as busy:
        await asyncio.sleep(4.5)
    recorded_by_phone = read_wav(
        server.voicemail.greetings.greeting_for(SUBSCRIBER, "busy")
    ).pcm16()
    assert best_correlation(recorded_by_phone, greeting) >= 0.9
    assert best_correlation(busy.heard, recorded_by_phone) >= 0.9


async def test_three_wrong_pins_lock_the_mailbox(server: TasServer, tmp_path: Path) -> None:
    pins = await _mailbox(server)
    async with Caller(server, tmp_path, SUBSCRIBER, SUBSCRIBER) as call:
        for wrong in ("1111#", "2222#", "3333#"):
            await asyncio.sleep(0.5)
            await call.keys(wrong)
            await asyncio.sleep(1.0)
        assert await call.ended(10.0 + seconds_of(Prompt.LOCKED))
    await settled(server)
    assert await pins.locked_until(SUBSCRIBER) is not None
    assert "mailbox-locked" in server.app.journals[-1].kinds

    async with Caller(server, tmp_path, SUBSCRIBER, SUBSCRIBER) as again:  # the right PIN
        await asyncio.sleep(0.5)
        await again.keys(PIN + "#")
        assert await again.ended(10.0 + seconds_of(Prompt.LOCKED))
    await settled(server)
    kinds = server.app.journals[-1].kinds
    assert "mailbox-locked" in kinds and "mailbox-login" not in kinds
    assert heard(again.heard, Prompt.LOCKED) >= 0.9


async def test_own_number_with_asserted_identity_skips_the_pin(
    server: TasServer, tmp_path: Path
) -> None:
    await register(server, SUBSCRIBER, Route.LOOP)
    async with Caller(server, tmp_path, SUBSCRIBER, SUBSCRIBER):
        await asyncio.sleep(1.0)
    await settled(server)
    kinds = server.app.journals[-1].kinds
    assert "mailbox-trusted-login" in kinds


async def test_access_number_reaches_the_callers_mailbox(server: TasServer, tmp_path: Path) -> None:
    access = "+4799990100"
    await _mailbox(server)
    server.voicemail.settings.access_numbers = [access]
    async with Caller(server, tmp_path, SUBSCRIBER, access) as call:
        await asyncio.sleep(0.5)
        await call.keys(PIN + "#")
        await asyncio.sleep(2.0 + seconds_of(Prompt.YOU_HAVE, Prompt.NO))
    await settled(server)
    (leg,) = server.app.journals
    assert leg.record.callee == access and "mailbox-login" in leg.kinds
    assert heard(call.heard, Prompt.YOU_HAVE) >= 0.9


def _tas_call(server: TasServer, heard: Path) -> subprocess.CompletedProcess[str]:
    """``tas call`` (the harness CLI) logging in with RFC 4733 digits, recording what it hears."""
    assert server.core is not None
    host, port = server.core.address("UDP")
    return subprocess.run(
        ["timeout", "60", sys.executable, "-m", "tas", "call", SUBSCRIBER,
         "--core", f"{host}:{port}", "--from", SUBSCRIBER, "--play", "silence",
         "--dtmf", f"{PIN}#@1s", "--duration", "7s", "--record", str(heard),
         "--rtp-ports", "23000-23998", "--expect", "answered"],
        capture_output=True, text=True, timeout=70,
    )  # fmt: skip


async def test_tas_call_with_dtmf_logs_in(server: TasServer, tmp_path: Path) -> None:
    await _mailbox(server)
    heard_path = tmp_path / "heard.wav"
    done = await asyncio.to_thread(_tas_call, server, heard_path)
    assert done.returncode == 0, done.stderr
    await settled(server)
    (leg,) = server.app.journals
    assert "mailbox-login" in leg.kinds
    heard_audio = read_wav(heard_path).pcm16()
    assert heard(heard_audio, Prompt.YOU_HAVE) >= 0.9
