"""Two-sided error hierarchy (h11 style).

``RemoteProtocolError`` is the peer's fault: it carries the status the RFC says to answer with
(400, 416, 420, 505, 513 …) and, when enough of the message was read, the partial message so a
response can be built. ``LocalProtocolError`` is our own misuse of the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tas.sip.message import Message

__all__ = ["SipError", "RemoteProtocolError", "ParseError", "FramingError", "LocalProtocolError"]


class SipError(Exception):
    """Base of every SIP error raised by this package."""


class RemoteProtocolError(SipError):
    """The peer sent something we must refuse; answer requests with ``status_hint``.

    ``extra_headers`` are added to that response (e.g. ``Unsupported`` for 420, RFC 3261
    §8.2.2.3; ``Accept`` for 415, §8.2.3).
    """

    def __init__(
        self,
        reason: str,
        status_hint: int = 400,
        *,
        partial: Message | None = None,
        extra_headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_hint = status_hint
        self.partial = partial
        self.extra_headers = extra_headers


class ParseError(RemoteProtocolError):
    """The bytes are not a well-formed SIP message (RFC 3261 §7, §25)."""


class FramingError(ParseError):
    """A byte stream can no longer be cut into messages (RFC 3261 §18.3, RFC 4475 §3.3.9).

    The connection must be closed; ``partial`` is set when the head of the offending message
    was readable, so a response may be sent before closing.
    """


class LocalProtocolError(SipError):
    """We tried to do something the protocol does not allow."""
