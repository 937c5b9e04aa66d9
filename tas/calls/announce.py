"""Answering with an announcement, or with a DTMF menu (RFC 4733 digits).

* announcement: answer, play the policy's WAV (8 kHz mono) or the generated default chime
  (also when the WAV cannot be read), hang up.
* early announcement (a policy with ``early_media``): the same audio in 183 Session Progress
  with our SDP (RFC 3261 §13.3.1.1, RFC 3960 §3), never answered so nothing is charged, then
  the policy's final ``status``; without a usable offer the status at once.
* hold (the ``[invite]`` answer of a direct leg): answer, play the announcement once if one is
  set, then keep the call with silence on the wire (one RTP packet per ptime, RFC 3550 §5.1
  timing from the session's clock) until the caller's BYE or the hold time, then BYE.
* menu: answer, play the announcement (a key press interrupts it), wait for one digit; the
  digit's action runs: ``voicemail`` records a message on the same answered leg; ``answer``
  plays the announcement again; ``reject`` / ``observe`` hang up, and so does a ``forward``
  digit stored before ``tas policy set``/``load`` refused it (forwarding an answered leg would
  need a media relay the TAS does not do). No digit within :data:`DIGIT_TIMEOUT`: the announcement is repeated, at most
  :data:`MAX_ROUNDS` times.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from media import tones
from media.dtmf import DtmfDigit
from media.errors import MediaError
from media.wav import WavAudio, read_wav
from tas.calls.leg import AnsweredLeg
from tas.calls.policy import Action
from tas.calls.records import Outcome

__all__ = [
    "DIGIT_TIMEOUT",
    "MAX_ROUNDS",
    "announce",
    "announce_early",
    "answer_and_hold",
    "default_announcement",
    "read_announcement",
    "run_menu",
]

DIGIT_TIMEOUT = 8.0
MAX_ROUNDS = 3


def default_announcement() -> bytes:
    """Generated, not shipped: a three-note chime (8 kHz mono PCM16)."""
    notes = (tones.tone([660.0], 0.25), tones.tone([880.0], 0.25), tones.tone([1320.0], 0.4))
    gap = bytes(800)  # 50 ms of silence
    return gap.join(notes)


def read_announcement(announcement: str) -> WavAudio:
    """The announcement WAV, which must be 8 kHz mono; ``ValueError`` names the file and what is
    wrong (checked by ``tas policy set``/``load`` and again when a call plays it)."""
    try:
        audio = read_wav(Path(announcement))
    except FileNotFoundError:
        raise ValueError(f"announcement {announcement}: no such file") from None
    except (OSError, MediaError) as exc:
        raise ValueError(f"announcement {announcement}: {exc}") from None
    if (audio.rate, audio.channels) != (8000, 1):
        raise ValueError(
            f"announcement {announcement}: {audio.rate} Hz, {audio.channels} channel(s); "
            "want 8 kHz mono"
        )
    return audio


def _source(leg: AnsweredLeg, announcement: str | None) -> bytes | WavAudio:
    """The announcement's audio; the default chime when none is set or it cannot be read."""
    if not announcement:
        return default_announcement()
    try:
        return read_announcement(announcement)
    except ValueError as exc:
        leg.journal.note("announcement-unreadable", str(exc))
        return default_announcement()


async def announce(leg: AnsweredLeg, announcement: str | None) -> None:
    """Answer, play, hang up."""
    leg.journal.update(action=Action.ANSWER.value)
    session = await leg.answer()
    if session is None:
        _abandoned(leg)
        return
    leg.journal.update(outcome=Outcome.ANSWERED_BY_TAS.value)
    leg.journal.note("announcement", announcement or "default")
    played = await leg.race(session.play(_source(leg, announcement)))
    if played is None:
        leg.journal.note("announcement-interrupted", "caller hung up")
    leg.hang_up()


async def announce_early(leg: AnsweredLeg, announcement: str | None, status: int) -> None:
    """183 with SDP, play, then ``status`` (the caller is never answered)."""
    leg.journal.update(action=Action.ANSWER.value)
    session = await leg.early_media()
    if session is not None:
        leg.journal.note("announcement", announcement or "default")
        if await leg.race(session.play(_source(leg, announcement))) is None:
            leg.journal.note("announcement-interrupted", "caller hung up")
    if leg.is_ended:
        _abandoned(leg)
        return
    leg.reject(status)


async def answer_and_hold(
    leg: AnsweredLeg, announcement: str | None, seconds: float, ring: float | None = None
) -> None:
    """Answer, play ``announcement`` once (if set), hold with silence up to ``seconds`` after
    the answer, hang up (unless the caller did). With ``ring``: a 180 first (reliable when the
    caller requires 100rel, RFC 3262 §3), the 200 ``ring`` seconds later and after its PRACK."""
    leg.journal.update(action=Action.ANSWER.value)
    if ring is not None:
        leg.ring()
        if ring > 0:
            await leg.race(asyncio.sleep(ring))
        if leg.is_ended:
            _abandoned(leg)
            return
    session = await leg.answer(after_prack=ring is not None)
    if session is None:
        _abandoned(leg)
        return
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds
    leg.journal.update(outcome=Outcome.ANSWERED_BY_TAS.value)
    if announcement:
        leg.journal.note("announcement", announcement)
        if await leg.race(session.play(_source(leg, announcement))) is None:
            return
    leg.journal.note("keep", f"up to {seconds:g} s, silence when idle")
    await leg.race(asyncio.sleep(max(0.0, until - loop.time())))
    leg.hang_up()


async def run_menu(
    leg: AnsweredLeg,
    announcement: str | None,
    menu: Mapping[str, Action],
    voicemail: Callable[[], Awaitable[object]],
) -> None:
    """Answer and run the menu; ``voicemail`` runs the voicemail flow on this leg."""
    leg.journal.update(action="menu")
    session = await leg.answer()
    if session is None:
        _abandoned(leg)
        return
    leg.journal.update(outcome=Outcome.ANSWERED_BY_TAS.value)

    def barge_in(digit: DtmfDigit) -> None:
        session.stop_playback()

    session.on_dtmf = barge_in
    for _ in range(MAX_ROUNDS):
        leg.journal.note("menu", ", ".join(f"{d}={a.value}" for d, a in sorted(menu.items())))
        if await leg.race(session.play(_source(leg, announcement))) is None:
            return
        digits = await leg.race(session.read_digits(1, DIGIT_TIMEOUT, terminators=""))
        if digits is None:
            return
        if not digits:
            continue
        leg.journal.note("dtmf", digits)
        action = menu.get(digits)
        if action is Action.VOICEMAIL:
            session.on_dtmf = None
            await voicemail()
            return
        if action is Action.ANSWER:
            continue
        break
    leg.hang_up()


def _abandoned(leg: AnsweredLeg) -> None:
    if leg.journal.record.outcome == Outcome.IN_PROGRESS.value:
        leg.journal.update(outcome=Outcome.ABANDONED.value)
