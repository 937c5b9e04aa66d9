"""The mailbox store on SQLite and PostgreSQL: commit, limits, expiry, played, delete, listing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tas.voicemail import (
    InvalidAudio,
    InvalidNumber,
    InvalidVoicemailId,
    MailboxFull,
    MessageTooShort,
    Reason,
    VoicemailNotFound,
    VoicemailStore,
)
from tas.voicemail.wavfile import write_durably

BOX = "+4712345678"
OTHER = "+4787654321"
CALLER = "+4799999999"
T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


async def test_deposit_is_listed_with_its_metadata_and_audio(
    store: VoicemailStore, speech: Any
) -> None:
    wav = speech(2.5)
    message = await store.deposit(BOX, CALLER, wav, reason=Reason.BUSY, call_id="call-1", now=T0)
    assert message.mailbox == BOX and message.caller == CALLER
    assert message.reason is Reason.BUSY and message.call_id == "call-1"
    assert message.duration == pytest.approx(2.5)
    assert message.created == T0 and message.expires == T0 + timedelta(days=7)
    assert message.played is False and message.size == len(wav)
    assert await store.list_messages(BOX) == [message]
    assert await store.get(message.voicemail_id.upper()) == message
    fetched, audio = await store.read_audio(message.voicemail_id)
    assert fetched == message and audio == wav


async def test_list_is_newest_first_and_filters_by_mailbox(
    store: VoicemailStore, speech: Any
) -> None:
    old = await store.deposit(BOX, CALLER, speech(1.5), now=T0)
    new = await store.deposit(BOX, CALLER, speech(1.5), now=T0 + timedelta(minutes=5))
    other = await store.deposit(OTHER, CALLER, speech(1.5), now=T0 + timedelta(minutes=1))
    assert [m.voicemail_id for m in await store.list_messages(BOX)] == [
        new.voicemail_id,
        old.voicemail_id,
    ]
    assert [m.voicemail_id for m in await store.list_messages()] == [
        new.voicemail_id,
        other.voicemail_id,
        old.voicemail_id,
    ]
    assert await store.count(OTHER) == 1


async def test_reserved_message_is_not_listed_until_committed(
    store: VoicemailStore, speech: Any
) -> None:
    pending = await store.reserve(BOX, CALLER, reason="unavailable", call_id="c-2", now=T0)
    assert pending.sidecar.is_file() and not pending.path.exists()
    assert await store.list_messages(BOX) == []
    write_durably(pending.path, speech(3.0))  # the recorder renames the finished file into place
    assert await store.list_messages(BOX) == []  # complete on disk, still no row
    message = await store.commit(pending)
    assert message.voicemail_id == pending.voicemail_id and message.reason is Reason.UNAVAILABLE
    assert await store.list_messages(BOX) == [message]
    assert not pending.sidecar.exists()


async def test_full_mailbox_refuses_before_recording(store: VoicemailStore, speech: Any) -> None:
    for _ in range(3):
        await store.deposit(BOX, CALLER, speech(1.2))
    with pytest.raises(MailboxFull, match=r"mailbox \+4712345678 is full \(3 messages\)"):
        await store.reserve(BOX, CALLER)
    await store.deposit(OTHER, CALLER, speech(1.2))  # other mailboxes are not affected


async def test_limit_is_enforced_again_at_commit(store: VoicemailStore, speech: Any) -> None:
    for _ in range(2):
        await store.deposit(BOX, CALLER, speech(1.2))
    first = await store.reserve(BOX, CALLER)
    second = await store.reserve(BOX, CALLER)  # both reserved while one slot was free
    for pending in (first, second):
        write_durably(pending.path, speech(1.2))
    await store.commit(first)
    with pytest.raises(MailboxFull):
        await store.commit(second)
    assert not second.path.exists() and not second.sidecar.exists()
    assert await store.count(BOX) == 3


async def test_too_short_recording_is_discarded(store: VoicemailStore, speech: Any) -> None:
    pending = await store.reserve(BOX, CALLER)
    write_durably(pending.path, speech(0.5))
    with pytest.raises(MessageTooShort, match="shorter than the 1 s minimum"):
        await store.commit(pending)
    assert not pending.path.exists() and not pending.sidecar.exists()
    assert await store.list_messages() == []


async def test_commit_without_a_finished_recording(store: VoicemailStore) -> None:
    pending = await store.reserve(BOX, CALLER)
    with pytest.raises(InvalidAudio, match="no finished recording"):
        await store.commit(pending)
    assert not pending.sidecar.exists()


async def test_deposit_refuses_what_is_not_wav(store: VoicemailStore) -> None:
    with pytest.raises(InvalidAudio, match="not a RIFF/WAVE"):
        await store.deposit(BOX, CALLER, b"hello")
    assert await store.list_messages() == []


async def test_purge_expired_removes_rows_and_files(store: VoicemailStore, speech: Any) -> None:
    old = await store.deposit(BOX, CALLER, speech(1.5), now=T0)
    young = await store.deposit(BOX, CALLER, speech(1.5), now=T0 + timedelta(days=3))
    assert await store.purge_expired(T0 + timedelta(days=7) - timedelta(seconds=1)) == []
    purged = await store.purge_expired(T0 + timedelta(days=7))
    assert [m.voicemail_id for m in purged] == [old.voicemail_id]
    assert not old.path.exists() and young.path.exists()
    assert [m.voicemail_id for m in await store.list_messages()] == [young.voicemail_id]


async def test_mark_played_and_delete(store: VoicemailStore, speech: Any) -> None:
    message = await store.deposit(BOX, CALLER, speech(1.5))
    assert (await store.mark_played(message.voicemail_id)).played is True
    assert (await store.get(message.voicemail_id)).played is True
    assert (await store.mark_played(message.voicemail_id, played=False)).played is False
    deleted = await store.delete(message.voicemail_id)
    assert deleted.voicemail_id == message.voicemail_id and not message.path.exists()
    with pytest.raises(VoicemailNotFound):
        await store.get(message.voicemail_id)
    with pytest.raises(VoicemailNotFound):
        await store.delete(message.voicemail_id)
    with pytest.raises(VoicemailNotFound):
        await store.mark_played(message.voicemail_id)


@pytest.mark.parametrize("bad", ["", "42", "not-a-uuid", "1234567-1234-1234-1234-123456789abc"])
async def test_bad_ids_are_invalid_not_missing(store: VoicemailStore, bad: str) -> None:
    with pytest.raises(InvalidVoicemailId):
        await store.get(bad)


@pytest.mark.parametrize("bad", ["", "4712345678", "+0123456789", "+47 1234", "+12"])
async def test_bad_numbers_are_refused(store: VoicemailStore, bad: str) -> None:
    with pytest.raises(InvalidNumber):
        await store.reserve(bad, CALLER)
    with pytest.raises(InvalidNumber):
        await store.list_messages(bad)


async def test_purge_periodically_purges_each_round(store: VoicemailStore, speech: Any) -> None:
    now = datetime.now(UTC)
    expired = await store.deposit(BOX, CALLER, speech(1.5), now=now - timedelta(days=8))
    kept = await store.deposit(BOX, CALLER, speech(1.5), now=now)
    rounds: list[list[str]] = []
    done = asyncio.Event()

    def purged(messages: list[Any]) -> None:
        rounds.append([m.voicemail_id for m in messages])
        done.set()

    task = asyncio.create_task(store.purge_periodically(3600.0, purged))
    await asyncio.wait_for(done.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert rounds == [[expired.voicemail_id]]
    assert [m.voicemail_id for m in await store.list_messages()] == [kept.voicemail_id]
