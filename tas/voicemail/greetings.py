"""Greetings per mailbox and reason, as 8 kHz mono 16-bit WAV files, and the shipped default.

Layout: ``<root>/<digits>/<kind>.wav`` (:class:`GreetingKind`: a reason's greeting, or the
mailbox owner's recorded ``name``). The greeting played for a reason is the mailbox's own
for that reason, else (for ``no-answer``) its own ``unavailable``, else its own ``default``,
else :data:`DEFAULT_GREETING`.

``assets/default_greeting.wav`` is generated, not downloaded (espeak-ng 1.51, SoX 14.4)::

    espeak-ng -v en-us -s 150 -w /tmp/vm_greet_raw.wav \\
      "The person you are calling cannot take your call right now. \\
    Please leave a message after the tone."
    sox /tmp/vm_greet_raw.wav -r 8000 -c 1 -b 16 -e signed-integer \\
      tas/voicemail/assets/default_greeting.wav
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from media import tones
from tas.voicemail.errors import InvalidAudio
from tas.voicemail.ids import check_number
from tas.voicemail.models import Reason
from tas.voicemail.wavfile import fsync_dir, probe_wav, write_durably

__all__ = [
    "BEEP_HZ",
    "BEEP_SECONDS",
    "DEFAULT_GREETING",
    "GREETING_RATE",
    "GreetingKind",
    "Greetings",
    "beep",
]

DEFAULT_GREETING = Path(__file__).parent / "assets" / "default_greeting.wav"
GREETING_RATE = 8000
BEEP_HZ = 1000.0
BEEP_SECONDS = 0.4
#: Greetings tried after a reason's own: "no answer" is a kind of "not available".
_FALLBACK = {Reason.NO_ANSWER: (Reason.UNAVAILABLE,)}


class GreetingKind(StrEnum):
    """What a custom greeting is for: each :class:`Reason` (played for calls that came for it),
    or the owner's spoken ``name``."""

    BUSY = Reason.BUSY.value
    UNAVAILABLE = Reason.UNAVAILABLE.value
    NO_ANSWER = Reason.NO_ANSWER.value
    UNCONDITIONAL = Reason.UNCONDITIONAL.value
    DEFAULT = Reason.DEFAULT.value
    NAME = "name"


def beep() -> bytes:
    """The record-after-the-tone beep, made at run time: 1 kHz, 400 ms, 8 kHz mono PCM16 LE."""
    return tones.beep(BEEP_HZ, BEEP_SECONDS, GREETING_RATE)


class Greetings:
    """Custom greetings on disk; small files, so the methods are synchronous."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def greeting_for(self, number: str, reason: Reason | str = Reason.DEFAULT) -> Path:
        """The WAV to play before the beep for a call to ``number`` that came for ``reason``."""
        directory = self._dir(number)
        reason = Reason(reason)
        for candidate in (reason, *_FALLBACK.get(reason, ()), Reason.DEFAULT):
            path = directory / f"{candidate.value}.wav"
            if path.is_file():
                return path
        return DEFAULT_GREETING

    def set_greeting(self, number: str, kind: GreetingKind | Reason | str, wav: bytes) -> Path:
        """Store a custom greeting; it must be 8 kHz mono 16-bit PCM WAV (any other audio goes
        through :func:`tas.voicemail.greeting_audio.prepare_greeting` first)."""
        info = probe_wav(wav)
        if (info.format, info.rate, info.channels, info.bits) != (1, GREETING_RATE, 1, 16):
            raise InvalidAudio(
                f"a greeting must be 8 kHz mono 16-bit PCM WAV, not {info.rate} Hz "
                f"{info.channels} channel(s) {info.bits}-bit {info.codec}"
            )
        path = self._dir(number) / f"{GreetingKind(kind).value}.wav"
        write_durably(path, wav)
        return path

    def custom_greetings(self, number: str) -> dict[GreetingKind, Path]:
        directory = self._dir(number)
        return {
            kind: directory / f"{kind.value}.wav"
            for kind in GreetingKind
            if (directory / f"{kind.value}.wav").is_file()
        }

    def delete_greeting(self, number: str, kind: GreetingKind | str) -> bool:
        """Drop one custom greeting (that reason falls back again); whether there was one."""
        path = self._dir(number) / f"{GreetingKind(kind).value}.wav"
        if not path.is_file():
            return False
        path.unlink()
        fsync_dir(path.parent)
        return True

    def reset_greeting(self, number: str) -> int:
        """Drop every custom greeting of ``number`` (back to the default); returns how many."""
        removed = self.custom_greetings(number)
        for path in removed.values():
            path.unlink(missing_ok=True)
        if removed:
            fsync_dir(self._dir(number))
        return len(removed)

    def _dir(self, number: str) -> Path:
        return self.root / check_number(number)[1:]
