"""The life of a transcript row, as pure functions on :class:`Transcript` (sans-IO).

::

    pending --claim--> pending+lease --done(text)--------------------------> done
        ^                   |  \\--failed(error): the recogniser refused or timed out --> failed
        |                   \\--released: the worker pool crashed, retry at once
        \\--lease expired (the process died): claimable again, up to max_attempts claims;
            the claim after the last one gives up ----------------------------> failed

Like the notification outbox (:mod:`tas.voicemail.notify_outbox`), each claim counts one attempt
and leases the row to one worker until ``now + lease``; :mod:`tas.voicemail.transcript_store`
writes every transition with a compare-and-set ``UPDATE`` on status, attempts and lease owner, so
two replicas never transcribe one message and a worker whose lease expired cannot overwrite the
result of the one that took over. A row committed while no recogniser is installed is
``unavailable`` from the start and never claimed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from tas.voicemail.transcript_models import Transcript, TranscriptStatus

__all__ = ["claim", "claimable", "done", "failed", "initial_status", "released"]

_MAX_ERROR = 500


def initial_status(available: bool) -> TranscriptStatus:
    """A new message's row: pending when a recogniser will run, else unavailable."""
    return TranscriptStatus.PENDING if available else TranscriptStatus.UNAVAILABLE


def claimable(job: Transcript, now: datetime) -> bool:
    """Pending, and no worker holds a live lease on it."""
    return job.status is TranscriptStatus.PENDING and (
        job.lease_until is None or job.lease_until <= now
    )


def claim(
    job: Transcript, owner: str, now: datetime, lease: timedelta, max_attempts: int
) -> Transcript:
    """Lease ``job`` to ``owner`` for one attempt; after ``max_attempts`` claims whose workers
    all died (the lease ran out each time) the row is failed instead."""
    if not claimable(job, now):
        raise ValueError(f"transcript {job.voicemail_id} is not claimable")
    if job.attempts >= max_attempts:
        error = f"gave up after {job.attempts} attempt(s): the worker never finished"
        return _finished(job, TranscriptStatus.FAILED, now, error=error)
    return replace(
        job, attempts=job.attempts + 1, lease_owner=owner, lease_until=now + lease, updated=now
    )


def done(job: Transcript, now: datetime, text: str, engine: str, language: str) -> Transcript:
    """The recogniser heard ``text``."""
    _check_leased(job)
    return _finished(job, TranscriptStatus.DONE, now, text=text, engine=engine, language=language)


def failed(job: Transcript, now: datetime, error: str, engine: str = "") -> Transcript:
    """The recogniser refused this audio or timed out: retrying the same audio cannot help."""
    _check_leased(job)
    return _finished(job, TranscriptStatus.FAILED, now, error=error, engine=engine)


def released(job: Transcript, now: datetime) -> Transcript:
    """The worker gave the row back unfinished (its pool broke, or it is shutting down):
    claimable again at once; the attempt still counts."""
    _check_leased(job)
    return replace(job, lease_owner=None, lease_until=None, updated=now)


def _finished(
    job: Transcript,
    status: TranscriptStatus,
    now: datetime,
    *,
    text: str = "",
    engine: str = "",
    language: str = "",
    error: str = "",
) -> Transcript:
    return replace(
        job,
        status=status,
        text=text,
        engine=engine,
        language=language,
        error=error[:_MAX_ERROR],
        lease_owner=None,
        lease_until=None,
        updated=now,
    )


def _check_leased(job: Transcript) -> None:
    if job.status is not TranscriptStatus.PENDING or job.lease_owner is None:
        raise ValueError(f"transcript {job.voicemail_id} is not leased")
