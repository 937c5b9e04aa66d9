"""The life of a transcript row (tas.voicemail.transcript_rules) on a virtual clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tas.voicemail.transcript_models import Transcript, TranscriptStatus, describe_transcript
from tas.voicemail.transcript_rules import (
    claim,
    claimable,
    done,
    failed,
    initial_status,
    released,
)

T0 = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
LEASE = timedelta(seconds=300)


def job(**values: object) -> Transcript:
    fields: dict[str, object] = {
        "voicemail_id": "vm-1",
        "status": TranscriptStatus.PENDING,
        "created": T0,
        "updated": T0,
    }
    fields.update(values)
    return Transcript(**fields)  # type: ignore[arg-type]


def test_a_new_row_is_pending_only_with_a_recogniser() -> None:
    assert initial_status(True) is TranscriptStatus.PENDING
    assert initial_status(False) is TranscriptStatus.UNAVAILABLE
    assert not claimable(job(status=TranscriptStatus.UNAVAILABLE), T0)


def test_claim_leases_one_attempt_and_done_stores_the_words() -> None:
    leased = claim(job(), "a:1", T0, LEASE, max_attempts=3)
    assert (leased.attempts, leased.lease_owner, leased.lease_until) == (1, "a:1", T0 + LEASE)
    assert not claimable(leased, T0 + LEASE - timedelta(seconds=1))  # held by a:1
    finished = done(leased, T0 + timedelta(seconds=4), "call me back", "pocketsphinx", "en-US")
    assert finished.status is TranscriptStatus.DONE
    assert (finished.text, finished.engine, finished.language) == (
        "call me back",
        "pocketsphinx",
        "en-US",
    )
    assert finished.lease_owner is None and finished.updated == T0 + timedelta(seconds=4)
    assert not claimable(finished, T0 + 2 * LEASE)
    assert describe_transcript(finished) == "done: call me back"


def test_a_dead_workers_row_is_claimable_once_its_lease_runs_out() -> None:
    leased = claim(job(), "a:1", T0, LEASE, max_attempts=3)
    assert claimable(leased, T0 + LEASE)
    again = claim(leased, "b:2", T0 + LEASE, LEASE, max_attempts=3)
    assert (again.attempts, again.lease_owner) == (2, "b:2")


def test_after_max_attempts_the_claim_gives_up() -> None:
    row = job()
    now = T0
    for _ in range(2):
        row = claim(row, "w", now, LEASE, max_attempts=2)
        now += LEASE  # the worker died each time
    last = claim(row, "w", now, LEASE, max_attempts=2)
    assert last.status is TranscriptStatus.FAILED and last.lease_owner is None
    assert "gave up after 2 attempt(s)" in last.error
    assert describe_transcript(last).startswith("failed: gave up")


def test_failed_and_released() -> None:
    leased = claim(job(), "w", T0, LEASE, max_attempts=3)
    refused = failed(leased, T0, "x" * 900, "pocketsphinx")
    assert refused.status is TranscriptStatus.FAILED and len(refused.error) == 500
    back = released(leased, T0 + timedelta(seconds=1))
    assert back.status is TranscriptStatus.PENDING and back.attempts == 1
    assert claimable(back, T0 + timedelta(seconds=1))  # at once, not after the lease


def test_only_a_leased_row_can_finish() -> None:
    with pytest.raises(ValueError, match="not leased"):
        done(job(), T0, "x", "e", "en-US")
    with pytest.raises(ValueError, match="not claimable"):
        claim(claim(job(), "w", T0, LEASE, 3), "v", T0, LEASE, 3)


def test_descriptions_say_why_there_are_no_words() -> None:
    assert describe_transcript(None) == "none (the message predates transcripts)"
    pending = job()
    assert describe_transcript(pending) == "pending: not transcribed yet"
    missing = job(status=TranscriptStatus.UNAVAILABLE, error="no transcriber installed (pip …)")
    assert describe_transcript(missing).startswith("unavailable: no transcriber installed")
    assert missing.as_dict()["text"] is None
