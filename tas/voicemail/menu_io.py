"""What the mailbox menu (:mod:`tas.voicemail.menu`) is fed and what it asks its call to do.

Inputs are what happened on the call (a DTMF digit, the end of a played sequence or of a
recording) or the answer to an action that needed I/O (:class:`PinVerified`); a :class:`Tick`
only advances the clock. Actions are executed by the call application in order; none of them is
done by the menu itself (sans-IO: it never touches files, the database or the network).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from tas.voicemail.menu_prompts import Prompt
from tas.voicemail.models import Reason

__all__ = [
    "Action",
    "Beep",
    "CallBack",
    "CallBackEnded",
    "DeleteMessage",
    "DiscardRecording",
    "DtmfDigit",
    "GreetingKind",
    "Hangup",
    "Input",
    "Log",
    "LogKind",
    "MarkSaved",
    "MenuMessage",
    "PinCheck",
    "PinVerified",
    "Play",
    "PromptFinished",
    "RecordingFinished",
    "SetGreeting",
    "SetPin",
    "StartRecording",
    "StopPlayback",
    "StopRecording",
    "Tick",
    "VerifyPin",
]

DIGITS = frozenset("0123456789*#")


class GreetingKind(StrEnum):
    """What a recording made in the options menu becomes: a greeting per reason, or the name."""

    BUSY = Reason.BUSY.value
    UNAVAILABLE = Reason.UNAVAILABLE.value
    DEFAULT = Reason.DEFAULT.value
    NAME = "name"


@dataclass(frozen=True, slots=True)
class MenuMessage:
    """A message as the menu sees it (from :class:`tas.voicemail.models.Voicemail`):
    ``caller_number`` is "" for a hidden caller; ``saved`` is the store's ``played`` flag."""

    voicemail_id: str
    caller_number: str
    created: datetime
    path: Path
    saved: bool


class PinCheck(StrEnum):
    """The PIN store's answer (:meth:`tas.voicemail.pins.PinStore.verify`)."""

    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"  # locked now (this was the last attempt) or still locked
    NOT_SET = "not-set"  # the mailbox has no PIN: nobody may log in without trust


# ---- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DtmfDigit:
    """One key (RFC 4733 event or SIP INFO): ``0``-``9``, ``*`` or ``#``."""

    digit: str

    def __post_init__(self) -> None:
        if self.digit not in DIGITS:
            raise ValueError(f"not a DTMF key: {self.digit!r}")


@dataclass(frozen=True, slots=True)
class PromptFinished:
    """The :class:`Play` with this ``play_id`` played to its end (a stopped one: ignored)."""

    play_id: int


@dataclass(frozen=True, slots=True)
class RecordingFinished:
    """The recording asked for by :class:`StartRecording` ended (stopped, silence or its
    maximum length); ``path`` holds it (the call app's temporary file), ``seconds`` long."""

    path: Path
    seconds: float


@dataclass(frozen=True, slots=True)
class PinVerified:
    """The answer to :class:`VerifyPin`."""

    result: PinCheck


@dataclass(frozen=True, slots=True)
class Tick:
    """Nothing happened; only time passed (call at :attr:`MailboxMenu.deadline`)."""


@dataclass(frozen=True, slots=True)
class CallBackEnded:
    """The answer to :class:`CallBack`: ``connected`` when the subscriber was bridged to the
    caller (and that call is now over), else the call-back failed (busy, declined, refused)."""

    connected: bool


Input = DtmfDigit | PromptFinished | RecordingFinished | PinVerified | CallBackEnded | Tick


# ---- actions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Beep:
    """The record-after-the-tone beep (:func:`tas.voicemail.greetings.beep`)."""


@dataclass(frozen=True, slots=True)
class Play:
    """Play these in order (prompt pieces via :class:`~tas.voicemail.menu_compose.PromptSet`,
    files as they are), then feed ``PromptFinished(play_id)``. Replaces anything playing."""

    play_id: int
    items: tuple[Prompt | Path | Beep, ...]


@dataclass(frozen=True, slots=True)
class StopPlayback:
    """Stop what is playing now (a key was pressed: barge-in); no PromptFinished is due."""


@dataclass(frozen=True, slots=True)
class StartRecording:
    """Record the caller into a temporary file, at most ``max_seconds``, for ``kind``; feed
    :class:`RecordingFinished` when it ends."""

    kind: GreetingKind
    max_seconds: float


@dataclass(frozen=True, slots=True)
class StopRecording:
    """End the recording now (the caller pressed #, or ``max_seconds`` passed)."""


@dataclass(frozen=True, slots=True)
class DiscardRecording:
    """Delete a recording that will not be kept (re-recorded, too short, or the call ended)."""

    path: Path


@dataclass(frozen=True, slots=True)
class SetGreeting:
    """Store the recording at ``path`` as the mailbox's greeting (or name) of ``kind``."""

    kind: GreetingKind
    path: Path


@dataclass(frozen=True, slots=True)
class VerifyPin:
    """Check ``pin`` with the PIN store (counts failures, may lock); feed :class:`PinVerified`."""

    pin: str


@dataclass(frozen=True, slots=True)
class SetPin:
    """Store a new PIN (already validated: 4-8 digits, entered twice alike)."""

    pin: str


@dataclass(frozen=True, slots=True)
class MarkSaved:
    """Key 2: keep the message as saved (``played`` in the store)."""

    voicemail_id: str


@dataclass(frozen=True, slots=True)
class DeleteMessage:
    voicemail_id: str


@dataclass(frozen=True, slots=True)
class CallBack:
    """Call ``number`` for the subscriber (INGRESS through the core) and bridge them; feed
    :class:`CallBackEnded` when that is over."""

    number: str


@dataclass(frozen=True, slots=True)
class Hangup:
    """End the call (BYE)."""


class LogKind(StrEnum):
    LOGIN = "login"
    TRUSTED_LOGIN = "trusted-login"
    WRONG_PIN = "wrong-pin"
    LOCKED = "locked"
    NO_PIN = "no-pin"
    PIN_CHANGED = "pin-changed"
    GREETING_SET = "greeting-set"
    SAVED = "saved"
    DELETED = "deleted"
    CALL_BACK = "call-back"
    NO_INPUT = "no-input"


@dataclass(frozen=True, slots=True)
class Log:
    """Something for the call's timeline and the log (never carries a PIN)."""

    kind: LogKind
    mailbox: str
    detail: str = ""


Action = (
    Play
    | StopPlayback
    | StartRecording
    | StopRecording
    | DiscardRecording
    | SetGreeting
    | VerifyPin
    | SetPin
    | MarkSaved
    | DeleteMessage
    | CallBack
    | Hangup
    | Log
)
