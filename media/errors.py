"""Errors of the media engine: every bad input gets one of these, with the reason."""

from __future__ import annotations

__all__ = ["MediaError", "OfferAnswerError", "PacketError", "SdpError", "WavError"]


class MediaError(Exception):
    """Base class of every error the media package raises on purpose."""


class PacketError(MediaError, ValueError):
    """An RTP, RTCP or RFC 4733 packet that cannot be parsed; ``str()`` says why."""


class SdpError(MediaError, ValueError):
    """A session description that violates RFC 8866 (line number in the message)."""


class OfferAnswerError(MediaError):
    """An offer or answer we cannot accept (RFC 3264); ``status`` is the SIP response to send."""

    def __init__(self, reason: str, status: int = 488) -> None:
        super().__init__(reason)
        self.status = status


class WavError(MediaError, ValueError):
    """A WAV file that is not RIFF/WAVE or uses a format we do not read."""
