"""Call recorder (pure apart from the file it streams to): places audio by RTP timestamp,
fills lost/DTX gaps with silence, stops at a maximum duration or after a silence timeout,
and discards recordings shorter than a minimum on finish.

Wall-clock time is kept too (issue 11): when packets come with their arrival time, a pause
of more than :data:`WALL_GAP` seconds that the timestamps do not account for (a hold, a peer
that restarts its RTP clock, RFC 3550 §5.1 allows a random new base) is filled with silence,
so a 3 s hold is 3 s of the message, up to ``max_duration``.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from media.codecs import Codec
from media.rtp import RtpPacket
from media.silence import SilenceDetector
from media.wav import FORMAT_PCM, WavWriter

__all__ = ["MAX_GAP", "Recorder", "RecordingResult"]

MAX_GAP = 2.0  # seconds: a larger timestamp jump is a discontinuity, not silence to fill
WALL_GAP = 0.5  # seconds without packets that are a pause (hold), not network jitter


@dataclass(frozen=True, slots=True)
class RecordingResult:
    """How a recording ended: ``path`` is None when it was discarded (too short, aborted).

    ``reason`` is one of ``max_duration``, ``silence``, ``stopped``, ``closed``, ``aborted``,
    or ``failed`` when the file could not be written (it is then discarded).
    """

    path: Path | None
    duration: float
    reason: str

    @property
    def kept(self) -> bool:
        return self.path is not None


class Recorder:
    """Feeds RTP audio packets of one call into a :class:`WavWriter`."""

    __slots__ = (
        "codec",
        "writer",
        "max_samples",
        "min_samples",
        "silence_samples",
        "samples",
        "_pcm",
        "_silence",
        "_next_ts",
        "_ssrc",
        "_max_gap",
        "_fill",
        "_plain",
        "_heard_at",
        "_heard_count",
    )

    def __init__(
        self,
        writer: WavWriter,
        codec: Codec,
        max_duration: float | None = None,
        min_duration: float = 0.0,
        silence_timeout: float | None = None,
        silence_threshold_dbfs: float = -45.0,
    ) -> None:
        rate = codec.clock_rate
        self.codec = codec
        self.writer = writer
        self.max_samples = round(max_duration * rate) if max_duration else None
        self.min_samples = round(min_duration * rate)
        self.silence_samples = round(silence_timeout * rate) if silence_timeout else None
        self.samples = 0
        self._pcm = writer.format == FORMAT_PCM
        if not self._pcm and writer.format != codec.wav_format:
            raise ValueError(f"a {codec.name} call cannot be stored in WAV format {writer.format}")
        self._silence = (
            SilenceDetector(silence_threshold_dbfs, rate) if silence_timeout is not None else None
        )
        self._next_ts: int | None = None
        self._ssrc: int | None = None
        self._max_gap = round(MAX_GAP * rate)
        self._fill = b"\0\0" if self._pcm else bytes((codec.silence_octet,))
        self._plain = self.max_samples is None and self._silence is None
        self._heard_at: float | None = None  # arrival time of the last packet
        self._heard_count = 0  # samples that packet carried

    @property
    def duration(self) -> float:
        return self.samples / self.codec.clock_rate

    def switch_codec(self, codec: Codec) -> bool:
        """The call renegotiated its codec: go on decoding with ``codec`` (False when the
        file stores the old codec's octets and so cannot take the new one)."""
        if not self._pcm and codec.wav_format != self.writer.format:
            return False
        self.codec = codec
        return True

    def feed(self, packet: RtpPacket, arrival: float | None = None) -> str | None:
        """Write one audio packet (``arrival`` in seconds, any clock, keeps wall-clock time);
        returns ``max_duration`` or ``silence`` when a limit is hit."""
        payload = packet.payload
        heard, self._heard_at = self._heard_at, arrival
        if (
            self._plain
            and packet.timestamp == self._next_ts
            and packet.ssrc == self._ssrc
            and (arrival is None or heard is None or arrival - heard <= WALL_GAP)
        ):
            # the per-packet common case: contiguous audio, no limits to check
            self._next_ts = (self._next_ts + len(payload)) & 0xFFFFFFFF
            self.writer.write(self.codec.decode(payload) if self._pcm else payload)
            self.samples += len(payload)
            self._heard_count = len(payload)
            return None
        if arrival is not None and heard is not None and arrival - heard > WALL_GAP:
            reason = self._write_gap(self._pause(arrival - heard, packet.ssrc, packet.timestamp))
            if reason is not None:
                return reason
        self._heard_count = len(payload)
        reason = self._place(packet.ssrc, packet.timestamp, len(payload))
        if reason is not None:
            return reason
        pcm = self.codec.decode(payload) if self._pcm or self._silence is not None else b""
        return self._write(pcm, payload, len(payload))

    def feed_pcm(self, pcm: bytes, timestamp: int, source: int = 0) -> str | None:
        """Write decoded 16-bit PCM at the codec's rate (a leg that decodes for us, e.g. WebRTC)."""
        count = len(pcm) // 2
        reason = self._place(source, timestamp, count)
        if reason is not None:
            return reason
        return self._write(pcm, b"" if self._pcm else self.codec.encode(pcm), count)

    def _pause(self, seconds: float, source: int, timestamp: int) -> int:
        """Silence for a pause of ``seconds`` between two packets beyond what the timestamp
        gap (filled by :meth:`_place`) already covers."""
        covered = 0
        if source == self._ssrc and self._next_ts is not None:
            gap = (timestamp - self._next_ts) & 0xFFFFFFFF
            covered = gap if gap <= self._max_gap else 0
        return max(0, round(seconds * self.codec.clock_rate) - self._heard_count - covered)

    def catch_up(self, now: float) -> str | None:
        """At the end: a pause since the last packet (peer on hold until hang-up) is silence."""
        heard = self._heard_at
        if heard is None or now - heard <= WALL_GAP or self.samples == 0:
            return None
        self._heard_at = now
        gap = max(0, round((now - heard) * self.codec.clock_rate) - self._heard_count)
        self._heard_count = 0
        return self._write_gap(gap)

    def _place(self, source: int, timestamp: int, count: int) -> str | None:
        """Fill a timestamp gap in the same stream with silence (lost packets, DTX)."""
        reason = None
        if source == self._ssrc and self._next_ts is not None:
            gap = (timestamp - self._next_ts) & 0xFFFFFFFF
            if 0 < gap <= self._max_gap:
                reason = self._write_gap(gap)
        self._ssrc = source
        self._next_ts = (timestamp + count) & 0xFFFFFFFF
        return reason

    def _write(self, pcm: bytes, payload: bytes, count: int) -> str | None:
        if self.max_samples is not None and self.samples + count >= self.max_samples:
            keep = self.max_samples - self.samples
            self.writer.write(pcm[: 2 * keep] if self._pcm else payload[:keep])
            self.samples += keep
            return "max_duration"
        self.writer.write(pcm if self._pcm else payload)
        self.samples += count
        if self._silence is not None:
            self._silence.feed(pcm)
            assert self.silence_samples is not None
            if self._silence.silent_samples >= self.silence_samples:
                return "silence"
        return None

    def _write_gap(self, gap: int) -> str | None:
        if gap <= 0:
            return None
        if self.max_samples is not None:
            gap = min(gap, self.max_samples - self.samples)
        self.writer.write(self._fill * gap)
        self.samples += gap
        if self.max_samples is not None and self.samples >= self.max_samples:
            return "max_duration"
        if self._silence is not None:
            self._silence.feed_gap(gap)
            assert self.silence_samples is not None
            if self._silence.silent_samples >= self.silence_samples:
                return "silence"
        return None

    def finish(self, reason: str) -> RecordingResult:
        """Close the file (atomic rename) or discard it if shorter than the minimum."""
        return self.finish_future(reason).result()

    def finish_future(self, reason: str) -> Future[RecordingResult]:
        """Like :meth:`finish`; with a writer executor the file work happens there."""
        duration = self.duration
        result: Future[RecordingResult] = Future()
        if self.samples < self.min_samples or self.samples == 0:
            self.writer.abort()
            result.set_result(RecordingResult(None, duration, reason))
            return result

        def closed(done: Future[Path]) -> None:
            error = done.exception()
            if error is not None:
                result.set_exception(error)
            else:
                result.set_result(RecordingResult(done.result(), duration, reason))

        self.writer.close_future().add_done_callback(closed)
        return result

    def abort(self) -> RecordingResult:
        """Drop the recording whatever its length."""
        self.writer.abort()
        return RecordingResult(None, self.duration, "aborted")
