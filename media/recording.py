"""A recording in progress on a call (asyncio adapter around :class:`~media.recorder.Recorder`).

Owns the wall-clock limits that packets alone cannot enforce: when the peer stops sending
altogether, the silence timeout and maximum duration still end the recording.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

from media.codecs import Codec
from media.recorder import Recorder, RecordingResult
from media.rtp import RtpPacket
from media.wav import WavWriter

__all__ = ["Recording"]

_log = logging.getLogger(__name__)
CHECK_INTERVAL = 0.5


class Recording:
    """Returned by ``record()``; :meth:`wait` gives the :class:`RecordingResult`."""

    @classmethod
    def start(
        cls,
        loop: asyncio.AbstractEventLoop,
        path: str | os.PathLike[str],
        codec: Codec,
        *,
        wav_format: int,
        executor: Executor | None,
        max_duration: float | None,
        min_duration: float,
        silence_timeout: float | None,
        silence_threshold_dbfs: float,
        last_activity: Callable[[], float],
        on_finished: Callable[[Recording], None],
    ) -> Recording:
        """Open the WAV writer and recorder for ``path`` and start the wall-clock limits."""
        target = Path(path)
        writer = WavWriter(target, wav_format, codec.clock_rate, executor)
        try:
            recorder = Recorder(
                writer, codec, max_duration, min_duration, silence_timeout, silence_threshold_dbfs
            )
        except ValueError:
            writer.abort()
            raise
        return cls(
            loop, recorder, target, max_duration, silence_timeout, last_activity, on_finished
        )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        recorder: Recorder,
        path: Path,
        max_duration: float | None,
        silence_timeout: float | None,
        last_activity: Callable[[], float],
        on_finished: Callable[[Recording], None],
    ) -> None:
        self.path = path
        self.loop = loop
        self._recorder = recorder
        self._max_duration = max_duration
        self._silence_timeout = silence_timeout
        self._last_activity = last_activity
        self._on_finished = on_finished
        self._started = loop.time()
        self._result: asyncio.Future[RecordingResult] = loop.create_future()
        self._finishing = False
        self._watchdog: asyncio.TimerHandle | None = None
        if max_duration is not None or silence_timeout is not None:
            self._watchdog = loop.call_later(CHECK_INTERVAL, self._check)

    @property
    def duration(self) -> float:
        """Seconds of audio written so far."""
        return self._recorder.duration

    @property
    def done(self) -> bool:
        """True once the recording has stopped (the file may still be being finished)."""
        return self._finishing

    def switch_codec(self, codec: Codec) -> None:
        """Follow a codec change of the call; ends the recording if its file cannot."""
        if not self._recorder.switch_codec(codec):
            self.finish("stopped")

    def feed(self, packet: RtpPacket, now: float | None = None) -> None:
        """One in-order audio packet of the call, released at loop time ``now``."""
        reason = self._recorder.feed(packet, now)
        if reason is not None:
            self.finish(reason)

    def feed_pcm(self, pcm: bytes, timestamp: int, source: int = 0) -> None:
        """Decoded audio (legs that decode for us)."""
        reason = self._recorder.feed_pcm(pcm, timestamp, source)
        if reason is not None:
            self.finish(reason)

    def stop(self) -> None:
        """End the recording now (kept if longer than the minimum)."""
        self.finish("stopped")

    async def wait(self) -> RecordingResult:
        return await asyncio.shield(self._result)

    def finish(self, reason: str) -> None:
        """Stop recording; the file is finished atomically (or discarded) off the packet
        path and :meth:`wait` resolves when it is in place. Idempotent."""
        if self._finishing:
            return
        self._finishing = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        self._on_finished(self)
        if reason != "max_duration":  # the call's time since the last packet is silence
            self._recorder.catch_up(self.loop.time())
        try:
            finished = self._recorder.finish_future(reason)
        except OSError as exc:
            self._failed(exc)
            return
        asyncio.wrap_future(finished, loop=self.loop).add_done_callback(self._resolved)

    def _resolved(self, finished: asyncio.Future[RecordingResult]) -> None:
        error = finished.exception()
        if error is not None:
            self._failed(error)
        elif not self._result.done():
            self._result.set_result(finished.result())

    def _failed(self, error: BaseException) -> None:
        _log.error("recording %s could not be finished: %s", self.path, error)
        if not self._result.done():
            self._result.set_result(RecordingResult(None, self._recorder.duration, "failed"))

    def _check(self) -> None:
        self._watchdog = None
        now = self.loop.time()
        quiet_since = max(self._last_activity(), self._started)
        if self._silence_timeout is not None and now - quiet_since >= self._silence_timeout:
            self.finish("silence")
        elif self._max_duration is not None and now - self._started >= self._max_duration + 1.0:
            self.finish("max_duration")
        else:
            self._watchdog = self.loop.call_later(CHECK_INTERVAL, self._check)
