"""What a notification plug-in gets and must do, and the words every channel uses.

A plug-in (:class:`Notifier`) sends one :class:`Notice` to one target and returns a short
detail for the timeline; it raises :class:`PermanentFailure` when retrying cannot help (a
refused address, a 4xx), any other exception to be retried with backoff. A hidden caller's
number (stored as ``anonymous``, RFC 3323) never appears: :func:`caller_text` says
"a hidden number" and structured forms carry no ``from``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from tas.voicemail.models import Voicemail
from tas.voicemail.notify_models import Channel
from tas.voicemail.transcript_models import Transcript, describe_transcript

__all__ = [
    "Notice",
    "Notifier",
    "PermanentFailure",
    "caller_text",
    "summary",
    "transcript_text",
]


class PermanentFailure(Exception):
    """The target refused the notification for good; do not retry."""


@dataclass(frozen=True, slots=True)
class Notice:
    """One new message to announce; ``key`` is the same on every retry of this notification."""

    message: Voicemail
    key: str
    audio: Callable[[], Awaitable[bytes]]  # the stored WAV, from whichever blob store
    transcript: Transcript | None = None  # None: the message predates transcripts


class Notifier(Protocol):
    channel: Channel

    async def send(self, target: str, notice: Notice) -> str:
        """Deliver ``notice`` to ``target``; returns a detail for the timeline."""

    async def aclose(self) -> None:
        """Release connections."""


def caller_text(message: Voicemail) -> str:
    """The caller as a notification names it: the number, or "a hidden number"."""
    return message.caller_number or "a hidden number"


def summary(message: Voicemail) -> str:
    """One line: who left how long a message when, for which mailbox."""
    return (
        f"New voicemail for {message.mailbox} from {caller_text(message)}, "
        f"{message.duration:.0f} s, {message.created:%Y-%m-%d %H:%M} UTC"
    )


def transcript_text(notice: Notice) -> str:
    """The transcript line of a text notification: the words when ready in time, else why not
    (still pending when sent, failed, no transcriber installed)."""
    return f"Transcript ({describe_transcript(notice.transcript)})"
