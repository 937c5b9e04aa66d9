"""Voicemail on one leg: reserve → answer → greeting → beep → record → commit → publish.

Defined end states, whatever moment the caller leaves (nothing half-written is ever listed,
because only :meth:`~tas.voicemail.VoicemailStore.commit` makes a row):

============================  ==========================================================
caller leaves…                result
============================  ==========================================================
before the answer (CANCEL)    reservation discarded, outcome ``abandoned``
during the greeting / beep    reservation discarded, outcome ``abandoned``
while recording               recording finished and committed if ≥ ``min_seconds``
                              (outcome ``voicemail-left``), else discarded (``abandoned``)
mailbox full                  ``480 Mailbox Full`` before answering, outcome ``rejected``
the process dies              ``VoicemailStore.recover`` at the next start deletes the
                              ``.part`` and ``.pending`` files of the unfinished message
============================  ==========================================================

Recording stops at ``max_seconds``, after ``silence_timeout`` seconds of silence, or on ``#``
(RFC 4733 telephone-event); then the TAS hangs up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from media.dtmf import DtmfDigit
from media.errors import MediaError
from media.recorder import RecordingResult
from tas.calls.leg import AnsweredLeg
from tas.calls.records import Outcome
from tas.config import VoicemailSettings
from tas.voicemail import (
    InvalidAudio,
    MailboxFull,
    MessageTooShort,
    PendingMessage,
    Reason,
    StorageError,
    Voicemail,
    VoicemailStore,
    beep,
)

__all__ = ["leave_voicemail"]

log = logging.getLogger(__name__)

#: After answering, wait this long for media to settle before the greeting starts.
_SETTLE = 0.1


async def leave_voicemail(
    leg: AnsweredLeg,
    store: VoicemailStore,
    *,
    mailbox: str,
    caller: str,
    reason: Reason,
    settings: VoicemailSettings,
    on_new: Callable[[Voicemail], None] | None = None,
) -> Voicemail | None:
    """Run the flow; returns the committed message, or None (see the module table)."""
    journal = leg.journal
    journal.update(action="voicemail")
    try:
        pending = await store.reserve(mailbox, caller, reason=reason, call_id=leg.call.call_id)
    except MailboxFull as exc:
        journal.note("mailbox-full", str(exc))
        leg.reject(480, "Mailbox Full")
        return None
    except StorageError as exc:
        log.error("event=voicemail_unavailable mailbox=%s error=%s", mailbox, exc)
        leg.reject(500, "Voicemail Unavailable")
        return None
    committed: Voicemail | None = None
    deferred = False
    try:
        committed = await _record(leg, store, pending, reason, settings)
    except _Deferred:
        deferred = True  # files kept: recover() adopts them at the next start
    finally:
        if committed is None and not deferred:
            with contextlib.suppress(StorageError, OSError):
                await asyncio.shield(store.discard(pending))
    if committed is not None:
        log.info(
            "event=voicemail_committed id=%s mailbox=%s duration=%.1f",
            committed.voicemail_id,
            committed.mailbox,
            committed.duration,
        )
        journal.note("recording-committed", committed.voicemail_id)
        journal.update(outcome=Outcome.VOICEMAIL_LEFT.value, voicemail_id=committed.voicemail_id)
        if on_new is not None:
            try:
                on_new(committed)
            except Exception:
                log.exception("event=new_voicemail_hook_failed id=%s", committed.voicemail_id)
    elif journal.record.outcome == Outcome.IN_PROGRESS.value:
        journal.update(outcome=Outcome.ABANDONED.value)
    leg.hang_up()
    return committed


async def _record(
    leg: AnsweredLeg,
    store: VoicemailStore,
    pending: PendingMessage,
    reason: Reason,
    settings: VoicemailSettings,
) -> Voicemail | None:
    journal = leg.journal
    session = await leg.answer()
    if session is None:
        return None
    await leg.race(asyncio.sleep(_SETTLE))
    greeting = store.greetings.greeting_for(pending.mailbox, reason)
    journal.note("greeting", f"{reason.value}: {greeting.name}")
    if not await leg.race(session.play(greeting)):
        journal.note("recording-discarded", "caller left during the greeting")
        return None
    journal.note("beep")
    if not await leg.race(session.play(beep())):
        journal.note("recording-discarded", "caller left during the beep")
        return None
    try:
        recording = session.record(
            pending.path,
            max_duration=settings.max_seconds,
            min_duration=settings.min_seconds,
            silence_timeout=settings.silence_timeout,
        )
    except (MediaError, OSError) as exc:
        journal.note("recording-discarded", f"cannot record: {exc}")
        return None
    journal.note("recording-started", pending.voicemail_id)

    def on_dtmf(digit: DtmfDigit) -> None:
        journal.note("dtmf", digit.digit)
        if digit.digit == "#":
            recording.stop()

    session.on_dtmf = on_dtmf
    result: RecordingResult | None = await leg.race(recording.wait())
    if result is None:  # the caller hung up: close() finishes what was recorded so far
        await session.close()
        result = await recording.wait()
    journal.note("recording-stopped", f"{result.reason} after {result.duration:.1f} s")
    if not result.kept:
        journal.note("recording-discarded", f"shorter than {settings.min_seconds:g} s")
        return None
    try:
        return await asyncio.shield(store.commit(pending))
    except (MessageTooShort, InvalidAudio) as exc:
        journal.note("recording-discarded", str(exc))
    except MailboxFull as exc:
        journal.note("recording-discarded", str(exc))
    except StorageError as exc:
        log.error("event=voicemail_commit_failed id=%s error=%s", pending.voicemail_id, exc)
        journal.note("recording-deferred", str(exc))
        raise _Deferred from exc
    return None


class _Deferred(Exception):
    """The commit failed in the database; the finished files stay for ``recover()``."""
