"""What a call leg takes in for the application, on either kind of leg: DTMF digits (a
queue for :meth:`CallCapture.read_digits` and the ``on_dtmf`` callback) and the one recording
at a time (:class:`~media.recording.Recording`). The leg feeds it audio and digits as they
arrive; how they arrive (RTP packets, decoded WebRTC frames) stays with the leg.

:class:`CapturingLeg` is the part of :class:`~media.call_media.CallMedia` this serves
(``on_dtmf``, ``read_digits``, ``record``), written once for both kinds of leg.
"""

from __future__ import annotations

import asyncio
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Executor

from media.codecs import Codec
from media.dtmf import DtmfDigit
from media.errors import MediaError
from media.recorder import RecordingResult
from media.recording import Recording
from media.rtp import RtpPacket
from media.wav import FORMAT_PCM

__all__ = ["CallCapture", "CapturingLeg"]

_log = logging.getLogger(__name__)


class CallCapture:
    """Digits and recording of one leg; ``last_rx`` is the loop time audio last arrived."""

    __slots__ = ("loop", "on_dtmf", "recording", "last_rx", "_executor", "_digits")

    def __init__(self, loop: asyncio.AbstractEventLoop, executor: Executor | None) -> None:
        self.loop = loop
        self.on_dtmf: Callable[[DtmfDigit], None] | None = None
        self.recording: Recording | None = None
        self.last_rx = loop.time()
        self._executor = executor
        #: made by the first digit or reader: an asyncio.Queue is ~3 KB (three deques and an
        #: Event), which every held call would carry though most never see a digit (issue 17)
        self._digits: asyncio.Queue[DtmfDigit] | None = None

    def _queue(self) -> asyncio.Queue[DtmfDigit]:
        if self._digits is None:
            self._digits = asyncio.Queue()
        return self._digits

    # --- digits -------------------------------------------------------------------------

    def digit(self, digit: DtmfDigit) -> None:
        """A digit arrived: queue it for :meth:`read_digits` and tell ``on_dtmf``."""
        self._queue().put_nowait(digit)
        if self.on_dtmf is not None:
            try:
                self.on_dtmf(digit)
            except Exception:
                _log.exception("on_dtmf handler failed")

    async def read_digits(
        self, max_digits: int = 1, inter_digit: float | None = None, terminators: str = "#"
    ) -> str:
        """Collect digits until ``max_digits``, a terminator (not included) or ``inter_digit``
        seconds without a new digit."""
        digits, queue = "", self._queue()
        while len(digits) < max_digits:
            try:
                digit = await asyncio.wait_for(queue.get(), inter_digit)
            except TimeoutError:
                break
            if digit.digit in terminators:
                break
            digits += digit.digit
        return digits

    # --- recording ----------------------------------------------------------------------

    def record(
        self,
        path: str | os.PathLike[str],
        codec: Codec,
        *,
        max_duration: float | None,
        min_duration: float,
        silence_timeout: float | None,
        wav_format: int,
        silence_threshold_dbfs: float,
    ) -> Recording:
        """Start recording into ``path`` (see ``record`` of :class:`~media.call_media.CallMedia`)."""
        if self.recording is not None and not self.recording.done:
            raise MediaError("already recording")
        recording = Recording.start(
            self.loop,
            path,
            codec,
            wav_format=wav_format,
            executor=self._executor,
            max_duration=max_duration,
            min_duration=min_duration,
            silence_timeout=silence_timeout,
            silence_threshold_dbfs=silence_threshold_dbfs,
            last_activity=lambda: self.last_rx,
            on_finished=self._finished,
        )
        self.recording = recording
        return recording

    def feed(self, audio: list[RtpPacket], now: float) -> None:
        """In-order audio packets released at loop time ``now``, into the recording if any."""
        recording = self.recording
        if recording is not None:
            for packet in audio:
                recording.feed(packet, now)
                if recording.done:
                    break

    async def finish(self) -> RecordingResult | None:
        """The leg closes: finish any recording (reason ``closed``) and wait for its file."""
        recording = self.recording
        if recording is None:
            return None
        recording.finish("closed")
        return await recording.wait()

    def _finished(self, recording: Recording) -> None:
        if self.recording is recording:
            self.recording = None


class CapturingLeg(ABC):
    """Digits and recording of a leg that keeps a :class:`CallCapture` in ``_capture``;
    the leg says which codec a recording starts on, or why it cannot start."""

    _capture: CallCapture

    @abstractmethod
    def _recording_codec(self) -> Codec:
        """The codec of what the peer sends now; :class:`MediaError` when we cannot record."""

    @property
    def on_dtmf(self) -> Callable[[DtmfDigit], None] | None:
        """Called with each digit the peer sends (also queued for :meth:`read_digits`)."""
        return self._capture.on_dtmf

    @on_dtmf.setter
    def on_dtmf(self, handler: Callable[[DtmfDigit], None] | None) -> None:
        self._capture.on_dtmf = handler

    async def read_digits(
        self, max_digits: int = 1, inter_digit: float | None = None, terminators: str = "#"
    ) -> str:
        """Collect digits until ``max_digits``, a terminator (not included) or ``inter_digit``
        seconds without a new digit."""
        return await self._capture.read_digits(max_digits, inter_digit, terminators)

    def record(
        self,
        path: str | os.PathLike[str],
        max_duration: float | None = None,
        min_duration: float = 0.0,
        silence_timeout: float | None = None,
        wav_format: int = FORMAT_PCM,
        silence_threshold_dbfs: float = -45.0,
    ) -> Recording:
        """Start recording what the peer sends into a WAV file (written atomically on finish).

        ``wav_format`` is 1 (PCM16) or the call codec's G.711 format (6 A-law, 7 µ-law).
        Ends at ``max_duration`` seconds of audio, after ``silence_timeout`` seconds of
        silence (or no packets), on :meth:`Recording.stop` or close; a recording
        shorter than ``min_duration`` is discarded.
        """
        return self._capture.record(
            path,
            self._recording_codec(),
            wav_format=wav_format,
            max_duration=max_duration,
            min_duration=min_duration,
            silence_timeout=silence_timeout,
            silence_threshold_dbfs=silence_threshold_dbfs,
        )
