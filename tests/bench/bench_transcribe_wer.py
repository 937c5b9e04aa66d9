"""Word error rate of :func:`tas.voicemail.transcribe.transcribe` (PocketSphinx en-US) on five
messages spoken by espeak-ng and converted to 8 kHz mono 16-bit with sox, like voicemail audio.
Run: ``python -m tests.bench.bench_transcribe_wer``."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from tas.voicemail.transcribe import transcribe, word_error_rate

SENTENCES = (
    "please call me back when you get this message",
    "the meeting has been moved to three o'clock tomorrow",
    "hello this is your doctor calling about your appointment",
    "i will be late for dinner tonight",
    "your package will arrive on monday morning",
)


def speak(text: str, folder: Path) -> bytes:
    """``text`` as 8 kHz mono 16-bit WAV (espeak-ng, then sox)."""
    raw, out = folder / "raw.wav", folder / "8k.wav"
    subprocess.run(["espeak-ng", "-w", str(raw), text], check=True, timeout=30)
    subprocess.run(
        ["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)], check=True, timeout=30
    )
    return out.read_bytes()


def measure() -> list[tuple[str, str, float]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for sentence in SENTENCES:
            heard = transcribe(speak(sentence, Path(tmp)))
            rows.append((sentence, heard, word_error_rate(sentence, heard)))
    return rows


def main() -> None:
    rows = measure()
    for sentence, heard, wer in rows:
        print(f"{wer:5.2f}  {sentence!r} -> {heard!r}")
    total = sum(len(s.split()) * w for s, _, w in rows) / sum(len(s.split()) for s, _, _ in rows)
    print(f"WER (word-weighted, {len(rows)} messages): {total:.3f}")


if __name__ == "__main__":
    main()
