"""The notification worker: claims due outbox entries, hands each to its plug-in, records the
result (:mod:`tas.voicemail.notify_outbox` rules, :mod:`tas.voicemail.notify_store` SQL) and
writes a milestone into the call's timeline (``notified`` per delivery, ``notify-failed`` when
one gives up). It runs as its own task (``tas serve``), never on the call path: a message is
committed with its outbox rows and the call goes on; delivery happens here, later.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from tas.config import NotifySettings, Settings
from tas.logs import log_event
from tas.voicemail.errors import VoicemailNotFound
from tas.voicemail.milestones import add_milestone
from tas.voicemail.models import Voicemail
from tas.voicemail.notify_channels import Notice, Notifier, PermanentFailure
from tas.voicemail.notify_models import Channel, OutboxState
from tas.voicemail.notify_outbox import Backoff, Entry, failed, idempotency_key, sent
from tas.voicemail.notify_store import OutboxStore
from tas.voicemail.store import VoicemailStore
from tas.voicemail.transcript_store import TranscriptStore

__all__ = ["NotifyWorker", "notifiers_from_settings"]

log = logging.getLogger(__name__)


class NotifyWorker:
    """Deliver the outbox of ``store``'s database with ``notifiers``, as worker ``owner``."""

    def __init__(
        self,
        store: VoicemailStore,
        notifiers: Mapping[Channel, Notifier],
        settings: NotifySettings,
        *,
        owner: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.outbox = OutboxStore(store.db)
        self.transcripts = TranscriptStore(store.db)
        self.notifiers = dict(notifiers)
        self.settings = settings
        self.owner = owner
        self.backoff = Backoff(
            settings.backoff_initial, settings.backoff_max, settings.max_attempts
        )
        self._clock = clock
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look at the outbox now (a message was just committed) instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled; a failing round (database down) is logged and retried."""
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # a round must never end the worker
                log_event(log, "notify_round_failed", level=logging.WARNING, error=exc)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), self.settings.poll_interval)
            except TimeoutError:
                pass

    async def run_once(self) -> int:
        """Claim what is due and deliver it concurrently; returns how many were claimed."""
        lease = timedelta(seconds=self.settings.lease_seconds)
        claimed = await self.outbox.claim_due(self.owner, self._clock(), lease)
        if claimed:
            await asyncio.gather(*(self._deliver(entry) for entry in claimed))
        return len(claimed)

    async def aclose(self) -> None:
        for notifier in self.notifiers.values():
            await notifier.aclose()

    async def _deliver(self, entry: Entry) -> None:
        notifier = self.notifiers.get(entry.channel)
        message: Voicemail | None = None
        try:
            if notifier is None:
                raise PermanentFailure(f"no {entry.channel.value} notifier configured")
            try:
                message = await self.store.get(entry.voicemail_id)
            except VoicemailNotFound as exc:
                raise PermanentFailure("the message was deleted before it was notified") from exc
            transcript = await self.transcripts.get(message.voicemail_id)
            notice = Notice(message, idempotency_key(entry), self._audio_of(message), transcript)
            detail = await asyncio.wait_for(
                notifier.send(entry.target, notice), self.settings.timeout
            )
        except PermanentFailure as exc:
            await self._failed(entry, message, str(exc), permanent=True)
        except Exception as exc:  # any other failure of a plug-in is retried
            await self._failed(entry, message, f"{type(exc).__name__}: {exc}", permanent=False)
        else:
            if await self.outbox.record(entry, sent(entry, self._clock())):
                log_event(log, "notified", id=entry.id, detail=detail)
                await self._milestone(message, "notified", detail)

    async def _failed(
        self, entry: Entry, message: Voicemail | None, error: str, *, permanent: bool
    ) -> None:
        after = failed(entry, self._clock(), error, self.backoff, permanent=permanent)
        if not await self.outbox.record(entry, after):
            return
        if after.state is OutboxState.FAILED:
            log_event(
                log,
                "notify_failed",
                level=logging.WARNING,
                id=entry.id,
                channel=entry.channel.value,
                attempts=entry.attempts,
                error=error,
            )
            detail = f"{entry.channel.value} after {entry.attempts} attempt(s): {error}"
            await self._milestone(message, "notify-failed", detail)
        else:
            log_event(
                log,
                "notify_retry",
                id=entry.id,
                channel=entry.channel.value,
                attempt=entry.attempts,
                next=after.next_attempt.isoformat(),
                error=error,
            )

    def _audio_of(self, message: Voicemail) -> Callable[[], asyncio.Future[bytes]]:
        async def audio() -> bytes:
            return (await self.store.read_audio(message.voicemail_id))[1]

        return audio  # type: ignore[return-value]

    async def _milestone(self, message: Voicemail | None, kind: str, detail: str) -> None:
        await add_milestone(self.store.db, message, kind, detail)


def owner_of(settings: Settings) -> str:
    """This process's name on the leases it takes: instance id and process id."""
    from tas.voicemail.store import instance_of

    return f"{instance_of(settings)}:{os.getpid()}"


def notifiers_from_settings(settings: Settings) -> dict[Channel, Notifier]:
    """Every plug-in (per-mailbox settings may turn on any channel); SMS goes to the operator
    of ``[operator]`` and is left out, logged, when that has no credentials (its entries then
    fail as "no sms notifier configured")."""
    from registrations.sms import SmsClient
    from tas.voicemail.notify_email import EmailNotifier
    from tas.voicemail.notify_sms import SmsNotifier
    from tas.voicemail.notify_webhook import WebhookNotifier

    notify = settings.voicemail.notify
    secret = notify.webhook_secret.get_secret_value()
    notifiers: dict[Channel, Notifier] = {
        Channel.EMAIL: EmailNotifier(notify),
        Channel.WEBHOOK: WebhookNotifier(secret, timeout=notify.timeout),
    }
    try:
        notifiers[Channel.SMS] = SmsNotifier(SmsClient.from_settings(settings), notify.sms_sender)
    except (ValueError, OSError) as exc:
        log_event(log, "notify_sms_unavailable", level=logging.WARNING, error=exc)
    return notifiers
