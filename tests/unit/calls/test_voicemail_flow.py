"""The call application's voicemail flow (tas.calls.voicemail_flow) without sockets: the leg on
in-memory SIP endpoints (virtual SIP clock), its media a fake :class:`~media.call_media.CallMedia`
that records with the real :class:`~media.recording.Recording` (limits counted in samples, so
"5 s of silence" is 40 000 samples fed, not 5 s waited), and the real store on SQLite in memory.

Shown: greeting then beep played, the recording stored and its row committed, and each way the
call ends (caller hangs up mid-greeting, silence timeout, max length, ``#``, too short).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from media import tones
from media.codecs import get_codec
from media.dtmf import DtmfDigit
from media.engine import MediaEngine
from media.offer_answer import NegotiatedMedia
from media.recorder import RecordingResult
from media.recording import Recording
from media.sdp import SessionDescription
from media.stream import RtpStats
from media.wav import FORMAT_PCM, WavAudio, read_wav
from tas.calls import voicemail_flow
from tas.calls.journal import CallJournal
from tas.calls.leg import AnsweredLeg, LegMedia
from tas.calls.records import CallRecord, Outcome
from tas.calls.voicemail_flow import leave_voicemail
from tas.config import VoicemailSettings
from tas.sip.call import Call
from tas.sip.events import CallAnswered, CallEnded, Event, IncomingCall
from tas.sip.listener import deliver
from tas.store.db import Database
from tas.transport.trust import Trust
from tas.voicemail import Reason, Voicemail, VoicemailStore, beep
from tas.voicemail.greetings import DEFAULT_GREETING
from tests.unit.sip.ua_net import Net

CORE, TAS = ("127.0.0.1", 5061), ("127.0.0.1", 5070)
MAILBOX, CALLER = "+4799990001", "+4799990002"
RATE = 8000
OFFER = b"v=0\r\no=core 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
ANSWER = "v=0\r\no=tas 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"


@dataclass
class FakeMedia:
    """A CallMedia whose prompts finish when the test says so and whose recording is fed PCM
    by the test; everything played is kept in ``played``."""

    played: list[bytes | WavAudio | str | Path] = field(default_factory=list)
    hold_prompts: bool = False  # play() waits for stop_playback / close
    on_dtmf: object = None
    negotiated: NegotiatedMedia | None = None
    recording: Recording | None = None
    is_closed: bool = False
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def closed(self) -> bool:
        return self.is_closed

    @property
    def local_sdp(self) -> SessionDescription | None:
        return SessionDescription.parse(ANSWER)

    @property
    def stats(self) -> RtpStats:
        return RtpStats()

    async def reoffer(self, direction: str | None = None) -> str:
        return ANSWER

    async def answer_reoffer(self, offer: str | bytes, direction: str | None = None) -> str:
        return ANSWER

    async def accept_answer(self, answer: str | bytes) -> None:
        return None

    def update(self, offer: str | bytes, direction: str | None = None) -> str:
        return ANSWER

    def apply_answer(self, answer: str | bytes) -> NegotiatedMedia:
        raise AssertionError("no late answer in these calls")

    async def play(self, source: bytes | WavAudio | str | Path) -> bool:  # type: ignore[override]
        self.played.append(source)
        if not self.hold_prompts:
            return True
        await self._stop.wait()
        return False

    def stop_playback(self) -> None:
        self._stop.set()

    async def send_dtmf(self, digits: str, duration: float = 0.1) -> bool:
        return True

    async def read_digits(
        self, max_digits: int = 1, inter_digit: float | None = None, terminators: str = "#"
    ) -> str:
        return ""

    def record(  # type: ignore[override]
        self,
        path: str | Path,
        max_duration: float | None = None,
        min_duration: float = 0.0,
        silence_timeout: float | None = None,
        wav_format: int = FORMAT_PCM,
        silence_threshold_dbfs: float = -45.0,
    ) -> Recording:
        loop = asyncio.get_running_loop()
        self.recording = Recording.start(
            loop,
            path,
            get_codec("PCMU"),
            wav_format=wav_format,
            executor=None,
            max_duration=max_duration,
            min_duration=min_duration,
            silence_timeout=silence_timeout,
            silence_threshold_dbfs=silence_threshold_dbfs,
            last_activity=loop.time,  # never "quiet" by wall clock: limits come from samples
            on_finished=lambda recording: None,
        )
        return self.recording

    async def close(self) -> RecordingResult | None:
        self.is_closed = True
        self._stop.set()
        if self.recording is None:
            return None
        self.recording.finish("closed")
        return await self.recording.wait()


class Host:
    """The CallHost of the leg: the TAS's in-memory endpoint on the network's clock."""

    def __init__(self, net: Net) -> None:
        self.net = net
        self.endpoint = net.endpoints[TAS]

    def now(self) -> float:
        return self.net.now

    def flush(self) -> None:
        pass

    def trust_of(self, peer: object) -> Trust:
        return Trust.SANDBOX


class World:
    """The core calls the TAS; the TAS's events go to the leg as ``SipStack.flush`` does."""

    def __init__(self, store: VoicemailStore, media: FakeMedia) -> None:
        self.net = Net()
        self.core = self.net.add(CORE)
        self.net.add(TAS)
        self.store, self.media = store, media
        self.core_events: list[Event] = []
        self.call_from_core: Call = self.core.invite(
            f"sip:{MAILBOX}@127.0.0.1:5070", 0.0, from_uri=f"sip:{CALLER}@127.0.0.1", body=OFFER
        )
        self.net.pump()
        (incoming,) = [e for e in self.net.take(TAS) if isinstance(e, IncomingCall)]
        record = CallRecord(sip_call_id=incoming.call.call_id, direction="in", route="loop")
        record.caller, record.callee = CALLER, MAILBOX
        self.journal = CallJournal(None, record)

        async def open_media(engine: MediaEngine, offer: bytes | None) -> tuple[LegMedia, str]:
            assert offer == OFFER
            return media, ANSWER

        self.leg = AnsweredLeg(
            Host(self.net), MediaEngine(), incoming.call, None, self.journal, open_media
        )

    def pump(self) -> None:
        self.net.pump()
        for event in self.net.take(TAS):
            deliver(event, self.leg.on_event)
        self.core_events += self.net.take(CORE)

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

    async def until(self, ready: object) -> None:
        """Pump SIP and let the flow run until ``ready()``; the store's SQLite work finishes on
        its thread meanwhile (bounded: 20 000 loop turns, no timed waits)."""
        for _ in range(20_000):
            self.pump()
            if ready():  # type: ignore[operator]
                return
            await asyncio.sleep(0)
        raise AssertionError("the flow did not get there")

    def feed(self, pcm: bytes) -> None:
        """Caller audio into the recording, 20 ms at a time, contiguous timestamps."""
        recording = self.media.recording
        assert recording is not None
        start = round(recording.duration * RATE)
        for offset in range(0, len(pcm), 320):
            if recording.done:
                return
            recording.feed_pcm(pcm[offset : offset + 320], start + offset // 2)

    def kinds(self) -> list[str]:
        return self.journal.kinds

    def ended_at_core(self) -> bool:
        return any(isinstance(e, CallEnded) for e in self.core_events)


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
    w = World(store, FakeMedia())
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
    w = World(store, FakeMedia())
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
    w = World(store, FakeMedia())
    task = await w.run(SETTINGS)
    await w.until(lambda: w.media.recording is not None)
    w.feed(tones.speech_like(6.0))
    message = await task
    assert message is not None and abs(message.duration - 4.0) < 0.05
    assert ("recording-stopped", "max_duration after 4.0 s") in w.journal.notes
    await w.until(w.ended_at_core)


async def test_caller_hangs_up_mid_greeting_nothing_is_stored(store: VoicemailStore) -> None:
    w = World(store, FakeMedia(hold_prompts=True))
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
    w = World(store, FakeMedia())
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
    w = World(store, FakeMedia())
    task = await w.run(SETTINGS)
    await w.until(lambda: w.media.recording is not None)
    w.feed(tones.speech_like(0.4))
    w.core.bye(w.call_from_core, w.net.now)
    await w.until(task.done)
    assert await task is None
    assert ("recording-discarded", "shorter than 1 s") in w.journal.notes
    assert await store.list_messages(MAILBOX) == []
    assert w.journal.record.outcome == Outcome.ABANDONED.value
