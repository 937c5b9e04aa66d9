"""What a :class:`~tas.transport.stack.SipStack` is opened with: listen addresses, TLS
contexts, identity, timers, session timers (RFC 4028), 100rel (RFC 3262), trust, connection
limits and overload control."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

from tas.hostport import HostPort
from tas.sip.session_timer import SessionTimerConfig
from tas.sip.timers import TimerConfig
from tas.transport.connections import ConnectionLimits
from tas.transport.overload import OverloadLimits
from tas.transport.trust import TrustPolicy

__all__ = ["StackOptions", "parse_hostport"]


def parse_hostport(text: str, default_port: int) -> tuple[str, int]:
    """``host:port``, ``[v6]:port`` or ``host`` -> (host, port) (:class:`tas.hostport.HostPort`)."""
    return HostPort.parse(text, default_port).address()


@dataclass(frozen=True, slots=True)
class StackOptions:
    """Where to listen and who we are."""

    udp: tuple[str, ...] = ("127.0.0.1:5060",)
    tcp: tuple[str, ...] = ("127.0.0.1:5060",)
    tls: tuple[str, ...] = ()
    server_ssl: ssl.SSLContext | None = None
    client_ssl: ssl.SSLContext | None = None
    public_host: str | None = None
    user: str = "tas"
    user_agent: str = "tas-companion"
    timers: TimerConfig = field(default_factory=TimerConfig)
    allow: tuple[str, ...] | None = None
    #: session timers (RFC 4028) we ask for and accept, and 100rel for early media (RFC 3262)
    session_timer: SessionTimerConfig = field(default_factory=SessionTimerConfig)
    reliable_provisionals: bool = True
    #: who is the operator core (tas.transport.trust); default: nobody is
    trust: TrustPolicy = field(default_factory=TrustPolicy)
    #: apply the trust boundary: no reflection towards untrusted sources (see module doc)
    enforce_trust: bool = False
    #: stream connection limits and timeouts (tas.transport.connections)
    connections: ConnectionLimits = field(default_factory=ConnectionLimits)
    #: overload control: per-source rates, message and call bounds, lag (tas.transport.guard)
    #: (``tas serve`` passes ``[limits]``; in code the default is OverloadLimits.relaxed())
    limits: OverloadLimits = field(default_factory=OverloadLimits.relaxed)
