"""G.711 µ-law and A-law (ITU-T G.711) as lookup tables: the fallback when ``audioop`` is gone."""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

__all__ = ["alaw_to_linear", "linear_to_alaw", "linear_to_ulaw", "ulaw_to_linear"]

_BIAS = 0x84


def _ulaw_encode_one(sample: int) -> int:
    value = sample >> 2  # G.711 works on 14-bit magnitudes
    mask = 0x7F if value < 0 else 0xFF
    value = min(-value if value < 0 else value, 8159) + (_BIAS >> 2)
    segment = max(value.bit_length() - 6, 0)
    if segment > 7:
        return 0x7F ^ mask
    return (((segment << 4) | ((value >> (segment + 1)) & 0x0F)) ^ mask) & 0xFF


def _ulaw_decode_one(code: int) -> int:
    code = ~code & 0xFF
    magnitude = ((((code & 0x0F) << 3) + _BIAS) << ((code >> 4) & 0x07)) - _BIAS
    return -magnitude if code & 0x80 else magnitude


def _alaw_encode_one(sample: int) -> int:
    sign = 0x80 if sample >= 0 else 0
    magnitude = min(sample if sample >= 0 else -sample - 1, 32767) >> 3
    if magnitude < 32:
        code = magnitude >> 1
    else:
        exponent = magnitude.bit_length() - 5
        code = (exponent << 4) | ((magnitude >> exponent) & 0x0F)
    return (sign | code) ^ 0x55


def _alaw_decode_one(code: int) -> int:
    code ^= 0x55
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    if exponent == 0:
        magnitude = (mantissa << 4) + 8
    else:
        magnitude = ((mantissa << 4) + 0x108) << (exponent - 1)
    return magnitude if code & 0x80 else -magnitude


@cache
def _tables() -> tuple[
    npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.int16], npt.NDArray[np.int16]
]:
    """µ-law/A-law encode tables (65536 entries) and decode tables (256), built on first use."""
    samples = range(-32768, 32768)
    return (
        np.array([_ulaw_encode_one(s) for s in samples], dtype=np.uint8),
        np.array([_alaw_encode_one(s) for s in samples], dtype=np.uint8),
        np.array([_ulaw_decode_one(c) for c in range(256)], dtype="<i2"),
        np.array([_alaw_decode_one(c) for c in range(256)], dtype="<i2"),
    )


def _encode(table: npt.NDArray[np.uint8], pcm: bytes) -> bytes:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.int32) + 32768
    return table[samples].tobytes()


def linear_to_ulaw(pcm: bytes) -> bytes:
    """16-bit little-endian PCM to µ-law octets."""
    return _encode(_tables()[0], pcm)


def linear_to_alaw(pcm: bytes) -> bytes:
    """16-bit little-endian PCM to A-law octets."""
    return _encode(_tables()[1], pcm)


def ulaw_to_linear(data: bytes) -> bytes:
    """µ-law octets to 16-bit little-endian PCM."""
    return _tables()[2][np.frombuffer(data, dtype=np.uint8)].tobytes()


def alaw_to_linear(data: bytes) -> bytes:
    """A-law octets to 16-bit little-endian PCM."""
    return _tables()[3][np.frombuffer(data, dtype=np.uint8)].tobytes()
