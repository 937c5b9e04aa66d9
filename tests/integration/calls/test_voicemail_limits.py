"""Mailbox abuse limits through the whole call path (sandbox core → TAS → voicemail flow): the
4th message from one caller within the hour and a full mailbox are refused with a prompt."""

from __future__ import annotations

import time

from media import tones
from registrations.model import Route
from tas.calls.records import Outcome
from tas.demo import CallerResult, place_call
from tas.server import TasServer
from tas.voicemail.limits import PROMPTS, Refusal, refusals
from tas.voicemail.wavfile import pcm16_wav
from tests.integration.calls.calls_helpers import (
    CALLER,
    OTHER,
    SUBSCRIBER,
    register,
    settled,
    short_greetings,
)

PROMPT_SECONDS = {refusal: (path.stat().st_size - 44) / 16000 for refusal, path in PROMPTS.items()}


async def _call(server: TasServer, caller: str) -> tuple[CallerResult, float]:
    """A call from ``caller`` to the busy subscriber (→ voicemail); (result, seconds it took)."""
    assert server.core is not None
    started = time.monotonic()
    result = await place_call(
        server.engine,
        server.core.address("UDP"),
        caller,
        SUBSCRIBER,
        speak_after=1.0,  # after the 0.4 s greeting and the 0.4 s beep
        message=tones.tone([600.0], 1.5),
        end_digits="#",
        hangup_after=30.0,
    )
    await settled(server, 15.0)
    return result, time.monotonic() - started


async def _prepare(server: TasServer) -> None:
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.FALLBACK)
    short_greetings(server, SUBSCRIBER)
    server.core.handsets.set(SUBSCRIBER, "busy")


def _refused_with_prompt(
    server: TasServer, result: CallerResult, took: float, refusal: Refusal
) -> None:
    leg = server.app.journals[-1]
    assert result.status == 200 and result.remote_hangup  # answered for the prompt, TAS hung up
    assert refusal.value in leg.kinds and "recording-started" not in leg.kinds
    assert ("prompt-played", PROMPTS[refusal].name) in leg.notes, leg.notes
    assert leg.record.outcome == Outcome.REJECTED.value
    assert took >= PROMPT_SECONDS[refusal]  # the whole prompt was sent before the BYE


async def test_fourth_message_from_one_caller_within_the_hour_is_refused(server: TasServer) -> None:
    await _prepare(server)
    before = refusals[Refusal.CALLER_LIMIT]
    first, _ = await _call(server, CALLER)  # a real message: the flow's idea of the caller
    assert first.status == 200
    messages = await server.voicemail.list_messages(SUBSCRIBER)
    assert len(messages) == 1, server.app.journals[-1].notes
    left = messages[0]
    assert left.caller == CALLER
    wav = pcm16_wav(bytes(16000))
    for _ in range(2):  # two more from the same caller, as the store would hold them
        await server.voicemail.deposit(SUBSCRIBER, left.caller, wav)

    result, took = await _call(server, CALLER)
    _refused_with_prompt(server, result, took, Refusal.CALLER_LIMIT)
    assert refusals[Refusal.CALLER_LIMIT] == before + 1
    assert len(await server.voicemail.list_messages(SUBSCRIBER)) == 3

    other, _ = await _call(server, OTHER)  # another caller is not held back
    assert server.app.journals[-1].record.outcome == Outcome.VOICEMAIL_LEFT.value
    assert other.status == 200 and len(await server.voicemail.list_messages(SUBSCRIBER)) == 4


async def test_full_mailbox_plays_a_prompt_instead_of_480(server: TasServer) -> None:
    await _prepare(server)
    server.voicemail.settings.max_messages = 0
    result, took = await _call(server, CALLER)
    _refused_with_prompt(server, result, took, Refusal.MAILBOX_FULL)
    assert await server.voicemail.list_messages() == []


async def test_audio_quota_fills_the_mailbox(server: TasServer) -> None:
    await _prepare(server)
    server.voicemail.settings.max_total_seconds = 2.0
    await server.voicemail.deposit(SUBSCRIBER, OTHER, pcm16_wav(bytes(16000 * 2)))  # 2 s
    result, took = await _call(server, CALLER)
    _refused_with_prompt(server, result, took, Refusal.MAILBOX_FULL)
    detail = dict(server.app.journals[-1].notes)[Refusal.MAILBOX_FULL.value]
    assert "max_total_seconds" in detail


async def test_early_media_prompt_then_480(server: TasServer) -> None:
    await _prepare(server)
    server.voicemail.settings.max_messages = 0
    server.voicemail.settings.refusal_prompt = "early-media"
    result, took = await _call(server, CALLER)
    leg = server.app.journals[-1]
    assert result.status >= 400 and result.answered_at is None  # never answered: not charged
    assert "early-media" in leg.kinds and "answered" not in leg.kinds
    assert ("prompt-played", PROMPTS[Refusal.MAILBOX_FULL].name) in leg.notes, leg.notes
    assert leg.record.outcome == Outcome.REJECTED.value and leg.record.status == 480
    assert took >= PROMPT_SECONDS[Refusal.MAILBOX_FULL]  # the 480 came after the prompt


async def test_no_prompt_is_a_bare_480(server: TasServer) -> None:
    await _prepare(server)
    server.voicemail.settings.max_messages = 0
    server.voicemail.settings.refusal_prompt = "none"
    result, took = await _call(server, CALLER)
    leg = server.app.journals[-1]
    assert result.status >= 400 and "prompt" not in leg.kinds and "answered" not in leg.kinds
    assert leg.record.status == 480 and took < PROMPT_SECONDS[Refusal.MAILBOX_FULL]
