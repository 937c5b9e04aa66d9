"""Voicemail: mailbox store (WAV files + SQL rows), greetings, the ``tas voicemail`` CLI and a
``wgtwo.voicemail.v0.VoicemailMediaService``-compatible API (:mod:`tas.voicemail.api`)."""

from tas.voicemail.errors import (
    AudioTooLarge,
    InvalidAudio,
    InvalidNumber,
    InvalidVoicemailId,
    MailboxFull,
    MessageTooShort,
    StorageError,
    VoicemailError,
    VoicemailNotFound,
)
from tas.voicemail.greetings import DEFAULT_GREETING, Greetings, beep
from tas.voicemail.ids import check_number, check_voicemail_id
from tas.voicemail.models import Reason, Voicemail
from tas.voicemail.recovery import RecoveryReport
from tas.voicemail.store import PendingMessage, VoicemailStore

__all__ = [
    "DEFAULT_GREETING",
    "AudioTooLarge",
    "Greetings",
    "InvalidAudio",
    "InvalidNumber",
    "InvalidVoicemailId",
    "MailboxFull",
    "MessageTooShort",
    "PendingMessage",
    "Reason",
    "RecoveryReport",
    "StorageError",
    "Voicemail",
    "VoicemailError",
    "VoicemailNotFound",
    "VoicemailStore",
    "beep",
    "check_number",
    "check_voicemail_id",
]
