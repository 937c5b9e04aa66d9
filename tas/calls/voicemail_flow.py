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
over a limit (see below)       a prompt, then BYE (or 480); outcome ``rejected``
the process dies              ``VoicemailStore.recover`` at the next start deletes the
                              ``.part`` and ``.pending`` files of the unfinished message
============================  ==========================================================

Recording stops at ``max_seconds`` (or what the mailbox's audio quota has left), after
``silence_timeout`` seconds of silence, or on ``#`` (RFC 4733 telephone-event); then the TAS
hangs up.

Abuse limits (:mod:`tas.voicemail.limits`) are checked before anything is reserved: a full
mailbox (messages or seconds of audio) or a caller over ``max_per_caller_per_hour`` hears
"mailbox is full" / "cannot take your message" instead of a bare 480; the refusal is noted in the
journal (``mailbox-full`` / ``caller-limit``, then ``prompt``), logged and counted
(``tas.voicemail.limits.refusals``). ``refusal_prompt`` picks how: ``answer`` (default: a 2xx
lets every caller hear it), ``early-media`` (183 with SDP, the prompt, then 480: nothing is
charged, but the caller's side and the core must play early media) or ``none`` (a bare 480).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from media.dtmf import DtmfDigit
from media.errors import MediaError
from media.recorder import RecordingResult
from tas.calls.diversion import why_diverted
from tas.calls.leg import AnsweredLeg
from tas.calls.records import Outcome
from tas.calls.routing import e164_of
from tas.config import VoicemailSettings
from tas.logs import log_event
from tas.sip.message import Request
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
from tas.voicemail.limits import PROMPTS, Refusal, decide, measure, refusals

__all__ = ["divert_to_voicemail", "leave_voicemail"]

log = logging.getLogger(__name__)

#: After answering, wait this long for media to settle before the greeting starts.
_SETTLE = 0.1


async def divert_to_voicemail(
    leg: AnsweredLeg,
    store: VoicemailStore,
    request: Request,
    settings: VoicemailSettings,
    early_media: bool = False,
    on_new: Callable[[Voicemail], None] | None = None,
) -> Voicemail | None:
    """The voicemail action on a leg: reason and mailbox from the INVITE
    (:func:`~tas.calls.diversion.why_diverted`), ring, then :func:`leave_voicemail`. A
    registered leg's mailbox is its subscriber's; a leg with no registration (a voicemail
    service URI) takes the diverted-from number. ``early_media`` (the policy's): refusal
    prompts in 183, never answered, whatever ``refusal_prompt`` says. Without a mailbox: 480
    (after the "cannot take your message" prompt in 183 when ``early_media``)."""
    record, diverted = leg.journal.record, why_diverted(request)
    mailbox = record.callee if leg.info is not None else diverted.diverted_from
    mailbox = mailbox or record.callee
    if early_media:
        settings = settings.model_copy(update={"refusal_prompt": "early-media"})
    if mailbox is None or e164_of(mailbox) is None:  # a mailbox is a number
        if early_media:
            caller = record.caller or "anonymous"
            await _refuse(leg, str(mailbox), caller, Refusal.NO_MAILBOX, "no number", settings)
        else:
            leg.reject(480, "Voicemail Unavailable")
        return None
    log_event(
        log,
        "diverted",
        call_id=leg.call.call_id,
        reason=diverted.reason.value,
        source=diverted.source.value,
    )
    leg.ring()
    return await leave_voicemail(
        leg,
        store,
        mailbox=mailbox,
        caller=record.caller or "anonymous",
        reason=diverted.reason,
        settings=settings,
        on_new=on_new,
    )


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
        admission = decide(await measure(store.db, mailbox, caller), settings)
        if admission.refusal is not None:
            await _refuse(leg, mailbox, caller, admission.refusal, admission.detail, settings)
            return None
        pending = await store.reserve(mailbox, caller, reason=reason, call_id=leg.call.call_id)
    except MailboxFull as exc:  # filled up since the check
        await _refuse(leg, mailbox, caller, Refusal.MAILBOX_FULL, str(exc), settings)
        return None
    except StorageError as exc:
        log_event(log, "voicemail_unavailable", level=logging.ERROR, mailbox=mailbox, error=exc)
        leg.reject(500, "Voicemail Unavailable")
        return None
    committed: Voicemail | None = None
    deferred = False
    try:
        limited = settings.model_copy(update={"max_seconds": admission.max_seconds})
        committed = await _record(leg, store, pending, reason, limited)
    except _Deferred:
        deferred = True  # files kept: recover() adopts them at the next start
    finally:
        if committed is None and not deferred:
            with contextlib.suppress(StorageError, OSError):
                await asyncio.shield(store.discard(pending))
    if committed is not None:
        log_event(
            log,
            "voicemail_committed",
            id=committed.voicemail_id,
            mailbox=committed.mailbox,
            duration=round(committed.duration, 1),
        )
        journal.note("recording-committed", committed.voicemail_id)
        journal.update(outcome=Outcome.VOICEMAIL_LEFT.value, voicemail_id=committed.voicemail_id)
        if on_new is not None:
            try:
                on_new(committed)
            except Exception:
                log_event(
                    log,
                    "new_voicemail_hook_failed",
                    level=logging.ERROR,
                    exc_info=True,
                    id=committed.voicemail_id,
                )
    elif journal.record.outcome == Outcome.IN_PROGRESS.value:
        journal.update(outcome=Outcome.ABANDONED.value)
    leg.hang_up()
    return committed


async def _refuse(
    leg: AnsweredLeg,
    mailbox: str,
    caller: str,
    refusal: Refusal,
    detail: str,
    settings: VoicemailSettings,
) -> None:
    """Tell the caller why (``settings.refusal_prompt``), then end the leg; outcome
    ``rejected``. ``answer``: 200, prompt, BYE. ``early-media``: 183 with SDP (RFC 3261
    §13.3.1.1, early media as in RFC 3960 §3), prompt, 480. ``none``: 480 at once."""
    journal = leg.journal
    journal.note(refusal.value, detail)
    refusals[refusal] += 1
    log_event(
        log,
        "voicemail_refused",
        reason=refusal.value,
        mailbox=mailbox,
        caller=caller,
        detail=detail,
    )
    status, phrase = _REFUSAL_STATUS[refusal]
    session = None
    if settings.refusal_prompt == "answer":
        session = await leg.answer()
    elif settings.refusal_prompt == "early-media":
        session = await leg.early_media()
    if session is not None:
        await leg.race(asyncio.sleep(_SETTLE))
        prompt = PROMPTS[refusal]
        journal.note("prompt", prompt.name)
        if await leg.race(session.play(prompt)):
            journal.note("prompt-played", prompt.name)
    if not leg.is_ended:
        if leg.call.state in ("incoming", "early"):
            leg.reject(status, phrase)
        else:
            leg.hang_up()
    journal.update(outcome=Outcome.REJECTED.value)


_REFUSAL_STATUS = {
    Refusal.MAILBOX_FULL: (480, "Mailbox Full"),
    Refusal.CALLER_LIMIT: (480, "Temporarily Unavailable"),
    Refusal.NO_MAILBOX: (480, "Voicemail Unavailable"),
}


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
    greeting = await store.greeting_catalog.greeting_for(pending.mailbox, reason)
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
        log_event(
            log, "voicemail_commit_failed", level=logging.ERROR, id=pending.voicemail_id, error=exc
        )
        journal.note("recording-deferred", str(exc))
        raise _Deferred from exc
    return None


class _Deferred(Exception):
    """The commit failed in the database; the finished files stay for ``recover()``."""
