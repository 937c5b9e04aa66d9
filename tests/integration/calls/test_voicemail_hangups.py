"""The caller leaves at every moment of the voicemail flow; each ends in a defined state and
nothing half-written is ever listed (no row, no file left in the mailbox directory)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from media import tones
from registrations.model import Route
from tas.calls.records import Outcome
from tas.demo import CallerResult, place_call
from tas.server import TasServer
from tests.integration.calls.calls_helpers import (
    CALLER,
    SUBSCRIBER,
    eventually,
    register,
    settled,
    short_greetings,
    voice_events,
)


async def _busy_call(
    server: TasServer,
    *,
    hang_up_at: str | None = None,
    after: float = 0.0,
    cancel_after: float | None = None,
    message_seconds: float = 3.0,
) -> CallerResult:
    """Call the busy subscriber; hang up ``after`` s once the TAS noted ``hang_up_at``."""
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.FALLBACK)
    short_greetings(server, SUBSCRIBER)
    server.core.handsets.set(SUBSCRIBER, "busy")
    hangup = asyncio.Event()

    def noted() -> bool:
        return bool(server.app.journals) and hang_up_at in server.app.journals[-1].kinds

    async def watch() -> None:
        await eventually(noted, 20.0)
        await asyncio.sleep(after)
        hangup.set()

    watcher = asyncio.ensure_future(watch()) if hang_up_at else None
    try:
        result = await place_call(
            server.engine,
            server.core.address("UDP"),
            CALLER,
            SUBSCRIBER,
            speak_after=0.0,
            message=tones.tone([600.0], message_seconds),
            hangup=hangup,
            cancel_after=cancel_after,
        )
    finally:
        if watcher is not None:
            watcher.cancel()
    await settled(server)
    return result


def _files(server: TasServer) -> list[Path]:
    root = server.voicemail.messages_dir
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def _nothing_left(server: TasServer, reason: str) -> None:
    (leg,) = server.app.journals
    assert leg.record.outcome == Outcome.ABANDONED.value
    assert "recording-committed" not in leg.kinds
    discarded = [detail for kind, detail in leg.notes if kind == "recording-discarded"]
    assert discarded and reason in discarded[0], leg.notes
    assert await server.voicemail.list_messages() == []
    assert _files(server) == []
    assert "NEW_VOICEMAIL" not in voice_events(server)


async def test_hang_up_during_the_greeting(server: TasServer) -> None:
    result = await _busy_call(server, hang_up_at="greeting", after=0.05)
    assert result.status == 200
    await _nothing_left(server, "during the greeting")


async def test_hang_up_during_the_beep(server: TasServer) -> None:
    result = await _busy_call(server, hang_up_at="beep", after=0.05)
    assert result.status == 200
    await _nothing_left(server, "during the beep")


async def test_hang_up_early_in_the_recording_discards_it(server: TasServer) -> None:
    result = await _busy_call(server, hang_up_at="recording-started", after=0.3)
    assert result.status == 200
    await _nothing_left(server, "shorter than")


async def test_hang_up_mid_recording_keeps_what_was_said(server: TasServer) -> None:
    result = await _busy_call(server, hang_up_at="recording-started", after=1.6)
    assert result.status == 200
    (leg,) = server.app.journals
    assert leg.record.outcome == Outcome.VOICEMAIL_LEFT.value
    (message,) = await server.voicemail.list_messages()
    assert 1.2 <= message.duration <= 2.2
    assert _files(server) == [message.path]
    assert voice_events(server)[-1] == "NEW_VOICEMAIL"


async def test_cancel_before_the_tas_answers(
    server: TasServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    reserve: Callable[..., Awaitable[Any]] = server.voicemail.reserve

    async def slow_reserve(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(1.0)  # the caller gives up while the TAS is still getting ready
        return await reserve(*args, **kwargs)

    monkeypatch.setattr(server.voicemail, "reserve", slow_reserve)
    result = await _busy_call(server, cancel_after=0.4)
    assert result.status == 487
    (leg,) = server.app.journals
    assert leg.kinds == ["invite", "ringing", "cancel"]
    assert leg.record.outcome == Outcome.ABANDONED.value
    assert await server.voicemail.list_messages() == []
    assert _files(server) == []


# A full mailbox: tests/integration/calls/test_voicemail_limits.py (a prompt, not a bare 480).


async def test_graceful_stop_mid_recording_commits_the_message(server: TasServer) -> None:
    stopped = asyncio.Event()

    def recording() -> bool:
        return bool(server.app.journals) and "recording-started" in server.app.journals[-1].kinds

    async def stop_when_recording() -> None:
        await eventually(recording, 20.0)
        await asyncio.sleep(1.5)
        await server.stop(grace=5.0)  # SIGTERM of `tas serve`: BYE first, then the services
        stopped.set()

    stopper = asyncio.ensure_future(stop_when_recording())
    result = await _busy_call(server, message_seconds=10.0)
    await asyncio.wait_for(stopped.wait(), 10.0)
    await stopper
    assert result.status == 200
    (leg,) = server.app.journals
    assert "bye" in leg.kinds and leg.kinds[-1] == "recording-committed"
    assert leg.record.outcome == Outcome.VOICEMAIL_LEFT.value
    assert [p.suffix for p in _files(server)] == [".wav"]


async def test_hash_ends_the_recording_and_the_tas_hangs_up(server: TasServer) -> None:
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.FALLBACK)
    short_greetings(server, SUBSCRIBER)
    server.core.handsets.set(SUBSCRIBER, "busy")
    result = await place_call(
        server.engine,
        server.core.address("UDP"),
        CALLER,
        SUBSCRIBER,
        speak_after=1.0,
        message=tones.tone([600.0], 1.5),
        end_digits="#",
        hangup_after=20.0,
    )
    await settled(server)
    assert result.status == 200 and result.remote_hangup
    (leg,) = server.app.journals
    assert ("dtmf", "#") in leg.notes and leg.record.outcome == Outcome.VOICEMAIL_LEFT.value
    stopped = [detail for kind, detail in leg.notes if kind == "recording-stopped"]
    assert stopped[0].startswith("stopped")
    (message,) = await server.voicemail.list_messages()
    assert 1.4 <= message.duration <= 2.5


async def test_silence_ends_the_recording_and_the_tas_hangs_up(server: TasServer) -> None:
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.FALLBACK)
    short_greetings(server, SUBSCRIBER)
    server.core.handsets.set(SUBSCRIBER, "busy")
    result = await place_call(
        server.engine,
        server.core.address("UDP"),
        CALLER,
        SUBSCRIBER,
        speak_after=1.0,
        message=tones.tone([600.0], 1.5),
        hangup_after=20.0,  # the caller keeps the line open, silent
    )
    await settled(server)
    assert result.status == 200 and result.remote_hangup
    (leg,) = server.app.journals
    assert leg.record.outcome == Outcome.VOICEMAIL_LEFT.value
    stopped = [detail for kind, detail in leg.notes if kind == "recording-stopped"]
    assert stopped[0].startswith("silence") and "dtmf" not in leg.kinds
    (message,) = await server.voicemail.list_messages()
    assert message.duration < 1.5 + server.settings.voicemail.silence_timeout + 1.0
