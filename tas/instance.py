"""Several ``tas serve`` replicas on one host: ``tas serve --instance N`` (``[server] index``).

Instance N listens on every configured port plus ``N * [server] port_step`` (default step
100): the SIP listeners (UDP, TCP, TLS), ``[metrics] listen``, ``[voicemail] api`` and the
embedded sandbox (``[sandbox] grpc``, ``sip_port``, ``sip_tls_port``). A port of 0 (the OS
picks) stays 0. With the defaults, instance 1 listens on SIP 5160/5161, metrics 9200,
voicemail API 50161, sandbox gRPC 50151 and sandbox SIP 5170/5171. The RTP port range is
not shifted: the media port pool skips ports another process holds.

Ports given on the command line (``--udp``, ``--metrics`` …) are taken as given; the offset
applies to the configured ones.
"""

from __future__ import annotations

import socket

from tas.config import Settings
from tas.hostport import HostPort

__all__ = ["apply_instance", "default_instance_id", "offset_hostport", "offset_port"]


def default_instance_id(index: int) -> str:
    """``<hostname>-<index>``: the default ``[server] instance``."""
    return f"{socket.gethostname() or 'tas'}-{index}"


def offset_port(port: int, offset: int) -> int:
    """``port + offset``; 0 (any port) stays 0; ValueError past 65535."""
    if port == 0 or offset == 0:
        return port
    shifted = port + offset
    if shifted > 65535:
        raise ValueError(f"port {port} + instance offset {offset} is past 65535")
    return shifted


def offset_hostport(address: str, offset: int) -> str:
    """``host:port`` (``[v6]:port``) with its port shifted by ``offset``."""
    hostport = HostPort.parse(address)
    if hostport.port is None:
        raise ValueError(f"expected host:port, got {address!r}")
    return str(hostport.with_port(offset_port(hostport.port, offset)))


def apply_instance(settings: Settings, index: int | None = None) -> int:
    """Shift every listening port of ``settings`` for instance ``index`` (default
    ``[server] index``) in place and set ``[server] index``; a defaulted ``instance`` id
    follows the index. Returns the offset applied."""
    server = settings.server
    if index is not None:
        if server.instance == default_instance_id(server.index):
            server.instance = default_instance_id(index)
        server.index = index
    offset = server.index * server.port_step
    if offset == 0:
        return 0
    sip = settings.sip
    sip.udp = [offset_hostport(a, offset) for a in sip.udp]
    sip.tcp = [offset_hostport(a, offset) for a in sip.tcp]
    sip.tls = [offset_hostport(a, offset) for a in sip.tls]
    settings.metrics.listen = offset_hostport(settings.metrics.listen, offset)
    settings.voicemail.api = offset_hostport(settings.voicemail.api, offset)
    sandbox = settings.sandbox
    sandbox.grpc = offset_hostport(sandbox.grpc, offset)
    sandbox.sip_port = offset_port(sandbox.sip_port, offset)
    if sandbox.sip_tls_port is not None:
        sandbox.sip_tls_port = offset_port(sandbox.sip_tls_port, offset)
    return offset
