"""Mailbox by phone: which legs reach the mailbox menu, and the thin asyncio adapter that
drives the sans-IO :class:`~tas.voicemail.menu.MailboxMenu` with the call's media.

A leg is a mailbox call (:func:`mailbox_access`) when

* the subscriber calls their own number (an MO leg whose callee is its subscriber), or
* the subscriber calls a configured access number (``[voicemail] access_numbers``; MO leg), or
* a direct leg (no registration), or an MT leg of a registered access number, is addressed to
  an access number: the mailbox is the caller's.

The PIN is skipped only when the caller's identity is trusted: a ``P-Asserted-Identity``
(RFC 3325 §9.1) equal to the mailbox. Only legs from the operator core (or the embedded
sandbox) reach the call application (:class:`~tas.calls.gate.TrustGate`), so that header is
the operator's word; a From header never is. ``[voicemail] pin_required`` asks the PIN anyway.

:class:`MenuDriver` executes the menu's actions: prompts and files are played in order (a new
:class:`~tas.voicemail.menu_io.Play` replaces the one playing), RFC 4733 digits become
:class:`~tas.voicemail.menu_io.DtmfDigit`, recordings go to a temporary 8 kHz WAV, timers run
on the event loop's clock (``menu.deadline``), storage actions go to
:class:`~tas.voicemail.menu_storage.MenuStorage`, a :class:`~tas.voicemail.menu_io.CallBack` to
the ``call_back`` placer (:func:`tas.calls.callback.call_back`), which answers with
:class:`~tas.voicemail.menu_io.CallBackEnded`. Wrong PINs are counted (and the mailbox
locked) by :class:`~tas.voicemail.pin_store.PinStore`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from media.call_media import CallMedia
from media.dtmf import DtmfDigit as MediaDigit
from media.recording import Recording
from tas.calls.bridged import NewJournal
from tas.calls.callback import call_back
from tas.calls.leg import AnsweredLeg
from tas.calls.records import Outcome
from tas.calls.routing import Direction, LegInfo, e164_of, user_of
from tas.config import VoicemailSettings
from tas.logs import log_event
from tas.sip.message import Request
from tas.voicemail import VoicemailStore, beep
from tas.voicemail.menu import MailboxMenu
from tas.voicemail.menu_compose import PromptSet
from tas.voicemail.menu_io import (
    Action,
    Beep,
    CallBack,
    CallBackEnded,
    DiscardRecording,
    DtmfDigit,
    Hangup,
    Input,
    Log,
    Play,
    PromptFinished,
    RecordingFinished,
    StartRecording,
    StopPlayback,
    StopRecording,
    Tick,
)
from tas.voicemail.menu_storage import MEDIA_ACTIONS, MenuStorage
from tas.voicemail.pin_store import PinStore

__all__ = ["MailboxAccess", "MenuDriver", "mailbox_access", "run_mailbox"]

log = logging.getLogger(__name__)

#: Places a call-back to a number; True when the subscriber was connected
#: (:mod:`tas.calls.callback`).
CallBackPlacer = Callable[[str], Awaitable[bool]]
#: Seconds a call-back in progress gets to end after the mailbox call ended.
CALL_BACK_WAIT = 10.0


@dataclass(frozen=True, slots=True)
class MailboxAccess:
    """A leg that reaches ``mailbox``'s menu; ``trusted``: no PIN asked."""

    mailbox: str
    trusted: bool


def mailbox_access(
    info: LegInfo | None,
    dialled: str | None,
    caller: str | None,
    request: Request,
    access_numbers: Iterable[str],
) -> MailboxAccess | None:
    """Is this leg a mailbox call (see the module docstring)? ``dialled`` is the
    Request-URI user, ``caller`` the caller's user part (PAI, else From)."""
    access = set(access_numbers)
    mailbox: str | None = None
    if info is not None:
        own = info.callee == info.subscriber
        if info.direction is Direction.MO and (own or info.callee in access):
            mailbox = info.subscriber
        elif info.direction is Direction.MT and info.subscriber in access:
            mailbox = e164_of(caller)  # an access number registered with us
    elif e164_of(dialled) in access:
        mailbox = e164_of(caller)
    if mailbox is None:
        return None
    asserted = e164_of(user_of(request.headers.get("P-Asserted-Identity")))
    return MailboxAccess(mailbox, trusted=asserted == mailbox)


async def run_mailbox(
    leg: AnsweredLeg,
    access: MailboxAccess,
    store: VoicemailStore,
    settings: VoicemailSettings,
    new_journal: NewJournal,
) -> None:
    """Answer and run the menu until it hangs up or the caller does; key 3 calls back
    (:func:`~tas.calls.callback.call_back`, its leg's journal from ``new_journal``)."""
    leg.journal.update(action="mailbox")
    pins = PinStore(
        store.db, attempts=settings.pin_attempts, lock_seconds=settings.pin_lock_seconds
    )
    storage = MenuStorage(store, pins, access.mailbox)
    messages = await storage.messages()
    session = await leg.answer()
    if session is None:
        if leg.journal.record.outcome == Outcome.IN_PROGRESS.value:
            leg.journal.update(outcome=Outcome.ABANDONED.value)
        return
    leg.journal.update(outcome=Outcome.ANSWERED_BY_TAS.value)
    trusted = access.trusted and not settings.pin_required
    leg.journal.note("mailbox", f"{access.mailbox} {'trusted' if trusted else 'pin'}")
    menu = MailboxMenu(access.mailbox, messages, trusted=trusted,
                       tz=ZoneInfo(settings.timezone))  # fmt: skip
    prompts = PromptSet.load(settings.prompts_dir)
    placer = partial(call_back, leg, access.mailbox, new_journal=new_journal)
    driver = MenuDriver(menu, session, storage, prompts, leg, placer)
    try:
        await leg.race(driver.run())
    finally:
        await driver.finish()
    leg.hang_up()


class MenuDriver:
    """Feeds one :class:`MailboxMenu` from ``session`` and executes its actions."""

    def __init__(
        self,
        menu: MailboxMenu,
        session: CallMedia,
        storage: MenuStorage,
        prompts: PromptSet,
        leg: AnsweredLeg,
        call_back: CallBackPlacer,
    ) -> None:
        self.menu = menu
        self.call_back = call_back
        self.session = session
        self.storage = storage
        self.prompts = prompts
        self.leg = leg
        self.inputs: asyncio.Queue[Input] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._player: asyncio.Task[None] | None = None
        self._recording: Recording | None = None
        self._recorder: asyncio.Task[None] | None = None
        self._calling: asyncio.Task[None] | None = None
        self._tmp = Path(tempfile.mkdtemp(prefix="tas-menu-"))
        self._count = 0
        self._done = False

    async def run(self) -> None:
        """Until the menu asks to hang up."""
        self.session.on_dtmf = self._on_dtmf
        await self._execute(self.menu.start(self._loop.time(), datetime.now().astimezone()))
        while not self._done:
            timeout = None
            if self.menu.deadline is not None:
                timeout = max(0.0, self.menu.deadline - self._loop.time())
            try:
                event: Input = await asyncio.wait_for(self.inputs.get(), timeout)
            except TimeoutError:
                event = Tick()
            await self._execute(self.menu.handle(event, self._loop.time()))

    async def finish(self) -> None:
        """The call is over: stop playing and recording, clean up what nobody kept."""
        self.session.on_dtmf = None
        if not self._done:
            await self._execute(self.menu.hung_up())
        if self._calling is not None:  # it races the caller's hang-up itself: let it end
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._calling, CALL_BACK_WAIT)
        for task in (self._player, self._recorder):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._recording is not None:
            self._recording.stop()
            with contextlib.suppress(Exception):
                await self._recording.wait()
        for leftover in self._tmp.glob("*"):
            leftover.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self._tmp.rmdir()

    def _on_dtmf(self, digit: MediaDigit) -> None:
        if digit.digit in "0123456789*#":
            self.inputs.put_nowait(DtmfDigit(digit.digit))

    async def _execute(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, MEDIA_ACTIONS):
                self._media(action)
            elif isinstance(action, Log):
                self._log(action)
            else:
                answer = await self.storage.execute(action)
                if answer is not None:
                    self.inputs.put_nowait(answer)

    def _media(self, action: Action) -> None:
        match action:
            case Play():
                self._stop_playback()
                self._player = asyncio.ensure_future(self._play(action))
            case StopPlayback():
                self._stop_playback()
            case StartRecording(max_seconds=max_seconds):
                self._count += 1
                path = self._tmp / f"recording-{self._count}.wav"
                self._recording = self.session.record(path, max_duration=max_seconds)
                self._recorder = asyncio.ensure_future(self._recorded(self._recording))
            case StopRecording():
                if self._recording is not None:
                    self._recording.stop()
            case DiscardRecording(path=path):
                Path(path).unlink(missing_ok=True)
            case CallBack(number=number):
                self._calling = asyncio.ensure_future(self._call_back(number))
            case Hangup():
                self._done = True

    async def _call_back(self, number: str) -> None:
        connected = await self.call_back(number)
        self.inputs.put_nowait(CallBackEnded(connected))

    def _stop_playback(self) -> None:
        if self._player is not None and not self._player.done():
            self._player.cancel()
            self.session.stop_playback()
        self._player = None

    async def _play(self, play: Play) -> None:
        for item in play.items:
            if isinstance(item, Beep):
                source: bytes | Path = beep()
            elif isinstance(item, Path):
                source = item
            else:
                source = self.prompts.path(item)
            if not await self.session.play(source):
                return  # stopped: no PromptFinished is due
        self.inputs.put_nowait(PromptFinished(play.play_id))

    async def _recorded(self, recording: Recording) -> None:
        result = await recording.wait()
        if self._recording is recording:
            self._recording = None
        path = result.path or self._tmp / "discarded.wav"  # too short: nothing kept
        self.inputs.put_nowait(RecordingFinished(path, result.duration if result.kept else 0.0))

    def _log(self, entry: Log) -> None:
        self.leg.journal.note(f"mailbox-{entry.kind.value}", entry.detail)
        log_event(log, "mailbox_menu", kind=entry.kind.value, mailbox=entry.mailbox,
                  call_id=self.leg.call.call_id)  # fmt: skip
