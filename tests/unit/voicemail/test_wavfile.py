"""WAV header probing (PCM16 and G.711 WAV as the recorder writes them) and durable writes."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tas.voicemail import InvalidAudio
from tas.voicemail.wavfile import pcm16_wav, probe_wav, temp_path, write_durably


def g711_wav(tag: int, data: bytes) -> bytes:
    fmt = struct.pack("<4sIHHIIHHH", b"fmt ", 18, tag, 1, 8000, 8000, 1, 8, 0)
    fact = struct.pack("<4sII", b"fact", 4, len(data))
    body = b"WAVE" + fmt + fact + struct.pack("<4sI", b"data", len(data)) + data
    return struct.pack("<4sI", b"RIFF", len(body)) + body


def test_probe_pcm16() -> None:
    info = probe_wav(pcm16_wav(bytes(16000)))
    assert (info.format, info.rate, info.channels, info.bits, info.codec) == (
        1,
        8000,
        1,
        16,
        "pcm16",
    )
    assert info.duration == 1.0


@pytest.mark.parametrize(("tag", "codec"), [(6, "alaw"), (7, "ulaw")])
def test_probe_g711_skips_fact_chunk(tag: int, codec: str) -> None:
    info = probe_wav(g711_wav(tag, bytes(12000)))
    assert info.codec == codec and info.duration == 1.5


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not a RIFF/WAVE"),
        (b"RIFF\0\0\0\0WAVE", "no data chunk"),
        (pcm16_wav(bytes(1000))[:-10], "truncated"),
        (g711_wav(2, bytes(10)), "unsupported WAV format"),
    ],
    ids=["empty", "no-data-chunk", "truncated", "adpcm"],
)
def test_probe_says_what_is_wrong(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidAudio, match=reason):
        probe_wav(data)


def test_probe_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidAudio, match="cannot read"):
        probe_wav(tmp_path / "absent.wav")


def test_write_durably_replaces_whole_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.wav"
    write_durably(target, b"one")
    write_durably(target, b"two")
    assert target.read_bytes() == b"two"
    assert not temp_path(target).exists()
    assert sorted(p.name for p in target.parent.iterdir()) == ["b.wav"]
