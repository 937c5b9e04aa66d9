"""Prompt pieces, the shipped set and the sentences composed from them
(tas.voicemail.menu_prompts, tas.voicemail.menu_compose)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from media.wav import read_wav
from tas.voicemail.menu_compose import (
    SHIPPED_PROMPTS,
    PromptSet,
    count_sentence,
    envelope,
    number_words,
    spoken_digits,
    spoken_time,
)
from tas.voicemail.menu_prompts import TEXTS
from tas.voicemail.menu_prompts import Prompt as P
from tas.voicemail.wavfile import pcm16_wav

NOW = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)  # a Saturday


def test_every_piece_has_a_text_and_a_shipped_8khz_mono_recording() -> None:
    assert set(TEXTS) == set(P)
    shipped = {p.stem for p in SHIPPED_PROMPTS.glob("*.wav")}
    assert shipped == {p.value for p in P}
    for piece in P:
        audio = read_wav(SHIPPED_PROMPTS / f"{piece.value}.wav")
        assert (audio.rate, audio.channels) == (8000, 1)
        assert 0.2 < audio.duration < 10.0, piece


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, (P.N0,)),
        (7, (P.N7,)),
        (20, (P.N20,)),
        (21, (P.N20, P.N1)),
        (40, (P.N40,)),
        (99, (P.N90, P.N9)),
        (100, (P.N1, P.HUNDRED)),
        (305, (P.N3, P.HUNDRED, P.N5)),
        (999, (P.N9, P.HUNDRED, P.N90, P.N9)),
        (1200, (P.N1, P.N2, P.N0, P.N0)),
    ],
)
def test_number_words(n: int, words: tuple[P, ...]) -> None:
    assert number_words(n) == words


def test_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        number_words(-1)


def test_number_is_read_digit_by_digit_without_the_plus() -> None:
    assert spoken_digits("+47 905") == (P.N4, P.N7, P.N9, P.N0, P.N5)


@pytest.mark.parametrize(
    ("new", "saved", "sentence"),
    [
        (2, 3, (P.YOU_HAVE, P.N2, P.NEW, P.AND, P.N3, P.SAVED, P.MESSAGES)),
        (0, 0, (P.YOU_HAVE, P.NO, P.NEW, P.AND, P.NO, P.SAVED, P.MESSAGES)),
        (1, 0, (P.YOU_HAVE, P.N1, P.NEW, P.AND, P.NO, P.SAVED, P.MESSAGE)),
        (0, 1, (P.YOU_HAVE, P.NO, P.NEW, P.AND, P.N1, P.SAVED, P.MESSAGE)),
        (12, 1, (P.YOU_HAVE, P.N12, P.NEW, P.AND, P.N1, P.SAVED, P.MESSAGE)),
    ],
)
def test_count_sentence(new: int, saved: int, sentence: tuple[P, ...]) -> None:
    assert count_sentence(new, saved) == sentence


@pytest.mark.parametrize(
    ("when", "said"),
    [
        (NOW.replace(hour=0, minute=0), (P.TODAY, P.AT, P.N12, P.OCLOCK, P.AM)),
        (NOW.replace(hour=12, minute=45), (P.TODAY, P.AT, P.N12, P.N40, P.N5, P.PM)),
        (NOW - timedelta(days=1, hours=3, minutes=57), (P.YESTERDAY, P.AT, P.N1, P.OH, P.N3, P.PM)),
        (NOW - timedelta(days=3), (P.WEDNESDAY, P.AT, P.N5, P.OCLOCK, P.PM)),
        (NOW - timedelta(days=30), (P.NOVEMBER, P.N5, P.AT, P.N5, P.OCLOCK, P.PM)),
        (datetime(2026, 1, 23, 23, 59, tzinfo=UTC), (P.JANUARY, P.N20, P.N3, P.AT, P.N11, P.N50,
                                                     P.N9, P.PM)),
    ],
)  # fmt: skip
def test_spoken_time(when: datetime, said: tuple[P, ...]) -> None:
    assert spoken_time(when, NOW, UTC) == said


def test_spoken_time_is_in_the_mailbox_time_zone() -> None:
    oslo_winter = timezone(timedelta(hours=1))
    late = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)  # yesterday in UTC, today in Oslo
    assert spoken_time(late, NOW, oslo_winter) == (P.TODAY, P.AT, P.N12, P.N30, P.AM)
    assert spoken_time(late, NOW, UTC)[0] is P.YESTERDAY


def test_envelope_of_a_hidden_caller_says_hidden_number() -> None:
    said = envelope("", NOW, NOW, UTC)
    assert said[:3] == (P.MESSAGE_FROM, P.HIDDEN_NUMBER, P.RECEIVED)
    assert envelope("+4790", NOW, NOW, UTC)[:5] == (P.MESSAGE_FROM, P.N4, P.N7, P.N9, P.N0)


def test_custom_prompts_override_by_name_and_bad_files_are_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "goodbye.wav").write_bytes(pcm16_wav(b"\x00\x00" * 800))
    (tmp_path / "you_have.wav").write_bytes(pcm16_wav(b"\x00\x00" * 800, rate=16000))
    (tmp_path / "no_such_piece.wav").write_bytes(pcm16_wav(b"\x00\x00" * 800))
    (tmp_path / "new.wav").write_bytes(b"not a wav")
    with caplog.at_level(logging.WARNING):
        prompts = PromptSet.load(tmp_path)
    assert prompts.path(P.GOODBYE) == tmp_path / "goodbye.wav"
    assert prompts.path(P.YOU_HAVE) == SHIPPED_PROMPTS / "you_have.wav"  # 16 kHz: refused
    assert prompts.path(P.NEW) == SHIPPED_PROMPTS / "new.wav"
    assert len(caplog.records) == 3
    assert PromptSet.load(None).path(P.NEW) == SHIPPED_PROMPTS / "new.wav"
    assert PromptSet.load(tmp_path / "missing").overrides == {}
