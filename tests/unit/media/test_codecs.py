import numpy as np
import pytest

from media import g711
from media.codecs import PCMA, PCMU, get_codec
from media.tones import tone

ALL_SAMPLES = np.arange(-32768, 32768, dtype="<i2").tobytes()


def test_registry() -> None:
    assert get_codec("pcmu") is PCMU and get_codec("PCMA") is PCMA
    assert (PCMU.payload_type, PCMA.payload_type) == (0, 8)
    assert (PCMU.wav_format, PCMA.wav_format) == (7, 6)
    with pytest.raises(KeyError, match="unknown codec 'G729'"):
        get_codec("G729")


def test_table_fallback_matches_audioop_bit_for_bit() -> None:
    assert g711.linear_to_ulaw(ALL_SAMPLES) == PCMU.encode(ALL_SAMPLES)
    assert g711.linear_to_alaw(ALL_SAMPLES) == PCMA.encode(ALL_SAMPLES)
    codes = bytes(range(256))
    assert g711.ulaw_to_linear(codes) == PCMU.decode(codes)
    assert g711.alaw_to_linear(codes) == PCMA.decode(codes)


@pytest.mark.parametrize("codec", [PCMU, PCMA], ids=lambda c: c.name)
def test_round_trip_error_is_small(codec: object) -> None:
    pcm = tone([440.0], 0.1, level=0.5)
    back = codec.decode(codec.encode(pcm))  # type: ignore[attr-defined]
    a = np.frombuffer(pcm, "<i2").astype(float)
    b = np.frombuffer(back, "<i2").astype(float)
    assert len(back) == len(pcm)
    assert np.max(np.abs(a - b)) <= np.max(np.abs(a)) / 16  # G.711 is ~4 bits of mantissa


def test_silence_octets_decode_to_near_zero() -> None:
    for codec in (PCMU, PCMA):
        (value,) = np.frombuffer(codec.decode(bytes([codec.silence_octet])), "<i2")
        assert abs(int(value)) <= 8
