"""Media end to end through the sandbox core: the core relays SDP only, so RTP flows between
the caller and the answering handset (its tone) or the TAS, and re-INVITEs cross the bridge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from media.session import MediaEngine, MediaSession
from media.tones import dominant_frequency, tone
from media.wav import read_wav
from tas.sandbox.subscribers import TONE_HZ
from tas.sip.events import CallAnswered, ReInviteResult

from .sip_core_peers import Sandbox, eventually, sandbox

pytestmark = pytest.mark.timeout(60)

BOB = "+4799990000"


@pytest.fixture
async def engine() -> AsyncIterator[MediaEngine]:
    yield MediaEngine("127.0.0.1", 61500, 61999)


@pytest.fixture
async def box(tmp_path: Path, engine: MediaEngine) -> AsyncIterator[Sandbox]:
    async with sandbox(tmp_path, engine) as sb:
        yield sb


@pytest.mark.parametrize("route", [None, "fork", "fallback"])
async def test_caller_hears_the_handset_tone(
    box: Sandbox, engine: MediaEngine, tmp_path: Path, route: str | None
) -> None:
    if route is not None:
        box.register(BOB, route)
        box.tas.script.action = "ring"  # FORK: the handset must win; FALLBACK: never reached
    session, offer = await MediaSession.create_offer(engine)
    try:
        call = box.caller.call(BOB, body=offer.encode())
        answered = await box.caller.outcome(call)
        assert isinstance(answered, CallAnswered)
        session.apply_answer(answered.response.body)
        recording = session.record(tmp_path / "heard.wav", max_duration=0.6)
        result = await recording.wait()
        assert result.path is not None
        heard = read_wav(result.path).pcm16()
        assert abs(dominant_frequency(heard) - TONE_HZ) < 10
        assert session.stats.packets_received >= 20
    finally:
        await session.close()
    box.caller.act(lambda now: box.caller.stack.endpoint.bye(call, now))
    await box.ended()


async def test_reinvite_is_relayed_to_the_handset(box: Sandbox, engine: MediaEngine) -> None:
    session, offer = await MediaSession.create_offer(engine)
    try:
        call = box.caller.call(BOB, body=offer.encode())
        answered = await box.caller.outcome(call)
        assert isinstance(answered, CallAnswered)
        session.apply_answer(answered.response.body)
        hold = session.offer("sendonly")
        box.caller.act(lambda now: box.caller.stack.endpoint.reinvite(call, hold.encode(), now))
        result = await box.caller.wait_for(ReInviteResult, call)
        assert result.response.status == 200
        assert b"a=recvonly" in result.response.body  # the handset's answer to our hold
        session.apply_answer(result.response.body)
    finally:
        await session.close()
    box.caller.act(lambda now: box.caller.stack.endpoint.bye(call, now))
    await box.ended()
    await eventually(lambda: box.core.handsets.history[0].outcome == "ended")


async def test_echo_handset_sends_back_what_the_caller_says(
    box: Sandbox, engine: MediaEngine, tmp_path: Path
) -> None:
    box.core.handsets.set(BOB, "echo:0")
    session, offer = await MediaSession.create_offer(engine)
    try:
        call = box.caller.call(BOB, body=offer.encode())
        answered = await box.caller.outcome(call)
        assert isinstance(answered, CallAnswered)
        session.apply_answer(answered.response.body)
        recording = session.record(tmp_path / "echo.wav", max_duration=0.6)
        assert await session.play(tone([1000.0], 1.0))
        result = await recording.wait()
        assert result.path is not None
        assert abs(dominant_frequency(read_wav(result.path).pcm16()) - 1000.0) < 10
    finally:
        await session.close()
    box.caller.act(lambda now: box.caller.stack.endpoint.bye(call, now))
    await box.ended()
