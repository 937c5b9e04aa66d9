"""Thin asyncio adapters around the sans-IO SIP core: UDP, TCP, TLS and the stack that runs
the endpoint on them (one ``loop.call_at`` for the core's next deadline)."""

from tas.transport.loop import run
from tas.transport.stack import SipStack, StackOptions, parse_hostport

__all__ = ["SipStack", "StackOptions", "parse_hostport", "run"]
