"""Prompt player for one call (pure): queues audio and DTMF, yields one packet per frame time.

The pacer calls :meth:`Player.frame` once per 20 ms tick with the tick number; the stream's
:class:`~media.clock.StreamClock` says whether a frame is due and its timestamp, so timestamps
stay continuous across prompts and pauses (RFC 3550 §5.1) and no frame is sent twice.
Every due frame carries something: audio, an RFC 4733 event, or, when nothing is queued,
G.711 silence (or an RFC 3389 comfort-noise packet when CN was negotiated), so the peer
never sees the stream stop (SBCs and phones hang up on RTP inactivity).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from media.clock import TICK, StreamClock
from media.codecs import Codec
from media.dtmf import TelephoneEvent, dtmf_payloads
from media.stream import RtpSender

__all__ = ["CN_LEVEL", "TICK", "Player"]

CN_LEVEL = 90  # RFC 3389 §3.1 noise level in -dBov: very quiet background
Done = Callable[[bool], None]


@dataclass(slots=True)
class _Audio:
    data: bytes  # already encoded with the call's codec
    on_done: Done | None
    pos: int = 0


@dataclass(slots=True)
class _Digits:
    payloads: list[list[bytes]]  # per digit, one payload per frame
    gap_frames: int
    on_done: Done | None
    digit: int = 0
    pos: int = 0
    start: int = 0
    wait: int = 0


class Player:
    """Queue of prompts for one call; ``frame(tick)`` returns the datagram due at ``tick``.

    ``clock`` is the stream's RTP clock (shared with a later player of the same stream after a
    codec change); ``cn_pt`` the negotiated comfort-noise payload type, if any.
    """

    __slots__ = (
        "codec",
        "sender",
        "clock",
        "cn_pt",
        "frame_bytes",
        "frame_ticks",
        "samples_per_tick",
        "_queue",
        "_silence",
    )

    def __init__(
        self,
        sender: RtpSender,
        codec: Codec,
        ptime: float = TICK,
        clock: StreamClock | None = None,
        cn_pt: int | None = None,
    ) -> None:
        self.codec = codec
        self.sender = sender
        self.cn_pt = cn_pt
        self.frame_ticks = max(1, round(ptime / TICK))
        self.samples_per_tick = round(codec.clock_rate * TICK)
        self.frame_bytes = self.samples_per_tick * self.frame_ticks  # G.711: 1 octet per sample
        if clock is None:
            clock = StreamClock(0, self.frame_ticks, self.samples_per_tick)
        clock.frame_ticks = self.frame_ticks
        self.clock = clock
        self._queue: deque[_Audio | _Digits] = deque()
        self._silence = bytes((codec.silence_octet,)) * self.frame_bytes

    @property
    def busy(self) -> bool:
        return bool(self._queue)

    def play(self, pcm: bytes, on_done: Done | None = None) -> None:
        """Queue 16-bit PCM at the codec's rate; ``on_done(True)`` after its last frame."""
        self._queue.append(_Audio(self.codec.encode(pcm), on_done))

    def play_encoded(self, data: bytes, on_done: Done | None = None) -> None:
        """Queue audio already in the call's codec (e.g. a G.711 WAV prompt)."""
        self._queue.append(_Audio(data, on_done))

    def send_digits(
        self, digits: str, duration: float = 0.1, gap: float = 0.06, on_done: Done | None = None
    ) -> None:
        """Queue RFC 4733 events, one per digit, ``gap`` seconds apart."""
        ptime = self.frame_ticks * TICK
        payloads = [dtmf_payloads(d, duration, ptime) for d in digits]
        gap_frames = max(1, round(gap / ptime))
        self._queue.append(_Digits(payloads, gap_frames, on_done))

    def stop(self) -> None:
        """Drop everything queued; each ``on_done`` gets False (barge-in)."""
        queue, self._queue = self._queue, deque()
        for item in queue:
            if item.on_done is not None:
                item.on_done(False)

    def frame(self, tick: int) -> bytes | None:
        """The datagram due at ``tick``: None only when no frame of this stream is due then
        (not a frame boundary, or that frame was already sent)."""
        timestamp = self.clock.frame(tick)
        if timestamp is None:
            return None
        while self._queue:
            item = self._queue[0]
            if isinstance(item, _Audio):
                chunk = item.data[item.pos : item.pos + self.frame_bytes]
                if not chunk:
                    self._finish()
                    continue
                item.pos += self.frame_bytes
                if len(chunk) < self.frame_bytes:
                    pad = self.frame_bytes - len(chunk)
                    chunk += bytes((self.codec.silence_octet,)) * pad
                if item.pos >= len(item.data):
                    self._finish()
                return self.sender.audio(timestamp, chunk)
            if item.wait:  # pause between digits: silence on the wire
                item.wait -= 1
                return self.idle(timestamp)
            packet = self._digit_frame(item, timestamp)
            if packet is not None:
                return packet
        return self.idle(timestamp)

    def idle(self, timestamp: int) -> bytes:
        """What to send when nothing is queued: a G.711 silence frame, or comfort noise
        (RFC 3389 §4) when CN was negotiated."""
        if self.cn_pt is not None:
            return self.sender.comfort_noise(timestamp, self.cn_pt, CN_LEVEL)
        return self.sender.audio(timestamp, self._silence)

    def _digit_frame(self, item: _Digits, timestamp: int) -> bytes | None:
        """Next event packet of ``item``, or None when it is finished (and dequeued)."""
        if item.digit >= len(item.payloads):
            self._finish()
            return None
        payloads = item.payloads[item.digit]
        if item.pos == 0:
            item.start = timestamp
        first = item.pos == 0
        event = TelephoneEvent.parse(payloads[item.pos])
        item.pos += 1
        if item.pos >= len(payloads):
            item.digit += 1
            item.pos = 0
            item.wait = item.gap_frames
        return self.sender.event(item.start, event, first)

    def _finish(self) -> None:
        item = self._queue.popleft()
        if item.on_done is not None:
            item.on_done(True)
