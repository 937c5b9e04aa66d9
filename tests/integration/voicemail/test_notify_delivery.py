"""New-message notifications end to end against real peers on loopback: the sandbox core's
SmsService (gRPC), an SMTP server (aiosmtpd) and an HTTP server, on SQLite and PostgreSQL.

Shows: one SMS, one e-mail (attachment = the stored audio) and one signed webhook per message;
a hidden caller is never named; retries with backoff; a worker that died after claiming loses
nothing; two workers never deliver one entry twice; a permanent refusal stops at once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import delete

from registrations.client import Target
from registrations.sms import SmsClient
from tas.config import NotifySettings, TranscribeSettings, VoicemailSettings
from tas.sandbox.grpc_server import ControlPlane
from tas.store.db import Database
from tas.voicemail import VoicemailStore
from tas.voicemail.models import Mailbox, VoicemailRow
from tas.voicemail.notify_channels import Notifier
from tas.voicemail.notify_email import EmailNotifier
from tas.voicemail.notify_models import Channel, MailboxNotify, OutboxRow, OutboxState
from tas.voicemail.notify_sms import SmsNotifier
from tas.voicemail.notify_store import MailboxOverride, OutboxStore
from tas.voicemail.notify_webhook import WebhookNotifier
from tas.voicemail.notify_worker import NotifyWorker
from tas.voicemail.transcribe import transcribe
from tas.voicemail.transcribe_worker import PoolEngine, TranscribeWorker
from tas.voicemail.transcript_models import TranscriptStatus
from tas.voicemail.transcript_store import TranscriptStore
from tests.bench.bench_transcribe_wer import speak
from tests.integration.voicemail.conftest import Speech
from tests.integration.voicemail.notify_peers import SmtpSink, WebhookSink, smtp_sink, webhook_sink

BOX = "+4799990001"
CALLER = "+4799990002"
SECRET = "s3cret-key"


@dataclass
class Rig:
    store: VoicemailStore
    plane: ControlPlane
    smtp: SmtpSink
    hook: WebhookSink
    settings: NotifySettings

    def notifiers(self) -> dict[Channel, Notifier]:
        target = Target(self.plane.address or "", tls=False, authenticated=False)
        return {
            Channel.SMS: SmsNotifier(SmsClient(target), self.settings.sms_sender),
            Channel.EMAIL: EmailNotifier(self.settings),
            Channel.WEBHOOK: WebhookNotifier(SECRET, timeout=5.0),
        }

    def worker(self, owner: str, clock_offset: float = 0.0) -> NotifyWorker:
        def clock() -> datetime:
            return datetime.now(UTC) + timedelta(seconds=clock_offset)

        return NotifyWorker(self.store, self.notifiers(), self.settings, owner=owner, clock=clock)


@pytest.fixture
async def rig(db_url: str, tmp_path: Path) -> AsyncIterator[Rig]:
    async with smtp_sink() as smtp, webhook_sink() as hook:
        settings = NotifySettings(
            channels=["sms", "email", "webhook"],
            sms_sender="Voicemail",
            email_to="owner@example.test",
            email_from="vm@example.test",
            smtp=f"127.0.0.1:{smtp.port}",
            webhook_url=hook.url,
            webhook_secret=SecretStr(SECRET),
            backoff_initial=30.0,
            backoff_max=120.0,
            max_attempts=3,
            lease_seconds=60.0,
        )
        # notify_wait = 0: these tests are about delivery; the transcript wait has its own.
        vm = VoicemailSettings(notify=settings, transcribe=TranscribeSettings(notify_wait=0))
        store = VoicemailStore(Database(db_url), tmp_path / "vm", vm)
        await store.open()
        async with store.db.session() as session:  # PostgreSQL is shared by the session
            for table in (OutboxRow, MailboxNotify, VoicemailRow, Mailbox):
                await session.exec(delete(table))  # type: ignore[call-overload]
            await session.commit()
        plane = ControlPlane()
        await plane.start("127.0.0.1:0")
        try:
            yield Rig(store, plane, smtp, hook, settings)
        finally:
            await plane.stop()
            await store.close()


async def test_one_sms_one_email_one_webhook_per_message(rig: Rig, speech: Speech) -> None:
    wav = speech(2.0)
    message = await rig.store.deposit(BOX, CALLER, wav, call_id="call-1")
    worker = rig.worker("w1")
    try:
        assert await worker.run_once() == 3
        assert await worker.run_once() == 0  # nothing left, nothing twice
    finally:
        await worker.aclose()

    [sms] = rig.plane.sms.sent()
    assert (sms.to, sms.sender) == (BOX, "Voicemail")
    assert CALLER in sms.text and "2 s" in sms.text

    [mail] = rig.smtp.received
    assert rig.smtp.recipients == [["owner@example.test"]]
    assert mail["Message-ID"] == f"<{message.voicemail_id}.email@tas-voicemail>"
    assert CALLER in mail["Subject"]
    [text, attachment] = list(mail.iter_parts())
    assert text.get_content_type() == "text/plain" and CALLER in text.get_content()
    assert attachment.get_content_type() == "audio/wav"
    assert attachment.get_filename() == f"{message.voicemail_id}.wav"
    assert attachment.get_payload(decode=True) == wav  # the stored audio, byte for byte

    [request] = rig.hook.requests
    assert request.method == "POST" and request.path == "/hook"
    stamp = request.headers["x-tas-timestamp"]
    expected = hmac.new(SECRET.encode(), stamp.encode() + b"." + request.body, hashlib.sha256)
    assert request.headers["x-tas-signature"] == f"sha256={expected.hexdigest()}"
    assert request.headers["idempotency-key"] == f"{message.voicemail_id}/webhook"
    body = json.loads(request.body)
    assert (body["event"], body["voicemail_id"], body["from"]) == (
        "voicemail.new",
        message.voicemail_id,
        CALLER,
    )
    states = {e.channel: e.state for e in await OutboxStore(rig.store.db).entries()}
    assert states == dict.fromkeys(Channel, OutboxState.SENT)


async def test_a_hidden_caller_is_never_named(rig: Rig, speech: Speech) -> None:
    await rig.store.deposit(BOX, "anonymous", speech(1.5))
    worker = rig.worker("w1")
    try:
        assert await worker.run_once() == 3
    finally:
        await worker.aclose()
    [sms] = rig.plane.sms.sent()
    [mail] = rig.smtp.received
    [request] = rig.hook.requests
    assert "a hidden number" in sms.text and "anonymous" not in sms.text
    assert "a hidden number" in mail["Subject"] and "anonymous" not in mail.as_string()
    body = json.loads(request.body)
    assert body["from"] is None and body["hidden_caller"] is True
    assert b"anonymous" not in request.body


async def test_failures_are_retried_with_backoff_then_delivered(rig: Rig, speech: Speech) -> None:
    await OutboxStore(rig.store.db).set_mailbox(BOX, MailboxOverride(channels=(Channel.WEBHOOK,)))
    rig.hook.statuses = [503, 500]
    message = await rig.store.deposit(BOX, CALLER, speech(1.5))
    worker = rig.worker("w1")
    later = rig.worker("w1", clock_offset=30.0)  # the first backoff (30 s) has passed
    latest = rig.worker("w1", clock_offset=30.0 + 60.0)  # and the second (60 s)
    try:
        assert await worker.run_once() == 1
        [entry] = await OutboxStore(rig.store.db).entries(message.voicemail_id)
        assert (entry.state, entry.attempts, entry.last_error) == (
            OutboxState.PENDING,
            1,
            "RuntimeError: webhook " + rig.hook.url + " answered 503",
        )
        assert await worker.run_once() == 0  # not due before its backoff
        assert await later.run_once() == 1
        assert await later.run_once() == 0
        assert await latest.run_once() == 1
    finally:
        for w in (worker, later, latest):
            await w.aclose()
    [entry] = await OutboxStore(rig.store.db).entries(message.voicemail_id)
    assert (entry.state, entry.attempts) == (OutboxState.SENT, 3)
    assert len(rig.hook.requests) == 3
    assert {r.headers["idempotency-key"] for r in rig.hook.requests} == {
        f"{message.voicemail_id}/webhook"
    }


async def test_a_permanent_refusal_stops_at_once(rig: Rig, speech: Speech) -> None:
    await OutboxStore(rig.store.db).set_mailbox(BOX, MailboxOverride(channels=(Channel.WEBHOOK,)))
    rig.hook.statuses = [410]
    message = await rig.store.deposit(BOX, CALLER, speech(1.5))
    worker = rig.worker("w1", clock_offset=3600.0)
    try:
        assert await worker.run_once() == 1
        assert await worker.run_once() == 0
    finally:
        await worker.aclose()
    [entry] = await OutboxStore(rig.store.db).entries(message.voicemail_id)
    assert (entry.state, entry.attempts) == (OutboxState.FAILED, 1)
    assert "answered 410" in entry.last_error


async def test_a_worker_dead_after_claiming_loses_nothing(rig: Rig, speech: Speech) -> None:
    """w1 claims and dies (never sends); w2 cannot take it while the lease runs, then does:
    delivered exactly once."""
    await OutboxStore(rig.store.db).set_mailbox(BOX, MailboxOverride(channels=(Channel.WEBHOOK,)))
    message = await rig.store.deposit(BOX, CALLER, speech(1.5))
    outbox = OutboxStore(rig.store.db)
    [claimed] = await outbox.claim_due("w1", datetime.now(UTC), timedelta(seconds=60))
    assert claimed.lease_owner == "w1"
    early = rig.worker("w2")
    after_lease = rig.worker("w2", clock_offset=61.0)
    try:
        assert await early.run_once() == 0
        assert await after_lease.run_once() == 1
        assert await after_lease.run_once() == 0
    finally:
        await early.aclose()
        await after_lease.aclose()
    assert len(rig.hook.requests) == 1
    [entry] = await outbox.entries(message.voicemail_id)
    assert (entry.state, entry.attempts, entry.lease_owner) == (OutboxState.SENT, 2, None)
    # w1 comes back and reports its stale attempt: refused, the result stands.
    from tas.voicemail.notify_outbox import sent

    assert not await outbox.record(claimed, sent(claimed, datetime.now(UTC)))


async def test_concurrent_workers_deliver_each_entry_once(rig: Rig, speech: Speech) -> None:
    for n in range(4):
        await OutboxStore(rig.store.db).set_mailbox(
            BOX, MailboxOverride(channels=(Channel.WEBHOOK,))
        )
        await rig.store.deposit(BOX, f"+479999100{n}", speech(1.1, seed=n), now=None)
    workers = [rig.worker(f"w{n}") for n in range(3)]
    try:
        claimed = await asyncio.gather(*(w.run_once() for w in workers))
    finally:
        for w in workers:
            await w.aclose()
    assert sum(claimed) == 4
    keys = [r.headers["idempotency-key"] for r in rig.hook.requests]
    assert len(keys) == len(set(keys)) == 4


async def test_email_and_webhook_wait_for_the_real_transcript(rig: Rig, tmp_path: Path) -> None:
    """PocketSphinx in the worker pool (the transcribe extra is in dev, so this runs in CI):
    SMS goes at once; e-mail and webhook wait, and carry the words once they are ready."""
    wav = speak("please call me back when you get this message", tmp_path)
    rig.store.settings.transcribe = TranscribeSettings(notify_wait=30)
    message = await rig.store.deposit(BOX, CALLER, wav, call_id="call-t")
    notify = rig.worker("w1")
    woken: list[str] = []
    transcriber = TranscribeWorker(
        rig.store, PoolEngine(1), rig.store.settings.transcribe, owner="t1",
        on_transcribed=woken.append,
    )  # fmt: skip
    try:
        assert await notify.run_once() == 1  # the SMS; e-mail and webhook are held
        assert await transcriber.run_once() == 1
        assert woken == [message.voicemail_id]
        assert await notify.run_once() == 2  # released by the transcript
    finally:
        await transcriber.aclose()
        await notify.aclose()
    transcript = await TranscriptStore(rig.store.db).get(message.voicemail_id)
    assert transcript is not None and transcript.status is TranscriptStatus.DONE
    assert (transcript.engine, transcript.language) == ("pocketsphinx", "en-US")
    assert transcript.text and transcript.text == transcribe(wav)  # same words as in-process
    [sms] = rig.plane.sms.sent()
    assert "Transcript" not in sms.text  # SMS stays short
    [mail] = rig.smtp.received
    [text, _] = list(mail.iter_parts())
    assert f"Transcript (done: {transcript.text})" in text.get_content()
    [request] = rig.hook.requests
    sent = json.loads(request.body)["transcript"]
    assert (sent["status"], sent["text"], sent["engine"], sent["language"]) == (
        "done",
        transcript.text,
        "pocketsphinx",
        "en-US",
    )


async def test_without_a_transcript_in_time_they_go_anyway_and_say_so(
    rig: Rig, speech: Speech
) -> None:
    rig.store.settings.transcribe = TranscribeSettings(notify_wait=30)
    await rig.store.deposit(BOX, CALLER, speech(2.0))
    assert await rig.worker("w1").run_once() == 1  # SMS
    late = rig.worker("w1", clock_offset=31)  # the wait is over, no transcript yet
    try:
        assert await late.run_once() == 2
    finally:
        await late.aclose()
    [mail] = rig.smtp.received
    assert "Transcript (pending: not transcribed yet)" in mail.as_string()
    [request] = rig.hook.requests
    sent = json.loads(request.body)["transcript"]
    assert (sent["status"], sent["text"]) == ("pending", None)
