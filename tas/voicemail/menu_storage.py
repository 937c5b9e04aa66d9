"""The storage half of the mailbox menu's actions (the call app executes the media half).

:class:`MenuStorage` loads a mailbox's messages as :class:`~tas.voicemail.menu_io.MenuMessage`
and executes :class:`VerifyPin` (answered with :class:`PinVerified`, to feed back to the menu),
:class:`SetPin`, :class:`MarkSaved`, :class:`DeleteMessage`, :class:`SetGreeting` and
:class:`Log`. :data:`MEDIA_ACTIONS` are the call's own: :class:`Play`, :class:`StopPlayback`,
:class:`StartRecording`, :class:`StopRecording`, :class:`DiscardRecording`, :class:`CallBack`
and :class:`Hangup`.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from tas.voicemail.menu_io import (
    Action,
    CallBack,
    DeleteMessage,
    DiscardRecording,
    Hangup,
    Log,
    MarkSaved,
    MenuMessage,
    PinVerified,
    Play,
    SetGreeting,
    SetPin,
    StartRecording,
    StopPlayback,
    StopRecording,
    VerifyPin,
)
from tas.voicemail.pin_store import PinStore
from tas.voicemail.store import VoicemailStore

__all__ = ["MEDIA_ACTIONS", "MenuStorage"]

log = logging.getLogger(__name__)

#: Actions the call application executes itself (media, recording files, signalling).
MEDIA_ACTIONS = (Play, StopPlayback, StartRecording, StopRecording, DiscardRecording, CallBack,
                 Hangup)  # fmt: skip


class MenuStorage:
    """One mailbox's store operations for its menu session."""

    def __init__(self, store: VoicemailStore, pins: PinStore, mailbox: str) -> None:
        self.store = store
        self.pins = pins
        self.mailbox = mailbox

    async def messages(self) -> list[MenuMessage]:
        """The mailbox's messages (``played`` ones are the saved ones)."""
        return [
            MenuMessage(m.voicemail_id, m.caller_number, m.created, m.path, saved=m.played)
            for m in await self.store.list_messages(self.mailbox)
        ]

    async def execute(self, action: Action) -> PinVerified | None:
        """Run one storage action; :class:`VerifyPin` returns the input to feed the menu."""
        match action:
            case VerifyPin(pin=pin):
                return PinVerified(await self.pins.verify(self.mailbox, pin))
            case SetPin(pin=pin):
                await self.pins.set_pin(self.mailbox, pin)
            case MarkSaved(voicemail_id=voicemail_id):
                await self.store.mark_played(voicemail_id)
            case DeleteMessage(voicemail_id=voicemail_id):
                await self.store.delete(voicemail_id)
            case SetGreeting(kind=kind, path=path):
                wav = await asyncio.to_thread(Path(path).read_bytes)
                greetings = self.store.greetings
                await asyncio.to_thread(greetings.set_greeting, self.mailbox, kind.value, wav)
            case Log(kind=kind, mailbox=mailbox, detail=detail):
                log.info("voicemail menu %s mailbox=%s %s", kind.value, mailbox, detail)
            case _:
                raise TypeError(f"{type(action).__name__} is a media action: the call runs it")
        return None
