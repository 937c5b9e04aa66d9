"""Which format ``tas voicemail export`` writes (tas.voicemail.export), and the refusal when this
FFmpeg lacks the encoder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tas.voicemail import export
from tas.voicemail.errors import InvalidAudio
from tas.voicemail.wavfile import pcm16_wav


@pytest.mark.parametrize(
    ("out", "fmt", "chosen"),
    [
        (None, None, "wav"),
        (None, "mp3", "mp3"),
        ("m.MP3", None, "mp3"),
        ("m.opus", None, "ogg"),
        ("m.ogg", "ogg", "ogg"),
        ("m.bin", "wav", "wav"),
    ],
)
def test_format_follows_the_extension_unless_given(
    out: str | None, fmt: export.ExportFormat | None, chosen: str
) -> None:
    assert export.export_format(Path(out) if out else None, fmt) == chosen


def test_mismatch_and_unknown_extension_are_refused() -> None:
    with pytest.raises(InvalidAudio, match=r"--format wav does not match x.mp3 \(mp3\)"):
        export.export_format(Path("x.mp3"), "wav")
    with pytest.raises(InvalidAudio, match="cannot tell the format of x.flac"):
        export.export_format(Path("x.flac"), None)


def test_missing_encoder_names_the_supported_formats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "encoder_available", lambda fmt: fmt == "wav")
    out = tmp_path / "m.mp3"
    with pytest.raises(
        InvalidAudio, match="MP3 export needs PyAV with libmp3lame; supported here: wav"
    ):
        export.export_audio(pcm16_wav(bytes(1600)), out, "mp3")
    assert not out.exists()
