"""The admin API's voicemail resource returns the transcript, made by the running server's own
worker (PocketSphinx in its process pool, after the message was committed), over real HTTP."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from tas.server import TasServer
from tas.voicemail.transcript_models import TranscriptStatus
from tas.voicemail.transcript_store import TranscriptStore
from tests.bench.bench_transcribe_wer import speak
from tests.integration.admin.conftest import ADMIN, OWN, SUBSCRIBER, auth


async def test_show_and_list_carry_the_transcript(server: TasServer, tmp_path: Path) -> None:
    assert server.metrics is not None and server.transcriber is not None
    wav = speak("your package will arrive on monday morning", tmp_path)
    message = await server.voicemail.deposit(OWN, "+4711111111", wav)
    async with httpx.AsyncClient(base_url=server.metrics.url, timeout=10) as client:
        url = f"/api/voicemail/{message.voicemail_id}"
        first = (await client.get(url, headers=auth(SUBSCRIBER))).json()["transcript"]
        assert first["status"] in ("pending", "done")  # the worker may already have run
        server.transcriber.wake()
        deadline = time.monotonic() + 60  # spawning the recogniser process, loading its model
        while (await TranscriptStore(server.db).get(message.voicemail_id)).status is (  # type: ignore[union-attr]
            TranscriptStatus.PENDING
        ):
            assert time.monotonic() < deadline, "no transcript within 60 s"
            await asyncio.sleep(0.1)
        shown = await client.get(url, headers=auth(SUBSCRIBER))
        assert shown.status_code == 200
        transcript = shown.json()["transcript"]
        assert (transcript["status"], transcript["engine"], transcript["language"]) == (
            "done",
            "pocketsphinx",
            "en-US",
        )
        assert transcript["text"] and transcript["detail"] == transcript["text"]
        listed = await client.get("/api/voicemail", headers=auth(ADMIN))
        [row] = [m for m in listed.json() if m["id"] == message.voicemail_id]
        assert row["transcript"] == transcript
