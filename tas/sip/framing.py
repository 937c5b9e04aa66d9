"""Cutting a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3, RFC 5626 §3.5.1).

:class:`StreamFramer` is sans-IO: ``feed()`` it bytes as they arrive (in any chunking, down to
one byte at a time) and iterate it for what became complete:

* a :class:`~tas.sip.message.Request` / :class:`~tas.sip.message.Response`;
* a :class:`KeepAlive` for a double-CRLF "ping" — answer it with :data:`PONG`;
* a :class:`~tas.sip.errors.ParseError` for a frame that was cut cleanly but does not parse
  (answer it from ``.partial`` and carry on);
* a :class:`~tas.sip.errors.FramingError` when the stream cannot be framed any more (missing,
  malformed or conflicting Content-Length, a head that never ends within the size limit); the
  framer then stops and the owner closes the connection.

Single CRLFs between messages (RFC 5626 "pong", or padding, §7.5) are skipped silently.
An optional ``prefilter`` (frame bytes -> reason or None) refuses a complete frame before it
is parsed (:func:`tas.transport.overload.prefilter`): it comes out as a ParseError without
a partial message (so nothing is answered): a :class:`Refused` naming the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tas.sip.errors import FramingError, ParseError
from tas.sip.message import Request, Response
from tas.sip.parser import DEFAULT_LIMITS, Limits, parse_message

__all__ = ["KeepAlive", "PONG", "Refused", "StreamFramer", "StreamItem"]

#: What to send back for a keep-alive ping (RFC 5626 §3.5.1).
PONG = b"\r\n"


@dataclass(frozen=True, slots=True)
class KeepAlive:
    """A CRLFCRLF keep-alive ping arrived between messages (RFC 5626 §3.5.1)."""


class Refused(ParseError):
    """A complete frame the ``prefilter`` refused unparsed; ``why`` is its reason."""

    def __init__(self, why: str) -> None:
        super().__init__(f"refused before parsing: {why}")
        self.why = why


StreamItem = Request | Response | KeepAlive | ParseError

_HEAD_END = re.compile(rb"\r?\n\r?\n")
_CONTENT_LENGTH = re.compile(
    rb"^(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*?)[ \t]*\r?$", re.I | re.M
)


class StreamFramer:
    """Frames one connection's inbound byte stream; see the module docstring."""

    __slots__ = ("limits", "prefilter", "_buf", "_scan", "_body_at", "_length", "failed")

    def __init__(
        self,
        limits: Limits = DEFAULT_LIMITS,
        prefilter: Callable[[bytes], str | None] | None = None,
    ) -> None:
        self.limits = limits
        self.prefilter = prefilter
        self._buf = bytearray()
        self._scan = 0  # where to resume looking for the end of the head
        self._body_at = -1  # offset of the current frame's body, once its head is complete
        self._length = 0  # Content-Length of the current frame
        #: The fatal error once the stream became unframeable; the framer ignores input after.
        self.failed: FramingError | None = None

    def feed(self, data: bytes) -> None:
        """Append received bytes; ignored once the framer has failed."""
        if self.failed is None:
            self._buf += data

    @property
    def buffered(self) -> int:
        """Bytes received and not yet returned as a message."""
        return len(self._buf)

    @property
    def pending(self) -> bool:
        """A message has begun and is not complete yet (bytes other than the CR/LF of a
        keep-alive wait in the buffer); the owner's header timeout runs while this holds."""
        buf = self._buf  # after draining, a leading CR/LF can only start a ping (< 4 bytes)
        return bool(buf) and (len(buf) >= 4 or buf[0] not in (13, 10))

    def __iter__(self) -> Iterator[StreamItem]:
        """Every item that is complete now, in order."""
        while (item := self.next_item()) is not None:
            yield item

    def next_item(self) -> StreamItem | None:
        """The next complete item, or ``None`` until more bytes arrive."""
        if self.failed is not None:
            return None
        buf = self._buf
        if self._body_at < 0:
            keepalive = self._skip_crlf()
            if keepalive is not None:
                return keepalive
            if not buf:
                return None
            match = _HEAD_END.search(buf, self._scan)
            if match is None:
                if len(buf) > self.limits.max_message:
                    return self._fail(
                        FramingError(
                            f"no end of headers within {self.limits.max_message} bytes", 513
                        )
                    )
                self._scan = max(0, len(buf) - 3)
                return None
            error = self._frame_head(bytes(buf[: match.start()]), match.end())
            if error is not None:
                return error
        end = self._body_at + self._length
        if len(buf) < end:
            return None
        frame = bytes(buf[:end])
        del buf[:end]
        self._body_at, self._length, self._scan = -1, 0, 0
        if self.prefilter is not None and (reason := self.prefilter(frame)) is not None:
            return Refused(reason)
        try:
            return parse_message(frame, self.limits)
        except ParseError as exc:
            return exc

    def _skip_crlf(self) -> KeepAlive | None:
        buf = self._buf
        while buf and buf[0] in (13, 10):
            if buf.startswith(b"\r\n\r\n"):
                del buf[:4]
                return KeepAlive()
            if len(buf) < 4 and b"\r\n\r\n".startswith(buf):
                return None  # maybe the start of a ping: wait for the rest
            del buf[: 2 if buf.startswith(b"\r\n") else 1]
        return None

    def _frame_head(self, head: bytes, body_at: int) -> FramingError | None:
        values = {v.strip() for v in _CONTENT_LENGTH.findall(head)}
        if not values:
            return self._fail(_framing("no Content-Length on a stream (RFC 3261 §18.3)", head))
        if len(values) > 1:
            return self._fail(_framing("conflicting Content-Length values", head))
        text = values.pop()
        if not text.isdigit():
            return self._fail(_framing(f"bad Content-Length {text!r}", head))
        length = int(text)
        if body_at + length > self.limits.max_message:
            return self._fail(
                _framing(f"message of {body_at + length} bytes exceeds the limit", head, 513)
            )
        self._body_at, self._length = body_at, length
        return None

    def _fail(self, error: FramingError) -> FramingError:
        self.failed = error
        self._buf.clear()
        return error


def _framing(reason: str, head: bytes, status: int = 400) -> FramingError:
    """A fatal error carrying the parsed head, when it parses, so a response can be sent."""
    error = FramingError(reason, status)
    try:
        error.partial = parse_message(head + b"\r\n\r\n")
    except ParseError as exc:
        error.partial = exc.partial
    return error
