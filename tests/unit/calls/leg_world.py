"""A leg the TAS answers itself (:class:`~tas.calls.leg.AnsweredLeg`) without sockets, for the
call-flow unit tests: the core's INVITE over in-memory endpoints (virtual SIP clock), the TAS's
events handed to the leg as ``SipStack.flush`` does, and a fake :class:`~media.call_media.CallMedia`
that records with the real :class:`~media.recording.Recording` (limits counted in samples)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from media.codecs import get_codec
from media.engine import MediaEngine
from media.offer_answer import NegotiatedMedia
from media.recorder import RecordingResult
from media.recording import Recording
from media.sdp import SessionDescription
from media.stream import RtpStats
from media.wav import FORMAT_PCM, WavAudio
from tas.calls.journal import CallJournal
from tas.calls.leg import AnsweredLeg, LegMedia
from tas.calls.records import CallRow
from tas.sip.call import Call
from tas.sip.events import CallEnded, Event, IncomingCall
from tas.sip.listener import deliver
from tas.transport.trust import Trust
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
    keys: list[str] = field(default_factory=list)  # what read_digits returns, in turn
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
        """The next key pressed (``keys``), else "" as when ``inter_digit`` runs out."""
        return self.keys.pop(0) if self.keys else ""

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

    capture = None  # no ladder capture

    def trust_of(self, peer: object) -> Trust:
        return Trust.SANDBOX


class World:
    """The core calls the TAS; the TAS's events go to the leg as ``SipStack.flush`` does."""

    def __init__(self, media: FakeMedia) -> None:
        self.net = Net()
        self.core = self.net.add(CORE)
        self.net.add(TAS)
        self.media = media
        self.core_events: list[Event] = []
        self.call_from_core: Call = self.core.invite(
            f"sip:{MAILBOX}@127.0.0.1:5070", 0.0, from_uri=f"sip:{CALLER}@127.0.0.1", body=OFFER
        )
        self.net.pump()
        (incoming,) = [e for e in self.net.take(TAS) if isinstance(e, IncomingCall)]
        record = CallRow(sip_call_id=incoming.call.call_id, direction="in", route="loop")
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

    async def until(self, ready: Callable[[], bool], seconds: float = 20.0) -> None:
        """Pump SIP and let the flow run until ``ready()``. The store's SQLite work finishes on
        its own thread meanwhile, so this yields (no timed sleep) until it is done; bounded
        by ``seconds`` of wall time only as a guard against a hung flow."""
        give_up = time.monotonic() + seconds
        while time.monotonic() < give_up:
            self.pump()
            if ready():
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
