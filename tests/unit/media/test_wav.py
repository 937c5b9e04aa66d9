from pathlib import Path

import pytest

from media.codecs import PCMA, PCMU
from media.errors import WavError
from media.tones import beep
from media.wav import (
    FORMAT_ALAW,
    FORMAT_PCM,
    FORMAT_ULAW,
    WavWriter,
    parse_wav_header,
    read_wav,
    write_wav,
)


@pytest.mark.parametrize("fmt", [FORMAT_PCM, FORMAT_ALAW, FORMAT_ULAW])
def test_write_then_read(tmp_path: Path, fmt: int) -> None:
    pcm = beep(duration=0.1)
    data = {FORMAT_PCM: pcm, FORMAT_ALAW: PCMA.encode(pcm), FORMAT_ULAW: PCMU.encode(pcm)}[fmt]
    path = write_wav(tmp_path / "a.wav", data, fmt)
    audio = read_wav(path)
    assert (audio.format, audio.rate, audio.channels, audio.data) == (fmt, 8000, 1, data)
    assert audio.duration == pytest.approx(0.1)
    decoded = audio.pcm16()
    assert len(decoded) == len(pcm)


def test_stdlib_wave_reads_our_pcm(tmp_path: Path) -> None:
    import wave

    write_wav(tmp_path / "a.wav", beep(duration=0.05))
    with wave.open(str(tmp_path / "a.wav")) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (
            1,
            2,
            8000,
            400,
        )


def test_writer_is_atomic_and_abort_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "rec.wav"
    writer = WavWriter(target, FORMAT_ULAW)
    writer.write(b"\xff" * 1601)
    assert not target.exists() and len(list(tmp_path.iterdir())) == 1
    assert writer.duration == pytest.approx(1601 / 8000)
    assert writer.close() == target
    assert list(tmp_path.iterdir()) == [target]
    assert len(read_wav(target).data) == 1601  # odd size padded in the file, not in the data
    with pytest.raises(WavError, match="after close"):
        writer.write(b"x")
    other = WavWriter(tmp_path / "gone.wav")
    other.write(b"\0\0")
    other.abort()
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not a RIFF/WAVE"),
        (b"RIFF\0\0\0\0WAVX", "not a RIFF/WAVE"),
        (b"RIFF\0\0\0\0WAVE", "no fmt chunk"),
        (b"RIFF\0\0\0\0WAVEdata\0\0\0\0", "data chunk before fmt"),
        (b"RIFF\0\0\0\0WAVEfmt \x04\0\0\0abcd", "fmt chunk of 4"),
    ],
)
def test_bad_files(data: bytes, reason: str) -> None:
    with pytest.raises(WavError, match=reason):
        read_wav(data)


def test_unsupported_and_truncated(tmp_path: Path) -> None:
    good = write_wav(tmp_path / "a.wav", bytes(100)).read_bytes()
    with pytest.raises(WavError, match="truncated data chunk"):
        read_wav(good[:-10])
    float_wav = good[:20] + b"\x03\x00" + good[22:]
    with pytest.raises(WavError, match="unsupported WAV format tag 3"):
        read_wav(float_wav)
    with pytest.raises(WavError, match="no data chunk"):
        read_wav(good[:36])
    with pytest.raises(WavError, match="cannot write"):
        WavWriter(tmp_path / "x.wav", 3)


def test_writes_and_finish_in_a_worker_thread(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    data = bytes(range(256)) * 400  # 102400 octets: several chunks
    with ThreadPoolExecutor(max_workers=1) as files:
        writer = WavWriter(tmp_path / "t.wav", FORMAT_ULAW, executor=files)
        for i in range(0, len(data), 160):
            writer.write(data[i : i + 160])
        future = writer.close_future()
        assert future.result(timeout=10) == tmp_path / "t.wav"
        dropped = WavWriter(tmp_path / "gone.wav", executor=files)
        dropped.write(b"\0\0" * 20000)
        dropped.abort()
    assert read_wav(tmp_path / "t.wav").data == data
    assert [p.name for p in tmp_path.iterdir()] == ["t.wav"]


def test_a_failed_disk_write_discards_the_file(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    class FullDisk:
        def write(self, data: bytes) -> int:
            raise OSError(28, "No space left on device")

        def close(self) -> None:
            pass

    with ThreadPoolExecutor(max_workers=1) as files:
        writer = WavWriter(tmp_path / "full.wav", executor=files)
        real = writer._file
        writer._file = FullDisk()  # type: ignore[assignment]
        writer.write(bytes(WavWriter.CHUNK))
        with pytest.raises(OSError, match="No space left"):
            writer.close()
        assert real is not None
        real.close()
    assert list(tmp_path.iterdir()) == []


def test_header_is_read_from_the_first_octets_only(tmp_path: Path) -> None:
    data = write_wav(tmp_path / "a.wav", bytes(16000)).read_bytes()
    header = parse_wav_header(data[:64], len(data))  # no samples needed
    assert (header.format, header.rate, header.channels, header.bits) == (FORMAT_PCM, 8000, 1, 16)
    assert header.data_offset + header.data_size == len(data) and header.duration == 1.0
    with pytest.raises(WavError, match="truncated data chunk"):
        parse_wav_header(data[:64], len(data) - 1)


def test_empty_channels_or_rate_are_refused() -> None:
    fmt = (
        b"fmt " + (16).to_bytes(4, "little") + bytes([1, 0, 0, 0]) + bytes(8) + bytes([2, 0, 16, 0])
    )
    with pytest.raises(WavError, match="unsupported WAV format tag 1"):
        parse_wav_header(b"RIFF\0\0\0\0WAVE" + fmt + b"data\0\0\0\0")
