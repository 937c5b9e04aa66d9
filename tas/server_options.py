"""What ``tas serve`` builds its SIP stack from: :class:`~tas.config.Settings` turned into the
stack's options, the RFC 4028 session-timer configuration and the trust policy (re-exported
by :mod:`tas.server`)."""

from __future__ import annotations

import ssl

from tas.certificates import own_certificate
from tas.config import Settings
from tas.sip.session_timer import SessionTimerConfig
from tas.sip.timers import TimerConfig
from tas.sip.ua_core import EndpointConfig
from tas.transport.connections import ConnectionLimits
from tas.transport.overload import OverloadLimits
from tas.transport.stack import StackOptions
from tas.transport.tls import server_context
from tas.transport.trust import TrustPolicy


def stack_options(settings: Settings) -> StackOptions:
    sip = settings.sip
    server_ssl = None
    if sip.tls:
        cert, key = own_certificate(settings)
        mutual = bool(settings.operator.trusted_names)
        server_ssl = server_context(cert, key, sip.tls_client_ca if mutual else None)
        if mutual:  # mutual TLS: ask for the core's client certificate
            server_ssl.verify_mode = ssl.CERT_OPTIONAL  # our own UAs may come without one
            if sip.tls_client_ca is None:
                server_ssl.load_default_certs(ssl.Purpose.CLIENT_AUTH)
    return StackOptions(
        udp=tuple(sip.udp),
        tcp=tuple(sip.tcp),
        tls=tuple(sip.tls),
        server_ssl=server_ssl,
        public_host=sip.public_host,
        user_agent=sip.user_agent,
        timers=TimerConfig(t1=sip.t1, t2=sip.t2, t4=sip.t4),
        session_timer=session_timer_config(settings),
        reliable_provisionals=sip.reliable_provisionals,
        trust=trust_policy(settings),
        enforce_trust=True,
        connections=ConnectionLimits(
            idle_timeout=sip.idle_timeout,
            header_timeout=sip.header_timeout,
            tls_handshake_timeout=sip.tls_handshake_timeout,
            max_connections=sip.max_connections,
            max_per_source=sip.max_connections_per_source,
        ),
        limits=OverloadLimits(**settings.limits.model_dump()),
        allow=(*EndpointConfig({}).allow, "SUBSCRIBE") if settings.mwi.enabled else None,
    )


def session_timer_config(settings: Settings) -> SessionTimerConfig:
    """``[sip] session_expires`` / ``min_se`` (RFC 4028) for every endpoint we run."""
    sip = settings.sip
    return SessionTimerConfig(session_expires=sip.session_expires, min_se=sip.min_se)


def trust_policy(settings: Settings) -> TrustPolicy:
    """Who the operator core is: ``[operator] trusted`` (CIDRs), ``trusted_names`` (mutual
    TLS), and the embedded sandbox core's SIP host when it is configured to run."""
    operator = settings.operator
    embedded = settings.sandbox.enabled and operator.target == "sandbox"
    sandbox = [settings.sandbox.sip_host] if embedded else []
    return TrustPolicy.from_texts(operator.trusted, sandbox, operator.trusted_names)
