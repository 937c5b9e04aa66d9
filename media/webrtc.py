"""WebRTC-style leg: DTLS-SRTP + ICE (``UDP/TLS/RTP/SAVPF``) through aiortc, a
:class:`~media.call_media.CallMedia` like the plain RTP :class:`~media.session.MediaSession`.

aiortc does ICE, DTLS, SRTP and the codec (Opus or G.711); we bridge decoded audio at
8 kHz mono 16-bit PCM: an outbound track fed by a prompt queue, and a reader task that
resamples inbound frames into the recorder. RFC 4733 is not available on this leg
(aiortc does not negotiate telephone-event), so :meth:`WebRtcSession.send_dtmf` raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import os
from collections import deque
from collections.abc import Callable

from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame
from av.audio.resampler import AudioResampler

from media.capture import CallCapture, CapturingLeg
from media.codecs import PCMU, Codec
from media.errors import MediaError
from media.recorder import RecordingResult
from media.sdp import SessionDescription
from media.stream import RtpStats
from media.wav import WavAudio, read_wav

__all__ = ["WebRtcSession", "is_webrtc_offer"]

_log = logging.getLogger(__name__)
RATE = 8000
FRAME = 160  # samples per 20 ms
_TIME_BASE = fractions.Fraction(1, RATE)


def is_webrtc_offer(offer: SessionDescription) -> bool:
    """True when the first audio stream is DTLS-SRTP (``UDP/TLS/RTP/SAVP[F]``, RFC 5764)."""
    for media in offer.media:
        if media.media == "audio" and media.port != 0:
            return "TLS" in media.proto.upper()
    return False


class _PromptTrack(MediaStreamTrack):
    """Outbound audio: 20 ms frames from a queue of PCM prompts, silence when idle."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.queue: deque[tuple[bytes, Callable[[bool], None]]] = deque()
        self.pos = 0
        self.frames = 0
        self._start: float | None = None

    def play(self, pcm: bytes, done: Callable[[bool], None]) -> None:
        self.queue.append((pcm, done))

    def clear(self) -> None:
        queue, self.queue = self.queue, deque()
        self.pos = 0
        for _, done in queue:
            done(False)

    def _next_pcm(self) -> bytes:
        size = 2 * FRAME
        while self.queue:
            pcm, done = self.queue[0]
            chunk = pcm[self.pos : self.pos + size]
            self.pos += size
            if self.pos >= len(pcm):
                self.queue.popleft()
                self.pos = 0
                done(True)
            if chunk:
                return chunk + bytes(size - len(chunk))
        return bytes(size)

    async def recv(self) -> AudioFrame:
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            delay = self._start + self.frames * FRAME / RATE - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        frame = AudioFrame(format="s16", layout="mono", samples=FRAME)
        frame.planes[0].update(self._next_pcm())
        frame.sample_rate = RATE
        frame.pts = self.frames * FRAME
        frame.time_base = _TIME_BASE
        self.frames += 1
        return frame


class WebRtcSession(CapturingLeg):
    """Media of one WebRTC-style call (a :class:`~media.call_media.CallMedia`)."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.pc = pc
        self.loop = asyncio.get_running_loop()
        self.closed = False
        self.local_sdp: SessionDescription | None = None
        self._track = _PromptTrack()
        self._reader: asyncio.Task[None] | None = None
        self._capture = CallCapture(self.loop, None)
        self._frames_received = 0
        pc.on("track", self._on_track)

    @classmethod
    async def create(cls, offer: str | bytes) -> tuple[WebRtcSession, str]:
        """Answer a WebRTC-style offer; returns the session and the answer SDP (with ICE
        candidates and DTLS fingerprint)."""
        text = offer.decode() if isinstance(offer, bytes) else offer
        session = cls(RTCPeerConnection())
        try:
            await session.pc.setRemoteDescription(RTCSessionDescription(sdp=text, type="offer"))
            session.pc.addTrack(session._track)
            await session.pc.setLocalDescription(await session.pc.createAnswer())
        except Exception as exc:  # aiortc raises ValueError and friends for offers it refuses
            await session.pc.close()
            raise MediaError(f"WebRTC offer refused: {exc}") from exc
        answer = session.pc.localDescription.sdp
        session.local_sdp = SessionDescription.parse(answer)
        return session, answer

    @classmethod
    async def create_offer(cls) -> tuple[WebRtcSession, str]:
        """Offer a WebRTC-style audio stream; pass the answer to :meth:`accept_answer`."""
        session = cls(RTCPeerConnection())
        session.pc.addTrack(session._track)
        await session.pc.setLocalDescription(await session.pc.createOffer())
        offer = session.pc.localDescription.sdp
        session.local_sdp = SessionDescription.parse(offer)
        return session, offer

    async def accept_answer(self, answer: str | bytes) -> None:
        """Apply the peer's answer to our last offer."""
        text = answer.decode() if isinstance(answer, bytes) else answer
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=text, type="answer"))
        except Exception as exc:
            raise MediaError(f"WebRTC answer refused: {exc}") from exc

    async def reoffer(self, direction: str | None = None) -> str:
        """A re-offer (``"sendonly"`` to hold, ``"sendrecv"`` to resume)."""
        self._set_direction(direction)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def answer_reoffer(self, offer: str | bytes, direction: str | None = None) -> str:
        """Answer a re-offer from the peer (hold, resume, ICE restart)."""
        text = offer.decode() if isinstance(offer, bytes) else offer
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=text, type="offer"))
            self._set_direction(direction)
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        except Exception as exc:
            raise MediaError(f"WebRTC re-offer refused: {exc}") from exc
        answer = str(self.pc.localDescription.sdp)
        self.local_sdp = SessionDescription.parse(answer)
        return answer

    def _set_direction(self, direction: str | None) -> None:
        if direction is None:
            return
        for transceiver in self.pc.getTransceivers():
            if transceiver.kind == "audio":
                transceiver.direction = direction

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio" and self._reader is None:
            self._reader = self.loop.create_task(self._read(track))

    async def _read(self, track: MediaStreamTrack) -> None:
        resampler = AudioResampler(format="s16", layout="mono", rate=RATE)
        samples = 0
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if not isinstance(frame, AudioFrame):
                    continue
                self._capture.last_rx = self.loop.time()
                self._frames_received += 1
                for out in resampler.resample(frame):
                    pcm = bytes(out.planes[0])[: 2 * out.samples]
                    recording = self._capture.recording
                    if recording is not None:
                        recording.feed_pcm(pcm, samples & 0xFFFFFFFF)
                    samples += out.samples

    # --- the rest of CallMedia ---------------------------------------------------------

    async def play(self, source: bytes | WavAudio | str | os.PathLike[str]) -> bool:
        """Play 8 kHz PCM16, a :class:`WavAudio` or a WAV path; False if interrupted."""
        if self.closed:
            raise MediaError("session closed")
        if isinstance(source, bytes):
            pcm = source
        else:
            audio = source if isinstance(source, WavAudio) else read_wav(source)
            if audio.rate != RATE or audio.channels != 1:
                raise MediaError(f"prompt must be {RATE} Hz mono, got {audio.rate} Hz")
            pcm = audio.pcm16()
        future: asyncio.Future[bool] = self.loop.create_future()

        def done(completed: bool) -> None:
            if not future.done():
                future.set_result(completed)

        self._track.play(pcm, done)
        return await future

    async def send_dtmf(self, digits: str, duration: float = 0.1) -> bool:
        raise MediaError("telephone-event is not available on the WebRTC leg")

    def stop_playback(self) -> None:
        self._track.clear()

    def _recording_codec(self) -> Codec:
        """Recordings are PCM or µ-law WAV of the decoded 8 kHz audio (no digits arrive on
        this leg for ``read_digits``/``on_dtmf``)."""
        if self.closed:
            raise MediaError("session closed")
        return PCMU

    @property
    def stats(self) -> RtpStats:
        """Frames (20 ms) in and out; loss and jitter live in aiortc's own RTCP statistics."""
        return RtpStats(packets_received=self._frames_received, packets_sent=self._track.frames)

    async def close(self) -> RecordingResult | None:
        """Hang up: stop playback, finish the recording, close the peer connection."""
        if self.closed:
            return None
        self.closed = True
        self._track.clear()
        result = await self._capture.finish()
        await self.pc.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        return result
