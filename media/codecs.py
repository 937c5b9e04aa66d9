"""Codec registry: G.711 µ-law/A-law (RFC 3551 §4.5.14) on ``audioop`` or lookup tables."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

from media import g711

__all__ = ["CODECS", "PCMA", "PCMU", "Codec", "get_codec"]

Transcode = Callable[[bytes], bytes]


def _audioop_functions() -> tuple[Transcode, Transcode, Transcode, Transcode] | None:
    """The four G.711 converters from stdlib ``audioop`` (3.11/3.12) or ``audioop-lts``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import audioop
    except ImportError:  # pragma: no cover - Python 3.13+ without audioop-lts
        return None
    return (
        lambda pcm: audioop.lin2ulaw(pcm, 2),
        lambda data: audioop.ulaw2lin(data, 2),
        lambda pcm: audioop.lin2alaw(pcm, 2),
        lambda data: audioop.alaw2lin(data, 2),
    )


_FAST = _audioop_functions()


@dataclass(frozen=True, slots=True)
class Codec:
    """An audio codec: RTP encoding name, clock rate, static payload type and converters.

    ``encode`` takes 16-bit little-endian mono PCM at ``clock_rate``; ``decode`` returns it.
    ``wav_format`` is the WAVE format tag that stores the coded octets unchanged (6 A-law, 7 µ-law).
    """

    name: str
    clock_rate: int
    payload_type: int
    encode: Transcode
    decode: Transcode
    wav_format: int
    silence_octet: int

    def samples(self, payload: bytes) -> int:
        """Number of samples a payload carries (one octet per sample for G.711)."""
        return len(payload)


PCMU = Codec(
    "PCMU",
    8000,
    0,
    _FAST[0] if _FAST else g711.linear_to_ulaw,
    _FAST[1] if _FAST else g711.ulaw_to_linear,
    7,
    0xFF,
)
PCMA = Codec(
    "PCMA",
    8000,
    8,
    _FAST[2] if _FAST else g711.linear_to_alaw,
    _FAST[3] if _FAST else g711.alaw_to_linear,
    6,
    0xD5,
)
CODECS: dict[str, Codec] = {"PCMU": PCMU, "PCMA": PCMA}


def get_codec(name: str) -> Codec:
    """Codec by RTP encoding name (case-insensitive); :class:`KeyError` names the unknown one."""
    try:
        return CODECS[name.upper()]
    except KeyError:
        raise KeyError(f"unknown codec {name!r}; known: {', '.join(CODECS)}") from None
