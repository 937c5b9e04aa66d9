"""The mailbox menu a subscriber hears when they call in to their voicemail (sans-IO).

:class:`MailboxMenu` is fed what happens on the call (:mod:`tas.voicemail.menu_io` inputs,
each with ``now`` on the call's clock) and returns the actions the call application executes
in order; its states change only through :func:`tas.voicemail.menu_state.next_state`. It
never touches files, the database or the network, so tests drive it on a virtual clock.

Flow: the PIN (skipped when ``trusted``: the caller's identity is the mailbox's, decided by
the call app), "You have N new and M saved messages", every new then every saved message
(oldest first) with its envelope (who, "a hidden number" for a hidden caller, and when), its
keys (1 repeat, 2 save, 3 call back: a known E.164 caller only, back to the message's menu if
the call fails; 7 delete, 9 next, # skip to the menu, 0 options), then the main menu (1 listen
again, 0 options, * hang up). Options: record the busy / unavailable /
default greeting or the name with review (1 listen, 2 record again, 3 save), change the PIN
(4-8 digits, twice). Timing (:class:`MenuTimers`): a key menu waits ``input_timeout`` after
its prompt and plays it again, ``replays`` times, then says goodbye; a PIN being typed is
submitted after ``digit_timeout`` without a key. Wrong PINs are counted by the PIN store,
which locks the mailbox; the menu ends the call when it says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from registrations.model import is_e164
from tas.voicemail.menu_compose import count_sentence, envelope
from tas.voicemail.menu_io import (
    Action,
    Beep,
    CallBack,
    CallBackEnded,
    DeleteMessage,
    DiscardRecording,
    DtmfDigit,
    GreetingKind,
    Hangup,
    Input,
    Log,
    LogKind,
    MarkSaved,
    MenuMessage,
    PinCheck,
    PinVerified,
    Play,
    PromptFinished,
    RecordingFinished,
    SetGreeting,
    SetPin,
    StartRecording,
    StopPlayback,
    StopRecording,
    Tick,
    VerifyPin,
)
from tas.voicemail.menu_prompts import Prompt
from tas.voicemail.menu_state import KEYS, MenuState, Trigger, next_state
from tas.voicemail.pins import is_valid_pin

__all__ = ["MailboxMenu", "MenuTimers"]

S, T = MenuState, Trigger
Item = Prompt | Path | Beep
_MAX_TYPED = 16  # keys kept while a PIN is typed; more cannot be a PIN anyway
#: What each waiting state plays again on no input (and after "not an option").
_MENU: dict[MenuState, tuple[Item, ...]] = {
    S.PIN: (Prompt.ENTER_PIN,),
    S.MESSAGES: (Prompt.MESSAGE_MENU,),
    S.MAIN: (Prompt.MAIN_MENU,),
    S.OPTIONS: (Prompt.OPTIONS_MENU,),
    S.REVIEW: (Prompt.REVIEW_MENU,),
    S.NEW_PIN: (Prompt.NEW_PIN,),
    S.CONFIRM_PIN: (Prompt.PIN_AGAIN,),
}
_TYPING = (S.PIN, S.NEW_PIN, S.CONFIRM_PIN)
_RECORD_KIND = {T.RECORD_BUSY: GreetingKind.BUSY, T.RECORD_UNAVAILABLE: GreetingKind.UNAVAILABLE,
                T.RECORD_DEFAULT: GreetingKind.DEFAULT, T.RECORD_NAME: GreetingKind.NAME}  # fmt: skip


@dataclass(frozen=True, slots=True)
class MenuTimers:
    """Timeouts (seconds) and bounds of one menu session."""

    input_timeout: float = 8.0  # after a prompt ends, wait this long for a key
    digit_timeout: float = 4.0  # between the keys of a PIN: then it counts as entered
    replays: int = 2  # menu replays on no input before goodbye
    max_recording: float = 60.0  # a greeting or name; StopRecording after it
    min_recording: float = 1.0  # shorter: "too short", record again


class MailboxMenu:
    """One caller's session with one mailbox; see the module docstring."""

    def __init__(
        self,
        mailbox: str,
        messages: Sequence[MenuMessage],
        *,
        trusted: bool,
        tz: tzinfo = UTC,
        timers: MenuTimers | None = None,
    ) -> None:
        self.mailbox = mailbox
        self.trusted = trusted
        self.tz = tz
        self.timers = timers or MenuTimers()
        self.state = S.START
        #: When to call :meth:`handle` with :class:`Tick` (None: nothing is timed).
        self.deadline: float | None = None
        self._messages = list(messages)
        self._queue: list[MenuMessage] = []  # still to play in this pass
        self._current: MenuMessage | None = None
        self._play_id = 0
        self._playing: int | None = None
        self._typed = ""
        self._new_pin = ""
        self._replays = 0
        self._kind = GreetingKind.DEFAULT
        self._recording: Path | None = None  # a finished recording under review
        self._recording_started = False
        self._now = 0.0
        self._wall = datetime.fromtimestamp(0, UTC)

    # ---- entry points -------------------------------------------------------------------

    def start(self, now: float, wall: datetime) -> list[Action]:
        """The call is answered: ask for the PIN, or (trusted) go straight to the messages.
        ``wall`` is the date and time of the call, for "today" and "yesterday"."""
        self._now, self._wall = now, wall
        if self.trusted:
            self._go(T.TRUSTED)
            return [Log(LogKind.TRUSTED_LOGIN, self.mailbox), *self._enter_messages(True)]
        self._go(T.ASK_PIN)
        return [self._play(Prompt.ENTER_PIN)]

    def handle(self, event: Input, now: float) -> list[Action]:
        """Feed one input; returns the actions to execute, in order."""
        self._now = now
        if self.state is S.ENDED:  # a late recording is still the call app's file to delete
            return [DiscardRecording(event.path)] if isinstance(event, RecordingFinished) else []
        actions: list[Action] = []
        if self.deadline is not None and now >= self.deadline:
            self.deadline = None
            actions += self._timeout()
        match event:
            case DtmfDigit(digit=digit):
                actions += self._digit(digit)
            case PromptFinished(play_id=play_id):
                actions += self._prompt_finished(play_id)
            case RecordingFinished():
                actions += self._recording_finished(event)
            case PinVerified(result=result):
                actions += self._pin_verified(result)
            case CallBackEnded(connected=connected):
                actions += self._call_back_ended(connected)
            case Tick():
                pass
        return actions

    def hung_up(self) -> list[Action]:
        """The caller hung up: what is left to clean up (a recording nobody kept)."""
        if self.state is S.ENDED:
            return []
        self._go(T.HUNG_UP)
        self.deadline = None
        return self._discard()

    # ---- inputs -------------------------------------------------------------------------

    def _digit(self, digit: str) -> list[Action]:
        if self.state not in _TYPING and self.state not in KEYS:
            return []  # waiting for the store or the recorder, or saying goodbye: ignored
        if self.state is S.RECORDING and digit != "#":
            return []  # keys heard while recording are part of the recording
        actions: list[Action] = []
        if self._playing is not None and self.state is not S.RECORDING:
            actions.append(StopPlayback())  # barge-in
            self._playing = None
        self._replays = 0
        if self.state in _TYPING:
            return actions + self._typing(digit)
        trigger = KEYS[self.state].get(digit)
        if trigger is None:
            return actions + [self._play(Prompt.INVALID_OPTION, *_MENU[self.state])]
        return actions + self._key(trigger)

    def _typing(self, digit: str) -> list[Action]:
        if digit == "#":
            return self._submit()
        if digit == "*":
            if self.state is S.PIN:  # start again
                self._typed = ""
                return [self._play(Prompt.ENTER_PIN)]
            self._go(T.BACK)
            self._typed = ""
            return [self._play(Prompt.OPTIONS_MENU)]
        self._typed = (self._typed + digit)[:_MAX_TYPED]
        self.deadline = self._now + self.timers.digit_timeout
        return []

    def _key(self, trigger: Trigger) -> list[Action]:
        if self.state is S.MESSAGES:
            return self._message_key(trigger)
        if self.state is S.MAIN:
            if trigger is T.LISTEN:
                self._go(T.LISTEN)
                return self._enter_messages(False)
            if trigger is T.QUIT:
                return self._end(T.QUIT)
            self._go(trigger)
            return [self._play(Prompt.OPTIONS_MENU)]
        if self.state is S.OPTIONS:
            if trigger in _RECORD_KIND:
                self._kind = _RECORD_KIND[trigger]
                self._go(trigger)
                return self._ask_recording()
            self._go(trigger)
            return [self._play(*_MENU[self.state])]  # change_pin → NEW_PIN, back → MAIN
        if self.state is S.RECORDING:  # "#": stop (ignored until the recording started)
            if not self._recording_started:
                return []
            self._go(T.STOP)
            self.deadline = None
            return [StopRecording()]
        return self._review_key(trigger)

    def _message_key(self, trigger: Trigger) -> list[Action]:
        current = self._current
        assert current is not None
        if trigger is T.REPEAT:
            self._go(trigger)
            return [self._play(*self._message_items(current))]
        if trigger is T.SKIP:
            self._go(trigger)
            return [self._play(Prompt.MESSAGE_MENU)]
        if trigger is T.OPTIONS:
            self._go(trigger)
            return [self._play(Prompt.OPTIONS_MENU)]
        if trigger is T.CALL_BACK:
            if not current.caller_number or not is_e164(current.caller_number):
                self._go(T.NO_CALL_BACK)  # hidden: nothing to call; not E.164: not allowed
                why = Prompt.NUMBER_NOT_AVAILABLE
                if current.caller_number:
                    why = Prompt.CANNOT_CALL_BACK
                return [self._play(why, Prompt.MESSAGE_MENU)]
            self._go(trigger)
            self.deadline = None
            return [Log(LogKind.CALL_BACK, self.mailbox, current.caller_number),
                    self._play(Prompt.CALLING_BACK), CallBack(current.caller_number)]  # fmt: skip
        actions: list[Action] = []
        said: tuple[Item, ...] = ()
        if trigger is T.SAVE:
            index = self._messages.index(current)
            self._messages[index] = replace(current, saved=True)
            actions += [MarkSaved(current.voicemail_id), Log(LogKind.SAVED, self.mailbox)]
            said = (Prompt.SAVED_OK,)
        elif trigger is T.DELETE:
            self._messages.remove(current)
            actions += [DeleteMessage(current.voicemail_id), Log(LogKind.DELETED, self.mailbox)]
            said = (Prompt.DELETED_OK,)
        self._go(trigger)
        return actions + self._next_message(said)

    def _review_key(self, trigger: Trigger) -> list[Action]:
        recording = self._recording
        assert recording is not None
        self._go(trigger)
        if trigger is T.LISTEN_BACK:
            return [self._play(recording, Prompt.REVIEW_MENU)]
        if trigger is T.RERECORD:
            return [DiscardRecording(recording), *self._ask_recording()]
        self._recording = None  # KEEP: the call app stores it
        return [SetGreeting(self._kind, recording),
                Log(LogKind.GREETING_SET, self.mailbox, self._kind.value),
                self._play(Prompt.GREETING_SAVED, Prompt.OPTIONS_MENU)]  # fmt: skip

    def _submit(self) -> list[Action]:
        typed, self._typed = self._typed, ""
        self.deadline = None
        if self.state is S.PIN:
            if not typed:
                self._go(T.REPLAY)
                return [self._play(Prompt.ENTER_PIN)]
            self._go(T.PIN_ENTERED)
            return [VerifyPin(typed)]
        if self.state is S.NEW_PIN:
            if not is_valid_pin(typed):
                self._go(T.PIN_INVALID)
                return [self._play(Prompt.PIN_INVALID, Prompt.NEW_PIN)]
            self._new_pin = typed
            self._go(T.PIN_ENTERED)
            return [self._play(Prompt.PIN_AGAIN)]
        new_pin, self._new_pin = self._new_pin, ""
        if typed != new_pin:
            self._go(T.PINS_DIFFER)
            return [self._play(Prompt.PIN_MISMATCH, Prompt.NEW_PIN)]
        self._go(T.PINS_MATCH)
        return [SetPin(new_pin), Log(LogKind.PIN_CHANGED, self.mailbox),
                self._play(Prompt.PIN_CHANGED, Prompt.OPTIONS_MENU)]  # fmt: skip

    def _prompt_finished(self, play_id: int) -> list[Action]:
        if play_id != self._playing:
            return []  # a play we stopped or replaced
        self._playing = None
        if self.state is S.ENDING:
            self._go(T.DONE)
            return [Hangup()]
        if self.state is S.RECORDING and not self._recording_started:
            self._recording_started = True
            self.deadline = self._now + self.timers.max_recording
            return [StartRecording(self._kind, self.timers.max_recording)]
        if self.state in _MENU:
            wait = self.timers.digit_timeout if self._typed else self.timers.input_timeout
            self.deadline = self._now + wait
        return []

    def _recording_finished(self, event: RecordingFinished) -> list[Action]:
        if self.state not in (S.RECORDING, S.STOPPING) or not self._recording_started:
            return [DiscardRecording(event.path)]  # not ours to keep
        self._recording_started = False
        self.deadline = None
        if event.seconds < self.timers.min_recording:
            self._go(T.TOO_SHORT)
            return [DiscardRecording(event.path), *self._ask_recording(Prompt.TOO_SHORT)]
        self._recording = event.path
        self._go(T.RECORDED)
        return [self._play(Prompt.REVIEW_MENU)]

    def _call_back_ended(self, connected: bool) -> list[Action]:
        if self.state is not S.CALLING:
            return []
        if connected:
            self._go(T.CONNECTED)
            return [Hangup()]
        self._go(T.CALL_BACK_FAILED)
        return [self._play(Prompt.CALL_BACK_FAILED, Prompt.MESSAGE_MENU)]

    def _pin_verified(self, result: PinCheck) -> list[Action]:
        if self.state is not S.VERIFYING:
            return []
        if result is PinCheck.OK:
            self._go(T.PIN_OK)
            return [Log(LogKind.LOGIN, self.mailbox), *self._enter_messages(True)]
        if result is PinCheck.WRONG:
            self._go(T.PIN_WRONG)
            return [Log(LogKind.WRONG_PIN, self.mailbox),
                    self._play(Prompt.WRONG_PIN, Prompt.ENTER_PIN)]  # fmt: skip
        if result is PinCheck.LOCKED:
            self._go(T.PIN_LOCKED)
            return [Log(LogKind.LOCKED, self.mailbox), self._play(Prompt.LOCKED)]
        self._go(T.PIN_NOT_SET)
        return [Log(LogKind.NO_PIN, self.mailbox), self._play(Prompt.NO_PIN)]

    def _timeout(self) -> list[Action]:
        if self.state is S.RECORDING:  # the recorder did not stop by itself
            self._go(T.STOP)
            return [StopRecording()]
        if self.state in _TYPING and self._typed:
            return self._submit()  # inter-digit timeout: the PIN is complete
        self._replays += 1
        if self._replays > self.timers.replays:
            self._typed = ""
            return [Log(LogKind.NO_INPUT, self.mailbox), *self._discard(), *self._end(T.GIVE_UP)]
        self._go(T.REPLAY)
        return [self._play(*_MENU[self.state])]

    # ---- helpers ------------------------------------------------------------------------

    def _go(self, trigger: Trigger) -> None:
        self.state = next_state(self.state, trigger)

    def _play(self, *items: Item) -> Play:
        self._play_id += 1
        self._playing = self._play_id
        self.deadline = None  # timers run from the end of the prompt
        return Play(self._play_id, items)

    def _end(self, trigger: Trigger) -> list[Action]:
        """Say goodbye; :class:`Hangup` follows when it has played."""
        self._go(trigger)
        return [self._play(Prompt.GOODBYE)]

    def _discard(self) -> list[Action]:
        recording, self._recording = self._recording, None
        return [DiscardRecording(recording)] if recording is not None else []

    def _ask_recording(self, *before: Item) -> list[Action]:
        self._recording_started = False
        prompt = Prompt.RECORD_NAME if self._kind is GreetingKind.NAME else Prompt.RECORD_GREETING
        return [self._play(*before, prompt, Beep())]

    def _enter_messages(self, with_count: bool) -> list[Action]:
        count: tuple[Item, ...] = ()
        if with_count:
            new = sum(1 for m in self._messages if not m.saved)
            count = count_sentence(new, len(self._messages) - new)
        # new before saved, oldest first in each
        self._queue = sorted(self._messages, key=lambda m: (m.saved, m.created))
        return self._next_message(count)

    def _next_message(self, before: tuple[Item, ...]) -> list[Action]:
        queue = self._queue
        if not queue:
            self._current = None
            self._go(T.NO_MORE)
            return [self._play(*before, Prompt.NO_MORE_MESSAGES, Prompt.MAIN_MENU)]
        self._current = queue.pop(0)
        return [self._play(*before, *self._message_items(self._current))]

    def _message_items(self, message: MenuMessage) -> tuple[Item, ...]:
        said = envelope(message.caller_number, message.created, self._wall, self.tz)
        return (*said, message.path, Prompt.MESSAGE_MENU)
