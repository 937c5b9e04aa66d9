"""Word error rate of :func:`tas.voicemail.transcribe.transcribe` (PocketSphinx en-US) on five
messages spoken by espeak-ng and converted to 8 kHz mono 16-bit with sox, like voicemail audio.

One run measures, on the same sentences:

- three speakers: espeak-ng's default voice (``en``, British, 175 words/min: the figure reported
  before), ``en-us`` at 175 and ``en-us`` at 120 words/min;
- two ways up to the model's 16 kHz: the shipped linear interpolation
  (:func:`tas.voicemail.transcribe._resample`) and, as the peer, PyAV's anti-aliased resampler.

Run: ``python -m tests.bench.bench_transcribe_wer``."""

from __future__ import annotations

import io
import subprocess
import tempfile
import wave
from pathlib import Path

import av
import numpy as np
from av.audio.resampler import AudioResampler

from tas.voicemail.transcribe import transcribe, word_error_rate
from tas.voicemail.wavfile import pcm16_wav

SENTENCES = (
    "please call me back when you get this message",
    "the meeting has been moved to three o'clock tomorrow",
    "hello this is your doctor calling about your appointment",
    "i will be late for dinner tonight",
    "your package will arrive on monday morning",
)
SPEAKERS = {
    "en (default), 175 wpm": (),
    "en-us, 175 wpm": ("-v", "en-us"),
    "en-us, 120 wpm": ("-v", "en-us", "-s", "120"),
}


def speak(text: str, folder: Path, voice: tuple[str, ...] = ()) -> bytes:
    """``text`` as 8 kHz mono 16-bit WAV (espeak-ng with ``voice`` options, then sox).
    Without ``-R`` sox dithers with a new seed each run, and PocketSphinx hears some sentences
    differently from run to run (one went from 0.33 to 0.86 WER)."""
    raw, out = folder / "raw.wav", folder / "8k.wav"
    subprocess.run(["espeak-ng", *voice, "-w", str(raw), text], check=True, timeout=30)
    subprocess.run(
        # -R: sox's dither is seeded the same every run, so the audio (and the WER) repeat
        ["sox", "-R", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)],
        check=True,
        timeout=30,
    )
    return out.read_bytes()


def av_16k(wav: bytes) -> bytes:
    """``wav`` at 16 kHz through PyAV's (FFmpeg's) resampler, which low-passes."""
    with wave.open(io.BytesIO(wav)) as reader:
        rate, pcm = reader.getframerate(), reader.readframes(reader.getnframes())
    frame = av.AudioFrame.from_ndarray(
        np.frombuffer(pcm, dtype="<i2").reshape(1, -1), format="s16", layout="mono"
    )
    frame.sample_rate = rate
    resampler = AudioResampler(format="s16", layout="mono", rate=16000)
    frames = [*resampler.resample(frame), *resampler.resample(None)]
    return pcm16_wav(b"".join(bytes(f.planes[0])[: f.samples * 2] for f in frames), rate=16000)


def measure(
    voice: tuple[str, ...] = (), *, anti_aliased: bool = False
) -> list[tuple[str, str, float]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for sentence in SENTENCES:
            wav = speak(sentence, Path(tmp), voice)
            heard = transcribe(av_16k(wav) if anti_aliased else wav)
            rows.append((sentence, heard, word_error_rate(sentence, heard)))
    return rows


def weighted(rows: list[tuple[str, str, float]]) -> float:
    return sum(len(s.split()) * w for s, _, w in rows) / sum(len(s.split()) for s, _, _ in rows)


def main() -> None:
    for speaker, voice in SPEAKERS.items():
        for anti_aliased in (False, True):
            rows = measure(voice, anti_aliased=anti_aliased)
            how = "PyAV resampler (peer)" if anti_aliased else "linear (shipped)"
            print(f"WER {weighted(rows):.3f}  speaker {speaker}, to 16 kHz by {how}")
            for sentence, heard, wer in rows:
                print(f"    {wer:5.2f}  {sentence!r} -> {heard!r}")


if __name__ == "__main__":
    main()
