"""Crash at each step of the commit and delete protocols, then restart and ``recover()``.

A "crash" is an exception raised from the step (the process state is then thrown away and a new
store opens the same database and directory); one test kills a real child process.
"""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import tas.voicemail.blobs as blobs_module
import tas.voicemail.store as store_module
from tas.voicemail import Reason, VoicemailStore
from tas.voicemail.wavfile import temp_path, write_durably

BOX = "+4712345678"
CALLER = "+4799999999"


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs."""


def crash(*_args: Any, **_kwargs: Any) -> Any:
    raise Crash


async def test_crash_while_recording_leaves_nothing_listed(
    store: VoicemailStore, restart: Any, speech: Any
) -> None:
    pending = await store.reserve(BOX, CALLER)
    part = temp_path(pending.path)
    part.write_bytes(speech(2.0)[:1000])  # the recorder's half-written temp file
    after = await restart()
    report = await after.recover()
    assert report.temp_removed == (part,)
    assert report.abandoned == (pending.voicemail_id,)
    assert not part.exists() and not pending.sidecar.exists()
    assert await after.list_messages() == []
    assert await after.recover() == type(report)()  # idempotent


async def test_crash_after_rename_before_row_adopts_the_message(
    store: VoicemailStore, restart: Any, speech: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending = await store.reserve(BOX, CALLER, reason=Reason.BUSY, call_id="call-9")
    wav = speech(2.0)
    write_durably(pending.path, wav)
    monkeypatch.setattr(VoicemailStore, "_insert", crash)
    with pytest.raises(Crash):
        await store.commit(pending)
    monkeypatch.undo()
    assert await store.list_messages() == []
    after = await restart()
    report = await after.recover()
    [adopted] = report.adopted
    assert adopted.voicemail_id == pending.voicemail_id
    assert (adopted.caller, adopted.reason, adopted.call_id) == (CALLER, Reason.BUSY, "call-9")
    assert adopted.created == pending.created
    assert await after.list_messages() == [adopted]
    assert (await after.read_audio(adopted.voicemail_id))[1] == wav
    assert not pending.sidecar.exists()


async def test_crash_after_row_before_sidecar_removal_keeps_one_message(
    store: VoicemailStore, restart: Any, speech: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending = await store.reserve(BOX, CALLER)
    write_durably(pending.path, speech(2.0))
    monkeypatch.setattr(store_module, "_unlink_durably", crash)
    with pytest.raises(Crash):
        await store.commit(pending)
    monkeypatch.undo()
    assert pending.sidecar.exists()
    after = await restart()
    report = await after.recover()
    assert report.sidecars_cleared == (pending.voicemail_id,) and report.adopted == ()
    messages = await after.list_messages()
    assert [m.voicemail_id for m in messages] == [pending.voicemail_id]
    assert not pending.sidecar.exists() and messages[0].path.exists()


async def test_crash_in_delete_between_row_and_file_removes_the_orphan(
    store: VoicemailStore, restart: Any, speech: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = await store.deposit(BOX, CALLER, speech(2.0))
    monkeypatch.setattr(blobs_module, "_unlink_all", crash)
    with pytest.raises(Crash):
        await store.delete(message.voicemail_id)
    monkeypatch.undo()
    assert message.path.exists()
    after = await restart()
    report = await after.recover()
    assert report.orphans_removed == (message.path,)
    assert not message.path.exists() and await after.list_messages() == []


async def test_adoption_discards_what_commit_would_refuse(
    store: VoicemailStore, restart: Any, speech: Any
) -> None:
    short = await store.reserve(BOX, CALLER)
    write_durably(short.path, speech(0.3))
    broken = await store.reserve(BOX, CALLER)
    write_durably(broken.path, b"RIFF....WAVEjunk")
    report = await (await restart()).recover()
    assert sorted(report.discarded) == sorted([short.voicemail_id, broken.voicemail_id])
    for pending in (short, broken):
        assert not pending.path.exists() and not pending.sidecar.exists()


async def test_missing_audio_is_reported_not_dropped(
    store: VoicemailStore, restart: Any, speech: Any
) -> None:
    message = await store.deposit(BOX, CALLER, speech(1.5))
    message.path.unlink()
    after = await restart()
    report = await after.recover()
    assert report.missing_audio == (message.voicemail_id,)
    assert [m.voicemail_id for m in await after.list_messages()] == [message.voicemail_id]


async def test_min_age_spares_files_another_replica_is_writing(
    store: VoicemailStore, restart: Any, speech: Any
) -> None:
    pending = await store.reserve(BOX, CALLER)
    write_durably(pending.path, speech(1.5))
    part = temp_path(pending.path.with_name("other.wav"))
    part.write_bytes(b"partial")
    report = await (await restart()).recover(min_age=3600)
    assert report == type(report)()
    assert part.exists() and pending.sidecar.exists() and pending.path.exists()


async def test_foreign_files_are_left_alone(store: VoicemailStore, restart: Any) -> None:
    directory = store.messages_dir / "4712345678"
    directory.mkdir(parents=True)
    (directory / "notes.wav").write_bytes(b"mine")
    report = await (await restart()).recover()
    assert report == type(report)() and (directory / "notes.wav").exists()


CHILD = """
import asyncio, os, sys
from pathlib import Path
from tas.store.db import Database
from tas.voicemail import VoicemailStore
import tas.voicemail.store as store_module
from tas.voicemail.wavfile import write_durably

async def main(url, root, wav):
    store = VoicemailStore(Database(url), Path(root))
    await store.open()
    pending = await store.reserve("+4712345678", "+4799999999", call_id="killed")
    write_durably(pending.path, Path(wav).read_bytes())
    print(pending.voicemail_id, flush=True)
    async def die(*args, **kwargs):
        os.kill(os.getpid(), 9)
    store_module.VoicemailStore._insert = die
    await store.commit(pending)

asyncio.run(main(*sys.argv[1:]))
"""


async def test_killed_process_between_rename_and_row(
    store: VoicemailStore, restart: Any, speech: Any, db_url: str, tmp_path: Path
) -> None:
    wav = tmp_path / "input.wav"
    wav.write_bytes(speech(2.0, seed=7))
    script = textwrap.dedent(CHILD)
    child = await asyncio.create_subprocess_exec(
        *("timeout", "60", sys.executable, "-c", script, db_url, str(store.root), str(wav)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])},
    )
    stdout, stderr = await child.communicate()
    assert child.returncode in (-9, 137), (child.returncode, stderr.decode())  # SIGKILL
    voicemail_id = stdout.decode().strip()
    after = await restart()
    assert await after.list_messages() == []
    report = await after.recover()
    assert [m.voicemail_id for m in report.adopted] == [voicemail_id]
    [message] = await after.list_messages()
    assert message.call_id == "killed"
    assert (await after.read_audio(voicemail_id))[1] == wav.read_bytes()
