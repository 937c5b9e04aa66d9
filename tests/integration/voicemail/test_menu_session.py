"""The mailbox menu driven end to end against a real store (SQLite and PostgreSQL): storage
actions executed by :class:`MenuStorage`, media simulated (every prompt ends at once, a
recording is a WAV written to a file) — lockout after three wrong PINs, then a session that
logs in, hears the count, plays, saves, deletes and records a busy greeting
(tas.voicemail.menu, menu_storage, pin_store; issue 15 item 1)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete

from tas.voicemail import Reason, VoicemailStore
from tas.voicemail.menu import MailboxMenu
from tas.voicemail.menu_io import (
    Action,
    DiscardRecording,
    DtmfDigit,
    Hangup,
    Input,
    Play,
    PromptFinished,
    RecordingFinished,
    StartRecording,
    StopRecording,
)
from tas.voicemail.menu_prompts import Prompt as P
from tas.voicemail.menu_state import MenuState
from tas.voicemail.menu_storage import MEDIA_ACTIONS, MenuStorage
from tas.voicemail.pin_store import MailboxPin, PinStore
from tas.voicemail.wavfile import pcm16_wav

BOX = "+4712345670"


class Call:
    """What the call app will do: storage actions through MenuStorage, media simulated."""

    def __init__(self, menu: MailboxMenu, storage: MenuStorage, take: Path) -> None:
        self.menu, self.storage, self.take = menu, storage, take
        self.now = 0.0
        self.heard: list[tuple[object, ...]] = []
        self.hung_up = False
        self.recording = False

    async def run(self, actions: list[Action]) -> None:
        queue = list(actions)
        while queue:
            action = queue.pop(0)
            follow: Input | None = None
            if not isinstance(action, MEDIA_ACTIONS):
                follow = await self.storage.execute(action)
            elif isinstance(action, Play):
                self.heard.append(action.items)
                follow = PromptFinished(action.play_id)
            elif isinstance(action, StartRecording):
                self.recording = True
            elif isinstance(action, StopRecording):
                self.take.write_bytes(pcm16_wav(bytes(range(256)) * 125))  # 2 s of audio
                follow = RecordingFinished(self.take, 2.0)
            elif isinstance(action, DiscardRecording):
                action.path.unlink(missing_ok=True)
            elif isinstance(action, Hangup):
                self.hung_up = True
            if follow is not None:
                queue += self.menu.handle(follow, self.now)

    async def keys(self, keys: str) -> None:
        for key in keys:
            self.now += 0.5
            await self.run(self.menu.handle(DtmfDigit(key), self.now))


@pytest.fixture
async def pins(store: VoicemailStore) -> AsyncIterator[PinStore]:
    async with store.db.session() as session:
        await session.exec(delete(MailboxPin))
        await session.commit()
    yield PinStore(store.db, attempts=3, lock_seconds=600)


async def test_three_wrong_pins_lock_the_mailbox(
    store: VoicemailStore, pins: PinStore, tmp_path: Path
) -> None:
    await pins.set_pin(BOX, "2580")
    storage = MenuStorage(store, pins, BOX)
    call = Call(MailboxMenu(BOX, await storage.messages(), trusted=False), storage, tmp_path)
    await call.run(call.menu.start(0.0, datetime.now(UTC)))
    await call.keys("1111#")
    await call.keys("2222#")
    assert not call.hung_up
    await call.keys("3333#")
    assert call.heard[-1] == (P.LOCKED,) and call.hung_up
    assert await pins.locked_until(BOX) is not None
    # the next call with the right PIN is still refused
    again = Call(MailboxMenu(BOX, [], trusted=False), storage, tmp_path)
    await again.run(again.menu.start(0.0, datetime.now(UTC)))
    await again.keys("2580#")
    assert again.heard[-1] == (P.LOCKED,) and again.hung_up


async def test_session_login_play_save_delete_and_record_busy_greeting(
    store: VoicemailStore, pins: PinStore, tmp_path: Path
) -> None:
    wav = pcm16_wav(bytes(16000))
    now = datetime.now(UTC)
    hidden = await store.deposit(BOX, "anonymous", wav, now=now)
    known = await store.deposit(BOX, "+4798765432", wav, now=now)
    await store.mark_played(known.voicemail_id)  # a saved one
    await pins.set_pin(BOX, "2580")
    storage = MenuStorage(store, pins, BOX)
    take = tmp_path / "take.wav"
    call = Call(MailboxMenu(BOX, await storage.messages(), trusted=False), storage, take)
    await call.run(call.menu.start(0.0, now))
    await call.keys("2580#")
    first = call.heard[-1]
    assert first[:9] == (P.YOU_HAVE, P.N1, P.NEW, P.AND, P.N1, P.SAVED, P.MESSAGE,
                         P.MESSAGE_FROM, P.HIDDEN_NUMBER)  # fmt: skip
    assert hidden.path in first
    await call.keys("2")  # save the new one; the saved one plays next
    assert (await store.get(hidden.voicemail_id)).played
    assert known.path in call.heard[-1]
    await call.keys("7")  # delete it
    assert [m.voicemail_id for m in await store.list_messages(BOX)] == [hidden.voicemail_id]
    assert call.menu.state is MenuState.MAIN
    await call.keys("01")  # options, busy greeting: the recording starts after the beep
    assert call.recording
    await call.keys("#")
    await call.keys("3")  # save it
    greeting = store.greetings.greeting_for(BOX, Reason.BUSY)
    assert greeting.read_bytes() == take.read_bytes()
    assert call.heard[-1] == (P.GREETING_SAVED, P.OPTIONS_MENU)
