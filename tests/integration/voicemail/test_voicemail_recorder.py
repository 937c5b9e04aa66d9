"""The call application's recording flow with the media engine's WavWriter (temp + rename)."""

from __future__ import annotations

from typing import Any

import pytest

from media.wav import FORMAT_PCM, FORMAT_ULAW, WavWriter, read_wav
from tas.voicemail import Reason, VoicemailStore

BOX = "+4712345678"
CALLER = "+4799999999"


@pytest.mark.parametrize(("fmt", "octets_per_second"), [(FORMAT_PCM, 16000), (FORMAT_ULAW, 8000)])
async def test_recorder_then_commit(
    store: VoicemailStore, fmt: int, octets_per_second: int
) -> None:
    pending = await store.reserve(BOX, CALLER, reason=Reason.UNAVAILABLE, call_id="sip-1")
    writer = WavWriter(pending.path, fmt)
    for _ in range(150):  # 3 s of 20 ms packets
        writer.write(b"\x55" * (octets_per_second // 50))
    assert await store.list_messages(BOX) == []  # still recording: nothing listed
    writer.close()
    message = await store.commit(pending)
    assert message.duration == pytest.approx(3.0)
    assert read_wav(message.path).format == fmt
    assert [m.voicemail_id for m in await store.list_messages(BOX)] == [pending.voicemail_id]


async def test_restart_during_recording(store: VoicemailStore, restart: Any) -> None:
    pending = await store.reserve(BOX, CALLER)
    writer = WavWriter(pending.path)
    writer.write(bytes(16000))  # the process dies here: temp file open, never renamed
    after = await restart()
    report = await after.recover()
    assert len(report.temp_removed) == 1 and report.abandoned == (pending.voicemail_id,)
    assert list(pending.path.parent.iterdir()) == []
    assert await after.list_messages() == []
    writer.abort()


async def test_caller_hangs_up_before_minimum(store: VoicemailStore) -> None:
    pending = await store.reserve(BOX, CALLER)
    writer = WavWriter(pending.path)
    writer.write(bytes(8000))  # 0.5 s
    writer.abort()
    await store.discard(pending)
    assert list(pending.path.parent.iterdir()) == []
    assert await store.count(BOX) == 0
