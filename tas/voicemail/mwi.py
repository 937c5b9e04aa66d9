"""The message-summary body of a mailbox (RFC 3842 §5.2, event package ``message-summary``).

:func:`summarize` counts a mailbox's messages (unplayed = new, played = old; the store keeps no
urgency, so the urgent counts are always 0); :func:`message_summary` renders the
``application/simple-message-summary`` body a NOTIFY carries::

    Messages-Waiting: yes
    Message-Account: sip:+4799990001@tas.example
    Voice-Message: 2/1 (0/0)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tas.voicemail.models import Voicemail

__all__ = ["CONTENT_TYPE", "EVENT", "MessageSummary", "message_summary", "summarize"]

#: The event package (RFC 3842 §3.1) and its body type (§3.4).
EVENT = "message-summary"
CONTENT_TYPE = "application/simple-message-summary"


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """Counts of one mailbox's voice messages (RFC 3842 §5.2 ``msg-summary-line``)."""

    new: int = 0
    old: int = 0
    urgent_new: int = 0
    urgent_old: int = 0

    @property
    def waiting(self) -> bool:
        """``Messages-Waiting: yes`` when at least one message is new (§5.2)."""
        return self.new > 0


def summarize(messages: Iterable[Voicemail]) -> MessageSummary:
    """The summary of ``messages`` (one mailbox): played ones are old, the others new."""
    new = old = 0
    for message in messages:
        if message.played:
            old += 1
        else:
            new += 1
    return MessageSummary(new, old)


def message_summary(summary: MessageSummary, account: str | None = None) -> bytes:
    """The body (RFC 3842 §5.2): status line, optional ``Message-Account``, the voice line."""
    lines = [f"Messages-Waiting: {'yes' if summary.waiting else 'no'}"]
    if account:
        lines.append(f"Message-Account: {account}")
    lines.append(
        f"Voice-Message: {summary.new}/{summary.old} ({summary.urgent_new}/{summary.urgent_old})"
    )
    return ("\r\n".join(lines) + "\r\n").encode()
