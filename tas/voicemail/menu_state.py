"""The mailbox menu's states and every change between them: one table, one step.

In the style of h11's ``_state.py``: :class:`~tas.voicemail.menu.MailboxMenu` changes its
state only through :func:`next_state`, an (state, trigger) lookup in :data:`TRANSITIONS`; a
pair the table does not hold is a bug of ours and raises :class:`MenuStateError`. Which key
means which trigger in a state is :data:`KEYS` (keys a state does not list are "not an option").

::

    start --ask_pin--> pin --pin_entered--> verifying --pin_ok--> messages | main
    start --trusted--> messages | main                (no messages left: main)
    verifying --pin_wrong--> pin;  --pin_locked | pin_not_set--> ending
    messages --repeat|save|delete|next|skip--> messages  (no messages left: main)
    messages --call_back--> calling                       (CallBack: the call app places it)
    calling --connected--> ended;  calling --call_back_failed--> messages
    messages --no_call_back--> messages                   (hidden or not E.164: not called)
    messages|main --options--> options;  main --listen--> messages;  main --quit--> ending
    options --record--> recording --recorded--> review;  recording --too_short--> recording
    recording --stop--> stopping --recorded--> review;  stopping --too_short--> recording
    review --listen_back--> review;  --rerecord--> recording;  --keep--> options
    options --change_pin--> new_pin --pin_entered--> confirm_pin --pins_match--> options
    new_pin --pin_invalid--> new_pin;  confirm_pin --pins_differ--> new_pin
    options --back--> main;  new_pin --back--> options
    every waiting state --replay--> itself (no input: the menu again);  --give_up--> ending
    ending --done--> ended;  every state but ended --hung_up--> ended
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["KEYS", "TRANSITIONS", "MenuState", "MenuStateError", "Trigger", "next_state"]


class MenuState(StrEnum):
    START = "start"
    PIN = "pin"  # collecting the login PIN
    VERIFYING = "verifying"  # VerifyPin asked, waiting for PinVerified
    MESSAGES = "messages"  # a message (envelope, audio, its menu) or its menu again
    MAIN = "main"  # no message left to play: listen again, options, hang up
    OPTIONS = "options"
    RECORDING = "recording"
    STOPPING = "stopping"  # StopRecording asked, waiting for RecordingFinished
    REVIEW = "review"
    NEW_PIN = "new_pin"
    CONFIRM_PIN = "confirm_pin"
    CALLING = "calling"  # CallBack asked, waiting for CallBackEnded
    ENDING = "ending"  # a last prompt plays, then Hangup
    ENDED = "ended"


class Trigger(StrEnum):
    ASK_PIN = "ask_pin"
    TRUSTED = "trusted"
    PIN_ENTERED = "pin_entered"
    PIN_OK = "pin_ok"
    PIN_WRONG = "pin_wrong"
    PIN_LOCKED = "pin_locked"
    PIN_NOT_SET = "pin_not_set"
    REPEAT = "repeat"
    SAVE = "save"
    CALL_BACK = "call_back"
    NO_CALL_BACK = "no_call_back"
    CONNECTED = "connected"
    CALL_BACK_FAILED = "call_back_failed"
    DELETE = "delete"
    NEXT = "next"
    SKIP = "skip"
    OPTIONS = "options"
    NO_MORE = "no_more"
    LISTEN = "listen"
    QUIT = "quit"
    RECORD_BUSY = "record_busy"
    RECORD_UNAVAILABLE = "record_unavailable"
    RECORD_DEFAULT = "record_default"
    RECORD_NAME = "record_name"
    STOP = "stop"
    RECORDED = "recorded"
    TOO_SHORT = "too_short"
    LISTEN_BACK = "listen_back"
    RERECORD = "rerecord"
    KEEP = "keep"
    CHANGE_PIN = "change_pin"
    PIN_INVALID = "pin_invalid"
    PINS_MATCH = "pins_match"
    PINS_DIFFER = "pins_differ"
    BACK = "back"
    REPLAY = "replay"
    GIVE_UP = "give_up"
    DONE = "done"
    HUNG_UP = "hung_up"


class MenuStateError(RuntimeError):
    """The menu asked for a change its table does not hold (our bug, never the caller's)."""


S, T = MenuState, Trigger
_WAITING = {T.REPLAY: None, T.GIVE_UP: S.ENDING}  # None: stay in the same state
_RECORD = {T.RECORD_BUSY: S.RECORDING, T.RECORD_UNAVAILABLE: S.RECORDING,
           T.RECORD_DEFAULT: S.RECORDING, T.RECORD_NAME: S.RECORDING}  # fmt: skip

TRANSITIONS: dict[MenuState, dict[Trigger, MenuState | None]] = {
    S.START: {T.ASK_PIN: S.PIN, T.TRUSTED: S.MESSAGES},
    S.PIN: {T.PIN_ENTERED: S.VERIFYING, **_WAITING},
    S.VERIFYING: {T.PIN_OK: S.MESSAGES, T.PIN_WRONG: S.PIN, T.PIN_LOCKED: S.ENDING,
                  T.PIN_NOT_SET: S.ENDING},
    S.MESSAGES: {T.REPEAT: None, T.SAVE: None, T.DELETE: None, T.NEXT: None, T.SKIP: None,
                 T.CALL_BACK: S.CALLING, T.NO_CALL_BACK: None, T.OPTIONS: S.OPTIONS,
                 T.NO_MORE: S.MAIN, **_WAITING},
    S.MAIN: {T.LISTEN: S.MESSAGES, T.OPTIONS: S.OPTIONS, T.QUIT: S.ENDING, **_WAITING},
    S.OPTIONS: {**_RECORD, T.CHANGE_PIN: S.NEW_PIN, T.BACK: S.MAIN, **_WAITING},
    S.RECORDING: {T.STOP: S.STOPPING, T.RECORDED: S.REVIEW, T.TOO_SHORT: None},
    S.STOPPING: {T.RECORDED: S.REVIEW, T.TOO_SHORT: S.RECORDING},
    S.REVIEW: {T.LISTEN_BACK: None, T.RERECORD: S.RECORDING, T.KEEP: S.OPTIONS, **_WAITING},
    S.NEW_PIN: {T.PIN_ENTERED: S.CONFIRM_PIN, T.PIN_INVALID: None, T.BACK: S.OPTIONS,
                **_WAITING},
    S.CONFIRM_PIN: {T.PINS_MATCH: S.OPTIONS, T.PINS_DIFFER: S.NEW_PIN, **_WAITING},
    S.CALLING: {T.CONNECTED: S.ENDED, T.CALL_BACK_FAILED: S.MESSAGES},
    S.ENDING: {T.DONE: S.ENDED},
    S.ENDED: {},
}  # fmt: skip
for _state, _changes in TRANSITIONS.items():
    if _state is not S.ENDED:  # the caller may hang up at any moment
        _changes[T.HUNG_UP] = S.ENDED

#: Keys that mean a trigger in a state (menus of single keys; PIN states collect digits).
KEYS: dict[MenuState, dict[str, Trigger]] = {
    S.MESSAGES: {"1": T.REPEAT, "2": T.SAVE, "3": T.CALL_BACK, "7": T.DELETE, "9": T.NEXT,
                 "#": T.SKIP, "0": T.OPTIONS},
    S.MAIN: {"1": T.LISTEN, "0": T.OPTIONS, "*": T.QUIT},
    S.OPTIONS: {"1": T.RECORD_BUSY, "2": T.RECORD_UNAVAILABLE, "3": T.RECORD_DEFAULT,
                "4": T.RECORD_NAME, "5": T.CHANGE_PIN, "*": T.BACK},
    S.RECORDING: {"#": T.STOP},
    S.REVIEW: {"1": T.LISTEN_BACK, "2": T.RERECORD, "3": T.KEEP},
}  # fmt: skip


def next_state(state: MenuState, trigger: Trigger) -> MenuState:
    """The state after ``trigger`` in ``state`` (:data:`TRANSITIONS`)."""
    try:
        target = TRANSITIONS[state][trigger]
    except KeyError:
        raise MenuStateError(f"no {trigger.value!r} in menu state {state.value!r}") from None
    return state if target is None else target
