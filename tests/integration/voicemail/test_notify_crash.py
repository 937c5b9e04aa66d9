"""A notification worker process SIGKILLed between sending and marking the entry sent: the
restarted worker sends it again once the dead one's lease has run out, with the same
Idempotency-Key (so a receiver that keeps keys acts once), marks it sent, and nothing is sent
after that. The entry is neither lost nor sent a third time."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tas.config import NotifySettings, TranscribeSettings, VoicemailSettings
from tas.store.db import Database
from tas.voicemail import VoicemailStore
from tas.voicemail.models import Voicemail
from tas.voicemail.notify_models import Channel, OutboxState
from tas.voicemail.notify_store import OutboxStore
from tas.voicemail.notify_webhook import WebhookNotifier
from tas.voicemail.notify_worker import NotifyWorker
from tests.integration.voicemail.conftest import Speech
from tests.integration.voicemail.notify_peers import webhook_sink

ROOT = Path(__file__).resolve().parents[3]
LEASE = 30.0

WORKER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from tas.config import NotifySettings, VoicemailSettings
    from tas.store.db import Database
    from tas.voicemail import VoicemailStore
    from tas.voicemail.notify_models import Channel
    from tas.voicemail.notify_webhook import WebhookNotifier
    from tas.voicemail.notify_worker import NotifyWorker

    async def main() -> None:
        url, root, hook = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
        settings = NotifySettings(channels=["webhook"], webhook_url=hook, lease_seconds=LEASE_S)
        store = VoicemailStore(Database(url), root, VoicemailSettings(notify=settings))
        await store.open()
        notifiers = {Channel.WEBHOOK: WebhookNotifier("", timeout=60.0)}
        worker = NotifyWorker(store, notifiers, settings, owner="doomed")
        print("claimed", await worker.run_once(), flush=True)

    asyncio.run(main())
    """
).replace("LEASE_S", repr(LEASE))


def _settings(url: str) -> NotifySettings:
    return NotifySettings(channels=["webhook"], webhook_url=url, lease_seconds=LEASE)


async def _deposit(db_url: str, root: Path, hook: str, wav: bytes) -> Voicemail:
    # Notifications only: the webhook does not wait for a transcript (notify_wait = 0).
    vm = VoicemailSettings(notify=_settings(hook), transcribe=TranscribeSettings(notify_wait=0))
    store = VoicemailStore(Database(db_url), root, vm)
    await store.open()
    try:
        return await store.deposit("+4799990001", "+4799990002", wav)
    finally:
        await store.close()


async def test_killed_between_send_and_mark_is_sent_again_once(
    tmp_path: Path, speech: Speech
) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'tas.db'}"
    root = tmp_path / "vm"
    async with webhook_sink(hold=asyncio.Event()) as hook:
        message = await _deposit(db_url, root, hook.url, speech(1.5))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", WORKER, db_url, str(root), hook.url, env=env, cwd=ROOT
        )
        try:
            await asyncio.wait_for(hook.arrived.wait(), 30)  # sent, not yet answered
            process.send_signal(signal.SIGKILL)
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()
        assert process.returncode == -signal.SIGKILL
        assert hook.hold is not None
        hook.hold.set()

        store = VoicemailStore(
            Database(db_url), root, VoicemailSettings(notify=_settings(hook.url))
        )
        await store.open()
        outbox = OutboxStore(store.db)
        try:
            [entry] = await outbox.entries(message.voicemail_id)
            assert (entry.state, entry.attempts, entry.lease_owner) == (
                OutboxState.PENDING,
                1,
                "doomed",
            )

            def restarted(offset: float) -> NotifyWorker:
                def clock() -> datetime:
                    return datetime.now(UTC) + timedelta(seconds=offset)

                notifiers = {Channel.WEBHOOK: WebhookNotifier("", timeout=5.0)}
                return NotifyWorker(
                    store, notifiers, _settings(hook.url), owner="restarted", clock=clock
                )

            early, late, much_later = restarted(0.0), restarted(LEASE + 1), restarted(3600.0)
            try:
                assert await early.run_once() == 0  # the dead worker's lease still runs
                assert await late.run_once() == 1
                assert await late.run_once() == 0
                assert await much_later.run_once() == 0
            finally:
                for worker in (early, late, much_later):
                    await worker.aclose()
            [entry] = await outbox.entries(message.voicemail_id)
            assert (entry.state, entry.attempts, entry.lease_owner) == (
                OutboxState.SENT,
                2,
                None,
            )
        finally:
            await store.close()
    keys = [r.headers["idempotency-key"] for r in hook.requests]
    assert keys == [f"{message.voicemail_id}/webhook"] * 2  # one notification, one key
