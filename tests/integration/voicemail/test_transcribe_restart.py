"""A ``tas`` process killed (SIGKILL) in the middle of a transcript leaves its row leased; the
next server start on the same data picks it up once the lease runs out and transcribes it with
the real recogniser (PocketSphinx in the server's pool)."""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
import time
from pathlib import Path

from tas.config import Settings, TranscribeSettings
from tas.demo import ephemeral
from tas.server import TasServer
from tas.voicemail import VoicemailStore
from tas.voicemail.transcript_models import TranscriptStatus
from tas.voicemail.transcript_store import TranscriptStore
from tests.bench.bench_transcribe_wer import speak

LEASE = 3.0  # the doomed process's lease; the restarted server keeps the default timeout
CONFIG = TranscribeSettings(poll_interval=0.5)

# The doomed process: claims the pending row and hangs inside the "recogniser" until killed.
DOOMED = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from tas.config import Settings, TranscribeSettings
    from tas.voicemail import VoicemailStore
    from tas.voicemail.transcribe_worker import TranscribeWorker

    class Hangs:
        name, language = "hangs", "xx"
        async def transcribe(self, wav):
            print("transcribing", flush=True)
            await asyncio.Event().wait()
        async def aclose(self):
            pass

    async def main():
        settings = Settings(data_dir=Path(sys.argv[1]))
        store = VoicemailStore.from_settings(settings)
        await store.open()
        config = TranscribeSettings(lease_seconds=LEASE_S, timeout=LEASE_S - 1)
        await TranscribeWorker(store, Hangs(), config, owner="doomed").run_once()

    asyncio.run(main())
    """
).replace("LEASE_S", repr(LEASE))


def settings_for(data: Path) -> Settings:
    settings = ephemeral(Settings(data_dir=data))
    settings.voicemail.transcribe = CONFIG
    return settings


async def test_a_row_left_by_a_killed_process_is_transcribed_after_restart(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    store = VoicemailStore.from_settings(settings_for(data))
    await store.open()
    try:
        wav = speak("please call me back", tmp_path)
        message = await store.deposit("+4799990001", "+4799990002", wav)
    finally:
        await store.close()

    doomed = await asyncio.create_subprocess_exec(
        sys.executable, "-c", DOOMED, str(data), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert doomed.stdout is not None
        line = await asyncio.wait_for(doomed.stdout.readline(), 60)
        assert line == b"transcribing\n"
    finally:
        doomed.send_signal(signal.SIGKILL)
        await doomed.wait()
    assert doomed.returncode == -signal.SIGKILL

    server = TasServer(settings_for(data))
    await server.start()
    try:
        transcripts = TranscriptStore(server.db)
        leased = await transcripts.get(message.voicemail_id)
        assert leased is not None and leased.lease_owner == "doomed"  # still the dead one's
        deadline = time.monotonic() + 60
        while True:
            row = await transcripts.get(message.voicemail_id)
            assert row is not None
            if row.status is not TranscriptStatus.PENDING:
                break
            assert time.monotonic() < deadline, "not transcribed within 60 s of the restart"
            await asyncio.sleep(0.2)
        assert (row.status, row.engine, row.attempts) == (TranscriptStatus.DONE, "pocketsphinx", 2)
        assert row.text
    finally:
        await server.stop(grace=1.0)
