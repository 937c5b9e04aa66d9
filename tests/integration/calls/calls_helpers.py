"""Shared pieces of the end-to-end call tests: an in-process ``tas serve`` (TasServer) with the
embedded sandbox core on free loopback ports, short greetings, and the core's VOICE events."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np

from media import tones
from registrations.model import Registration, Route
from registrations.wgtwo.events.v0 import events_pb2
from tas.calls.journal import CallJournal
from tas.config import Settings
from tas.demo import CallerResult, ephemeral, place_call
from tas.server import TasServer
from tas.voicemail import Reason
from tas.voicemail.wavfile import pcm16_wav

SUBSCRIBER = "+4799990001"
CALLER = "+4799990002"
OTHER = "+4799990003"
GREETING_SECONDS = 0.4
BEEP_SECONDS = 0.4


def media_ports() -> tuple[int, int]:
    """A random 1000-port RTP range below the default one (and the ephemeral ports): other
    processes here (load tests) use 20000+; symmetric RTP would latch onto their packets."""
    low = random.randrange(10000, 19000, 2)
    return low, low + 998


def server_settings(data_dir: Path) -> Settings:
    settings = ephemeral(Settings(data_dir=data_dir))  # also a random RTP window
    settings.sandbox.answer_delay = 0.2
    settings.sandbox.no_answer_timeout = 2.0
    settings.voicemail.silence_timeout = 3.0
    settings.voicemail.min_seconds = 1.0
    settings.events.enabled = False  # the tests read the core's events from its bus
    return settings


async def running_server(data_dir: Path, *, lag_guard: bool = True) -> AsyncIterator[TasServer]:
    """``tas serve`` in-process; ``lag_guard=False`` turns the event-loop lag guard off (calls
    of many seconds on a busy shared machine must not get 503)."""
    settings = server_settings(data_dir)
    if not lag_guard:
        settings.limits.lag_threshold = 0.0
    server = TasServer(settings)
    await server.start()
    try:
        yield server
    finally:
        await server.stop(grace=2.0)


def short_greetings(server: TasServer, number: str) -> None:
    """A 0.4 s tone as the number's greeting for every reason (keeps the tests fast)."""
    wav = pcm16_wav(tones.tone([500.0], GREETING_SECONDS))
    for reason in Reason:
        server.voicemail.greetings.set_greeting(number, reason, wav)


async def register(
    server: TasServer, number: str, route: Route, mo: str = "", mt: str = ""
) -> Registration:
    """Upsert through the sandbox's SipBreakout gRPC API with our sips: URI."""
    from registrations.client import SipBreakoutClient, Target

    assert server.sips_uri is not None and server.plane is not None
    reg = Registration(number, route, server.sips_uri, mo, mt)
    target = Target(server.plane.address, tls=False, authenticated=False)
    async with SipBreakoutClient(target) as client:
        await client.upsert(reg)
    return reg


def voice_events(server: TasServer, call_id: str | None = None) -> list[str]:
    """VOICE_EVENT / VOICEMAIL_EVENT type names the core published, in order."""
    plane = server.plane
    assert plane is not None
    names = []
    for stored in plane.bus.history(plane.clock()):
        event: events_pb2.Event = stored.payload
        if event.HasField("voice_event"):
            if call_id is None or event.voice_event.call_id == call_id:
                names.append(events_pb2.VoiceEvent.VoiceEventType.Name(event.voice_event.type))
        elif event.HasField("voicemail_event"):
            names.append("NEW_VOICEMAIL")
    return names


async def eventually(check: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def tas_legs(server: TasServer) -> list[CallJournal]:
    return list(server.app.journals)


async def call_subscriber(server: TasServer, hangup_after: float) -> CallerResult:
    """CALLER calls SUBSCRIBER through the sandbox core (UDP), says a short tone 0.2 s after
    the answer and hangs up ``hangup_after`` s after it (if the call gets that far)."""
    assert server.core is not None
    return await place_call(
        server.engine,
        server.core.address("UDP"),
        CALLER,
        SUBSCRIBER,
        speak_after=0.2,
        message=tones.tone([700.0], 0.3),
        hangup_after=hangup_after,
    )


async def settled(server: TasServer, seconds: float = 5.0) -> None:
    """Wait until the call application has finished every leg (journals written)."""
    await asyncio.wait_for(server.app.idle.wait(), seconds)


def best_correlation(recorded: bytes, sent: bytes) -> float:
    """Peak normalised cross-correlation of two PCM16 signals (1.0: identical up to a shift)."""
    a = np.frombuffer(recorded, "<i2").astype(np.float64)
    b = np.frombuffer(sent, "<i2").astype(np.float64)
    n = len(a) + len(b)
    size = 1 << (n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size)), size)
    lag = int(np.argmax(corr))
    shift = lag if lag < size // 2 else lag - size
    if shift >= 0:
        seg_a, seg_b = a[shift : shift + len(b)], b[: len(a) - shift]
    else:
        seg_a, seg_b = a[: len(b) + shift], b[-shift : -shift + len(a)]
    m = min(len(seg_a), len(seg_b))
    seg_a, seg_b = seg_a[:m], seg_b[:m]
    denom = float(np.sqrt(np.dot(seg_a, seg_a) * np.dot(seg_b, seg_b)))
    return float(np.dot(seg_a, seg_b)) / denom if denom else 0.0


def pieces_heard(heard: bytes, sent: bytes, seconds: float) -> list[float]:
    """:func:`best_correlation` of each ``seconds``-long piece of ``sent`` with ``heard``.
    These tests run the TAS, the core and the phones on one event loop: a stall of that loop
    under load makes the receiving recorder fill a wall-clock gap with silence (a hold, for
    the recorder), which splits a signal in two; pieces that do not straddle it stay intact."""
    size = int(seconds * 8000) * 2
    pieces = [sent[i : i + size] for i in range(0, len(sent) - size + 1, size)]
    return [best_correlation(heard, piece) for piece in pieces]


def all_but_one_heard(heard: bytes, sent: bytes, seconds: float = 0.5) -> bool:
    """Every piece of ``sent`` found in ``heard`` (correlation ≥ 0.9) but at most one, the one
    a single stall may split (:func:`pieces_heard`)."""
    scores = sorted(pieces_heard(heard, sent, seconds))
    return len(scores) >= 2 and scores[1] >= 0.9
