"""Thin asyncio adapters around the sans-IO SIP core: UDP, TCP, TLS, the stack that runs the
endpoint on them (one ``loop.call_at`` for the core's next deadline) and the awaitable
:class:`UserAgent` API on top."""

from tas.transport.loop import run
from tas.transport.stack import SipStack, StackOptions, parse_hostport
from tas.transport.ua import CallFailedError, CallHandle, UserAgent

__all__ = [
    "CallFailedError",
    "CallHandle",
    "SipStack",
    "StackOptions",
    "UserAgent",
    "parse_hostport",
    "run",
]
