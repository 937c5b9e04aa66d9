"""Sentences of the mailbox menu composed from prompt pieces, and where each piece's audio is.

:func:`count_sentence` ("You have 2 new and no saved messages"), :func:`envelope` ("Message
from 4 7 1 2 …, received yesterday at 2 oh 5 P M" or "… from a hidden number …") and
:func:`number_words` return tuples of :class:`~tas.voicemail.menu_prompts.Prompt`; the menu
(:mod:`tas.voicemail.menu`) plays them. :class:`PromptSet` maps a piece to a WAV file: the
operator's ``[voicemail] prompts_dir/<name>.wav`` when present and valid, else the shipped one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

from tas.voicemail.errors import InvalidAudio
from tas.voicemail.menu_prompts import NUMBERS, Prompt
from tas.voicemail.wavfile import probe_wav

__all__ = [
    "SHIPPED_PROMPTS",
    "PromptSet",
    "count_sentence",
    "envelope",
    "number_words",
    "spoken_digits",
    "spoken_time",
]

log = logging.getLogger(__name__)

SHIPPED_PROMPTS = Path(__file__).parent / "assets" / "menu"
_WEEKDAYS = (Prompt.MONDAY, Prompt.TUESDAY, Prompt.WEDNESDAY, Prompt.THURSDAY, Prompt.FRIDAY,
             Prompt.SATURDAY, Prompt.SUNDAY)  # fmt: skip
_MONTHS = (Prompt.JANUARY, Prompt.FEBRUARY, Prompt.MARCH, Prompt.APRIL, Prompt.MAY, Prompt.JUNE,
           Prompt.JULY, Prompt.AUGUST, Prompt.SEPTEMBER, Prompt.OCTOBER, Prompt.NOVEMBER,
           Prompt.DECEMBER)  # fmt: skip


def number_words(n: int) -> tuple[Prompt, ...]:
    """``n`` (0-999) as words: 42 → forty two, 305 → three hundred five; 1000 and more are
    read digit by digit."""
    if n < 0:
        raise ValueError(f"cannot say a negative count {n}")
    if n >= 1000:
        return spoken_digits(str(n))
    hundreds, rest = divmod(n, 100)
    words: tuple[Prompt, ...] = (NUMBERS[hundreds], Prompt.HUNDRED) if hundreds else ()
    if rest == 0:
        return words or (NUMBERS[0],)
    if rest <= 20 or rest % 10 == 0:
        return (*words, NUMBERS[rest])
    return (*words, NUMBERS[rest - rest % 10], NUMBERS[rest % 10])


def spoken_digits(number: str) -> tuple[Prompt, ...]:
    """A phone number digit by digit (``+`` and other non-digits are not read)."""
    return tuple(NUMBERS[int(c)] for c in number if c in "0123456789")


def count_sentence(new: int, saved: int) -> tuple[Prompt, ...]:
    """ "You have N new and M saved messages" (``no`` for zero; ``message`` for one in all)."""

    def amount(n: int) -> tuple[Prompt, ...]:
        return (Prompt.NO,) if n == 0 else number_words(n)

    noun = Prompt.MESSAGE if saved == 1 or (saved == 0 and new == 1) else Prompt.MESSAGES
    return (Prompt.YOU_HAVE, *amount(new), Prompt.NEW, Prompt.AND, *amount(saved),
            Prompt.SAVED, noun)  # fmt: skip


def spoken_time(when: datetime, now: datetime, tz: tzinfo) -> tuple[Prompt, ...]:
    """When a message came, in ``tz``: "today", "yesterday", a weekday within the last week,
    else month and day; then "at" the 12-hour time ("2 oh 5 P M", "11 o'clock A M")."""
    local, today = when.astimezone(tz), now.astimezone(tz).date()
    age = (today - local.date()).days
    if age == 0:
        day: tuple[Prompt, ...] = (Prompt.TODAY,)
    elif age == 1:
        day = (Prompt.YESTERDAY,)
    elif 1 < age < 7:
        day = (_WEEKDAYS[local.weekday()],)
    else:
        day = (_MONTHS[local.month - 1], *number_words(local.day))
    hour = local.hour % 12 or 12
    if local.minute == 0:
        minutes: tuple[Prompt, ...] = (Prompt.OCLOCK,)
    elif local.minute < 10:
        minutes = (Prompt.OH, NUMBERS[local.minute])
    else:
        minutes = number_words(local.minute)
    noon = Prompt.AM if local.hour < 12 else Prompt.PM
    return (*day, Prompt.AT, *number_words(hour), *minutes, noon)


def envelope(caller_number: str, when: datetime, now: datetime, tz: tzinfo) -> tuple[Prompt, ...]:
    """ "Message from <digits | a hidden number>, received <when>"; ``caller_number`` is ""
    for a hidden or number-less caller (:attr:`tas.voicemail.models.Voicemail.caller_number`)."""
    source = spoken_digits(caller_number) if caller_number else (Prompt.HIDDEN_NUMBER,)
    return (Prompt.MESSAGE_FROM, *source, Prompt.RECEIVED, *spoken_time(when, now, tz))


@dataclass(frozen=True, slots=True)
class PromptSet:
    """Where each piece's audio is: ``overrides`` (valid custom files) before the shipped set."""

    overrides: dict[Prompt, Path] = field(default_factory=dict)
    shipped: Path = SHIPPED_PROMPTS

    @classmethod
    def load(cls, prompts_dir: Path | None) -> PromptSet:
        """Take every ``<name>.wav`` of ``prompts_dir`` that names a piece and is 8 kHz mono
        (PCM16 or G.711 WAV); anything else there is logged and left out (the shipped piece
        plays instead), so one bad file never silences the menu."""
        overrides: dict[Prompt, Path] = {}
        if prompts_dir is None:
            return cls(overrides)
        if not prompts_dir.is_dir():
            log.warning("voicemail prompts_dir %s is not a directory; shipped prompts", prompts_dir)
            return cls(overrides)
        known = {p.value: p for p in Prompt}
        for path in sorted(prompts_dir.glob("*.wav")):
            piece = known.get(path.stem)
            if piece is None:
                log.warning("custom prompt %s names no prompt piece; ignored", path)
                continue
            try:
                info = probe_wav(path)
            except InvalidAudio as exc:
                log.warning("custom prompt %s ignored: %s", path, exc)
                continue
            if (info.rate, info.channels) != (8000, 1):
                log.warning("custom prompt %s ignored: not 8 kHz mono", path)
                continue
            overrides[piece] = path
        return cls(overrides)

    def path(self, piece: Prompt) -> Path:
        """The WAV file to play for ``piece``."""
        return self.overrides.get(piece) or self.shipped / f"{piece.value}.wav"
