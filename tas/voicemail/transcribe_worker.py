"""The transcript worker: claims pending transcript rows (:mod:`tas.voicemail.transcript_rules`
through :mod:`tas.voicemail.transcript_store`), runs the recogniser in a bounded pool of worker
processes, records the result, makes the message's held e-mail/webhook notifications due
(:mod:`tas.voicemail.commit_rows`) and writes a ``transcribed`` milestone into the call's
timeline.

It runs as its own task (``tas serve``), never on the call path: the message is committed with a
``pending`` row and the call goes on. The recogniser is CPU-bound C code, so it runs in other
processes (:class:`PoolEngine`), not on the event loop's thread; the worker holds at most
``[voicemail.transcribe] queue`` rows at once, the rest wait in the table. A process killed
mid-transcript leaves its row leased; the lease runs out and the next start (this replica or
another) claims it again.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from tas.config import Settings, TranscribeSettings
from tas.logs import log_event
from tas.voicemail.errors import VoicemailNotFound
from tas.voicemail.milestones import add_milestone
from tas.voicemail.store import VoicemailStore
from tas.voicemail.transcribe import ENGINE, LANGUAGE, transcribe, unavailable_reason
from tas.voicemail.transcript_models import Transcript, TranscriptStatus
from tas.voicemail.transcript_rules import done, failed, released
from tas.voicemail.transcript_store import TranscriptStore

__all__ = [
    "Engine",
    "EngineCrashed",
    "PoolEngine",
    "TranscribeWorker",
    "start_transcriber",
]

log = logging.getLogger(__name__)

_SNIPPET = 60  # characters of the text in the timeline milestone


class EngineCrashed(Exception):
    """The recogniser's process died: not this audio's fault, so the row is retried."""


class Engine(Protocol):
    name: str
    language: str

    async def transcribe(self, wav: bytes) -> str:
        """The words in ``wav``; :class:`EngineCrashed` when the recogniser itself died, any
        other exception when it refused this audio."""

    async def aclose(self) -> None:
        """Stop the recogniser's processes."""


class PoolEngine:
    """PocketSphinx in ``workers`` spawned processes (never forked from the server's threads)."""

    name = ENGINE
    language = LANGUAGE

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(max_workers=self._workers, mp_context=context)

    async def transcribe(self, wav: bytes) -> str:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, transcribe, wav)
        except BrokenProcessPool as exc:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            raise EngineCrashed(str(exc) or "the recogniser process died") from exc

    def restart(self) -> None:
        """Drop the processes (one is stuck past its timeout) and start fresh ones."""
        old, self._pool = self._pool, self._new_pool()
        for process in list(getattr(old, "_processes", {}).values()):
            process.terminate()
        old.shutdown(wait=False, cancel_futures=True)

    async def aclose(self) -> None:
        await asyncio.to_thread(self._pool.shutdown, True, cancel_futures=True)


class TranscribeWorker:
    """Transcribe the pending messages of ``store``'s database with ``engine``, as ``owner``."""

    def __init__(
        self,
        store: VoicemailStore,
        engine: Engine,
        settings: TranscribeSettings,
        *,
        owner: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_transcribed: Callable[[str], None] = lambda _voicemail_id: None,
    ) -> None:
        self.store = store
        self.transcripts = TranscriptStore(store.db)
        self.engine = engine
        self.settings = settings
        self.owner = owner
        self._clock = clock
        self._on_transcribed = on_transcribed  # e.g. wake the notification worker
        self._wake = asyncio.Event()
        # One recognition per pool process at a time: the timeout counts recognition only,
        # not the wait of a claimed row behind another (queue > workers).
        self._slots = asyncio.Semaphore(settings.workers)

    def wake(self) -> None:
        """Look for pending rows now (a message was just committed)."""
        self._wake.set()

    async def run(self) -> None:
        """Transcribe until cancelled; the first round picks up rows a crash left pending."""
        while True:
            try:
                while await self.run_once() == self.settings.queue:
                    pass  # a full batch: more may be waiting
            except Exception as exc:  # a round must never end the worker
                log_event(log, "transcribe_round_failed", level=logging.WARNING, error=exc)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), self.settings.poll_interval)
            except TimeoutError:
                pass

    async def run_once(self) -> int:
        """Claim up to ``queue`` pending rows and transcribe them; returns how many."""
        settings = self.settings
        claimed = await self.transcripts.claim_due(
            self.owner,
            self._clock(),
            timedelta(seconds=settings.lease_seconds),
            settings.max_attempts,
            settings.queue,
        )
        if claimed:
            await asyncio.gather(*(self._work(job) for job in claimed))
        return len(claimed)

    async def aclose(self) -> None:
        await self.engine.aclose()

    async def _work(self, job: Transcript) -> None:
        engine = self.engine
        try:
            _, wav = await self.store.read_audio(job.voicemail_id)
            async with self._slots:
                text = await asyncio.wait_for(engine.transcribe(wav), self.settings.timeout)
        except VoicemailNotFound:
            return  # deleted meanwhile: its row went with it (cascade)
        except EngineCrashed as exc:
            after = released(job, self._clock())
            error = f"crashed: {exc}"
        except TimeoutError:
            if isinstance(engine, PoolEngine):
                engine.restart()
            error = f"timed out after {self.settings.timeout:g} s"
            after = failed(job, self._clock(), error, engine.name)
        except Exception as exc:  # the recogniser refused this audio
            error = f"{type(exc).__name__}: {exc}"
            after = failed(job, self._clock(), error, engine.name)
        else:
            after = done(job, self._clock(), text, engine.name, engine.language)
            error = ""
        if not await self.transcripts.record(job, after):
            return
        log_event(
            log, "transcript", level=logging.WARNING if error else logging.INFO,
            voicemail_id=job.voicemail_id, status=after.status.value, attempt=job.attempts,
            words=len(after.text.split()), error=error,
        )  # fmt: skip
        if after.lease_owner is None and after.status is not job.status:
            await self._finished(after)

    async def _finished(self, after: Transcript) -> None:
        """Release the held notifications and note the milestone."""
        await self.transcripts.release_notifications(after.voicemail_id, self._clock())
        self._on_transcribed(after.voicemail_id)
        try:
            message = await self.store.get(after.voicemail_id)
        except VoicemailNotFound:
            return
        kind = "transcribed" if after.status is TranscriptStatus.DONE else "transcribe-failed"
        words = after.text if len(after.text) <= _SNIPPET else after.text[:_SNIPPET] + "…"
        detail = f"{after.engine}: {words!r}" if kind == "transcribed" else after.error
        await add_milestone(self.store.db, message, kind, detail)


def start_transcriber(
    store: VoicemailStore, settings: Settings, notify: Any, tasks: list[asyncio.Task[None]]
) -> TranscribeWorker | None:
    """``tas serve``: the worker as its own task in ``tasks`` (it wakes ``notify``, the
    notification worker, when a transcript is ready); None, said once in the log, when
    transcripts are off or no recogniser is installed (messages are then ``unavailable``)."""
    from tas.voicemail.notify_worker import owner_of

    config = settings.voicemail.transcribe
    why = unavailable_reason(config.enabled)
    if why:
        log_event(log, "transcripts_unavailable", reason=why)
        return None
    worker = TranscribeWorker(
        store,
        PoolEngine(config.workers),
        config,
        owner=owner_of(settings),
        on_transcribed=lambda _voicemail_id: notify.wake() if notify is not None else None,
    )
    tasks.append(asyncio.create_task(worker.run()))
    return worker
