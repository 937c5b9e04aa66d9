"""Typed voicemail errors; ``str()`` is one line a CLI can print and an API can return.

Each maps to one gRPC status of ``wgtwo.voicemail.v0`` (see :mod:`tas.voicemail.api`):
:class:`InvalidNumber` / :class:`InvalidVoicemailId` → INVALID_ARGUMENT, :class:`VoicemailNotFound`
→ NOT_FOUND, :class:`StorageError` (and :class:`AudioTooLarge`) → INTERNAL.
"""

from __future__ import annotations

__all__ = [
    "AudioTooLarge",
    "InvalidAudio",
    "InvalidNumber",
    "InvalidVoicemailId",
    "MailboxFull",
    "MessageTooShort",
    "StorageError",
    "VoicemailError",
    "VoicemailNotFound",
]


class VoicemailError(Exception):
    """Base of every voicemail error."""


class InvalidNumber(VoicemailError, ValueError):
    """A mailbox or caller number that is not E.164."""


class InvalidVoicemailId(VoicemailError, ValueError):
    """A voicemail id that is not a UUID."""


class InvalidAudio(VoicemailError, ValueError):
    """Audio that is not a usable WAV file (or not the format asked for)."""


class VoicemailNotFound(VoicemailError, LookupError):
    """No voicemail with that id."""


class MailboxFull(VoicemailError):
    """The mailbox already holds ``max_messages`` messages."""

    def __init__(self, mailbox: str, limit: int) -> None:
        super().__init__(f"mailbox {mailbox} is full ({limit} messages)")
        self.mailbox = mailbox
        self.limit = limit


class MessageTooShort(VoicemailError):
    """A recording shorter than ``min_seconds``; it was discarded."""

    def __init__(self, duration: float, minimum: float) -> None:
        super().__init__(f"recording of {duration:.2f} s is shorter than the {minimum:g} s minimum")
        self.duration = duration
        self.minimum = minimum


class StorageError(VoicemailError):
    """The database or the audio files failed (or the audio of a listed message is missing)."""


class AudioTooLarge(StorageError):
    """The audio file is bigger than what one API response may carry."""
