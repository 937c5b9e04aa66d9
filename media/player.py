"""Prompt player for one call (pure): queues audio and DTMF, yields one packet per frame time.

The pacer calls :meth:`Player.frame` once per 20 ms tick with the tick number; timestamps are
derived from the tick so they stay continuous across prompts and pauses (RFC 3550 §5.1).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from media.codecs import Codec
from media.dtmf import TelephoneEvent, dtmf_payloads
from media.stream import RtpSender

__all__ = ["TICK", "Player"]

TICK = 0.02  # seconds per pacer tick
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
    """Queue of prompts for one call; ``frame(tick)`` returns the next datagram or None."""

    __slots__ = ("codec", "sender", "frame_bytes", "frame_ticks", "samples_per_tick", "_queue")

    def __init__(self, sender: RtpSender, codec: Codec, ptime: float = TICK) -> None:
        self.codec = codec
        self.sender = sender
        self.frame_ticks = max(1, round(ptime / TICK))
        self.samples_per_tick = round(codec.clock_rate * TICK)
        self.frame_bytes = self.samples_per_tick * self.frame_ticks  # G.711: 1 octet per sample
        self._queue: deque[_Audio | _Digits] = deque()

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
        self.sender.silence()

    def frame(self, tick: int) -> bytes | None:
        """The datagram to send at ``tick``, or None; the player stays due while ``busy``."""
        if tick % self.frame_ticks:
            return None
        timestamp = tick * self.samples_per_tick
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
            if item.wait:  # pause between digits: nothing on the wire
                item.wait -= 1
                self.sender.silence()
                return None
            packet = self._digit_frame(item, timestamp)
            if packet is not None:
                return packet
        self.sender.silence()
        return None

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
