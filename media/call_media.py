"""The media of one call as the call application uses it, whatever kind of leg carries it.

:class:`CallMedia` is met by the plain RTP :class:`~media.session.MediaSession` and the
DTLS-SRTP :class:`~media.webrtc.WebRtcSession`; :mod:`media.legs` creates the right one for
an offer. Renegotiation is awaitable here (the WebRTC leg needs the network for it); the
plain session also keeps its synchronous ``offer``/``update``/``apply_answer`` for code that
holds a :class:`~media.session.MediaSession` itself. SDP goes in and out as text.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Protocol

from media.dtmf import DtmfDigit
from media.recorder import RecordingResult
from media.recording import Recording
from media.sdp import SessionDescription
from media.stream import RtpStats
from media.wav import FORMAT_PCM, WavAudio

__all__ = ["CallMedia"]


class CallMedia(Protocol):
    """Offer/answer (RFC 3264), prompts, recording, DTMF and hang-up of one call's media."""

    on_dtmf: Callable[[DtmfDigit], None] | None
    """Called with each digit the peer sends (they are also queued for :meth:`read_digits`)."""

    @property
    def closed(self) -> bool: ...

    @property
    def local_sdp(self) -> SessionDescription | None:
        """Our last offer or answer."""
        ...

    @property
    def stats(self) -> RtpStats: ...

    async def reoffer(self, direction: str | None = None) -> str:
        """Our (re-)offer, e.g. ``"sendonly"`` to hold and ``"sendrecv"`` to resume (§8.4);
        the peer's answer goes to :meth:`accept_answer`."""
        ...

    async def answer_reoffer(self, offer: str | bytes, direction: str | None = None) -> str:
        """Answer a re-offer from the peer (hold, resume, new address or codec)."""
        ...

    async def accept_answer(self, answer: str | bytes) -> None:
        """Apply the peer's answer to our outstanding offer (the first or a re-offer)."""
        ...

    async def play(self, source: bytes | WavAudio | str | os.PathLike[str]) -> bool:
        """Play PCM16 at the codec's rate, a :class:`WavAudio` or a WAV path; True if played to
        the end, False if interrupted by :meth:`stop_playback`, hold or close."""
        ...

    def stop_playback(self) -> None:
        """Barge-in: drop queued prompts; their :meth:`play` calls return False."""
        ...

    async def send_dtmf(self, digits: str, duration: float = 0.1) -> bool:
        """Send RFC 4733 telephone events; :class:`~media.errors.MediaError` where the leg
        has none."""
        ...

    async def read_digits(
        self, max_digits: int = 1, inter_digit: float | None = None, terminators: str = "#"
    ) -> str:
        """Collect digits until ``max_digits``, a terminator (not included) or ``inter_digit``
        seconds without a new digit."""
        ...

    def record(
        self,
        path: str | os.PathLike[str],
        max_duration: float | None = None,
        min_duration: float = 0.0,
        silence_timeout: float | None = None,
        wav_format: int = FORMAT_PCM,
        silence_threshold_dbfs: float = -45.0,
    ) -> Recording:
        """Record what the peer sends into a WAV file (written atomically on finish); ends at
        ``max_duration``, after ``silence_timeout`` seconds of silence, on stop or close; a
        recording shorter than ``min_duration`` is discarded."""
        ...

    async def close(self) -> RecordingResult | None:
        """Hang up: stop playback, finish any recording (its result), free the transport."""
        ...
