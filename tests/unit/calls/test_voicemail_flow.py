"""The call application's voicemail flow (tas.calls.voicemail_flow) without sockets: the leg on
in-memory SIP endpoints with a fake CallMedia (:mod:`tests.unit.calls.leg_world`; recording
limits counted in samples, so "2 s of silence" is 16 000 samples fed, not 2 s waited), and the
real store on SQLite in memory.

Shown: greeting then beep played, the recording stored and its row committed, and each way the
call ends (caller hangs up mid-greeting or while recording, silence timeout, max length, ``#``,
too short) and the refusal of a full mailbox (answered prompt, or 183 + 480).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from media import tones
from media.dtmf import DtmfDigit
from media.wav import read_wav
from tas.calls import voicemail_flow
from tas.calls.records import Outcome
from tas.calls.voicemail_flow import leave_voicemail
from tas.config import VoicemailSettings
from tas.sip.events import CallAnswered, CallFailed, CallProgress
from tas.store.db import Database
from tas.voicemail import Reason, Voicemail, VoicemailStore, beep
from tas.voicemail.greetings import DEFAULT_GREETING
from tas.voicemail.limits import PROMPTS, Refusal
from tests.unit.calls.leg_world import CALLER, MAILBOX, RATE, FakeMedia, World


class VoicemailWorld(World):
    def __init__(self, store: VoicemailStore, media: FakeMedia) -> None:
        super().__init__(media)
        self.store = store

    async def run(self, settings: VoicemailSettings) -> asyncio.Task[Voicemail | None]:
        task = asyncio.ensure_future(
            leave_voicemail(
                self.leg,
                self.store,
                mailbox=MAILBOX,
                caller=CALLER,
                reason=Reason.NO_ANSWER,
                settings=settings,
            )
        )
        await self.until(lambda: bool(self.media.played))
        return task


@pytest.fixture(autouse=True)
def no_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voicemail_flow, "_SETTLE", 0.0)  # no wall-clock wait in unit tests


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[VoicemailStore]:
    store = VoicemailStore(Database("sqlite+aiosqlite:///:memory:"), tmp_path)
    await store.open()
    yield store
    await store.close()


SETTINGS = VoicemailSettings(max_seconds=4.0, min_seconds=1.0, silence_timeout=2.0)


async def test_greeting_beep_record_and_commit_on_hash(store: VoicemailStore) -> None:
    w = VoicemailWorld(store, FakeMedia())
    task = await w.run(SETTINGS)
    await w.until(lambda: w.media.recording is not None)
    assert [e for e in w.core_events if isinstance(e, CallAnswered)]  # 200 OK reached the core
    greeting, tone = w.media.played
    assert Path(greeting) == DEFAULT_GREETING and tone == beep()
    w.feed(tones.speech_like(1.5))
    assert w.media.on_dtmf is not None
    w.media.on_dtmf(DtmfDigit("#", 0.1, 0, 10))  # type: ignore[operator]
    message = await task
    assert message is not None and message.mailbox == MAILBOX and message.caller == CALLER
    assert abs(message.duration - 1.5) < 0.05
    (row,) = await store.list_messages(MAILBOX)
    assert row.voicemail_id == message.voicemail_id
    _, data = await store.read_audio(message.voicemail_id)
    audio = read_wav(data)
    assert audio.rate == RATE and audio.pcm16() == tones.speech_like(1.5)  # what was said
    kinds = w.kinds()
    assert kinds.index("greeting") < kinds.index("beep") < kinds.index("recording-started")
    assert kinds[-4:] == ["dtmf", "recording-stopped", "recording-committed", "bye"]
    assert ("recording-stopped", "stopped after 1.5 s") in w.journal.notes
    assert w.journal.record.outcome == Outcome.VOICEMAIL_LEFT.value
    assert w.journal.record.voicemail_id == message.voicemail_id
    await w.until(w.ended_at_core)  # the TAS hung up: BYE


async def test_silence_timeout_ends_and_keeps_the_message(store: VoicemailStore) -> None:
    w = VoicemailWorld(store, FakeMedia())
    task = await w.run(SETTINGS)
    await w.until(lambda: w.media.recording is not None)
    w.feed(tones.speech_like(1.2))
    w.feed(bytes(2 * RATE * 3))  # 3 s of silence; the limit is 2 s
    message = await task
    assert message is not None
    assert ("recording-stopped", "silence after 3.2 s") in w.journal.notes
    assert len(await store.list_messages(MAILBOX)) == 1
    await w.until(w.ended_at_core)


async def test_max_length_cuts_the_recording_at_the_limit(store: VoicemailStore) -> None:
    w = VoicemailWorld(store, FakeMedia())
    task = await w.run(SETTINGS)
    await w.until(lambda: w.media.recording is not None)
    w.feed(tones.speech_like(6.0))
    message = await task
    assert message is not None and abs(message.duration - 4.0) < 0.05
    assert ("recording-stopped", "max_duration after 4.0 s") in w.journal.notes
    await w.until(w.ended_at_core)


async def test_caller_hangs_up_mid_greeting_nothing_is_stored(store: VoicemailStore) -> None:
    w = VoicemailWorld(store, FakeMedia(hold_prompts=True))
    task = await w.run(SETTINGS)
    assert len(w.media.played) == 1  # the greeting is playing
    w.core.bye(w.call_from_core, w.net.now)
    await w.until(task.done)
    assert await task is None
    assert ("recording-discarded", "caller left during the greeting") in w.journal.notes
    assert "beep" not in w.kinds() and w.media.recording is None
    assert await store.list_messages(MAILBOX) == []
    assert list((store.messages_dir).rglob("*.part")) == []  # the reservation discarded
    assert w.journal.record.outcome == Outcome.ABANDONED.value


async def test_caller_hangs_up_while_recording_keeps_what_was_said(store: VoicemailStore) -> None:
    w = VoicemailWorld(store, FakeMedia())
    task = await w.run(SETTINGS)
    await w.until(lambda: w.media.recording is not None)
    w.feed(tones.speech_like(2.0))
    w.core.bye(w.call_from_core, w.net.now)
    await w.until(task.done)
    message = await task
    assert message is not None and abs(message.duration - 2.0) < 0.05
    assert ("recording-stopped", "closed after 2.0 s") in w.journal.notes
    assert w.journal.record.outcome == Outcome.VOICEMAIL_LEFT.value


async def test_a_message_shorter_than_the_minimum_is_discarded(store: VoicemailStore) -> None:
    w = VoicemailWorld(store, FakeMedia())
    task = await w.run(SETTINGS)
    await w.until(lambda: w.media.recording is not None)
    w.feed(tones.speech_like(0.4))
    w.core.bye(w.call_from_core, w.net.now)
    await w.until(task.done)
    assert await task is None
    assert ("recording-discarded", "shorter than 1 s") in w.journal.notes
    assert await store.list_messages(MAILBOX) == []
    assert w.journal.record.outcome == Outcome.ABANDONED.value


async def test_a_full_mailbox_answers_plays_the_prompt_and_hangs_up(store: VoicemailStore) -> None:
    w = VoicemailWorld(store, FakeMedia())
    full = SETTINGS.model_copy(update={"max_messages": 0})
    task = await w.run(full)
    await w.until(task.done)
    assert await task is None
    assert w.media.played == [PROMPTS[Refusal.MAILBOX_FULL]] and w.media.recording is None
    assert ("prompt-played", PROMPTS[Refusal.MAILBOX_FULL].name) in w.journal.notes
    assert w.journal.record.outcome == Outcome.REJECTED.value
    assert not any(p.is_file() for p in store.messages_dir.rglob("*"))  # nothing reserved
    await w.until(w.ended_at_core)  # answered, then our BYE


async def test_a_full_mailbox_in_early_media_is_183_then_480(store: VoicemailStore) -> None:
    w = VoicemailWorld(store, FakeMedia())
    full = SETTINGS.model_copy(update={"max_messages": 0, "refusal_prompt": "early-media"})
    task = await w.run(full)
    await w.until(task.done)
    await w.until(lambda: any(isinstance(e, CallFailed) for e in w.core_events))
    assert 183 in [e.response.status for e in w.core_events if isinstance(e, CallProgress)]
    (failed,) = [e for e in w.core_events if isinstance(e, CallFailed)]
    assert failed.response.status == 480 and failed.response.reason == "Mailbox Full"
    assert not [e for e in w.core_events if isinstance(e, CallAnswered)]  # nothing charged
