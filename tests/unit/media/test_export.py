from pathlib import Path

import av
import pytest

from media.codecs import PCMU
from media.errors import MediaError
from media.export import export_opus
from media.tones import dominant_frequency, tone
from media.wav import FORMAT_ULAW, write_wav


def decode(path: Path) -> bytes:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=8000)
    pcm = b""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "opus"
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                pcm += bytes(out.planes[0])[: 2 * out.samples]
    return pcm


def test_ulaw_voicemail_to_opus_keeps_length_and_pitch(tmp_path: Path) -> None:
    source = write_wav(tmp_path / "vm.wav", PCMU.encode(tone([600.0], 2.0, level=0.5)), FORMAT_ULAW)
    target = export_opus(source, tmp_path / "vm.opus")
    assert target.stat().st_size < source.stat().st_size / 3
    pcm = decode(target)
    assert len(pcm) / 16000 == pytest.approx(2.0, abs=0.03)
    assert dominant_frequency(pcm) == pytest.approx(600.0, abs=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vm.opus", "vm.wav"]


def test_unsupported_inputs(tmp_path: Path) -> None:
    odd = write_wav(tmp_path / "odd.wav", bytes(200), rate=11025)
    with pytest.raises(MediaError, match="11025 Hz"):
        export_opus(odd, tmp_path / "odd.opus")
    stereo = bytearray(write_wav(tmp_path / "st.wav", bytes(400)).read_bytes())
    stereo[22] = 2
    (tmp_path / "st.wav").write_bytes(bytes(stereo))
    with pytest.raises(MediaError, match="2 channels"):
        export_opus(tmp_path / "st.wav", tmp_path / "st.opus")
