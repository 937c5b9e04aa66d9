"""Our own TLS certificate (RFC 3261 §26.3.1: the TAS presents one for the host of its
``sips:`` URI): the configured PEM pair, or one generated once under ``<data_dir>/tls``."""

from __future__ import annotations

from pathlib import Path

from tas.config import Settings
from tas.hostport import HostPort
from tas.transport.tls import ensure_self_signed

__all__ = ["own_certificate", "self_signed_certificate"]


def self_signed_certificate(settings: Settings, host: str | None = None) -> tuple[Path, Path]:
    """(cert, key) generated under ``<data_dir>/tls`` for ``host`` (default: the host of the
    first ``[sip] tls`` listener, else 127.0.0.1); kept and reused once it exists."""
    if host is None:
        host = HostPort.parse(settings.sip.tls[0]).host if settings.sip.tls else ""
    return ensure_self_signed(settings.data_dir / "tls", host or "127.0.0.1")


def own_certificate(settings: Settings) -> tuple[Path, Path]:
    """(cert, key) our SIP TLS listener presents: ``[sip] tls_cert``/``tls_key`` when both are
    set, else :func:`self_signed_certificate`."""
    sip = settings.sip
    if sip.tls_cert is not None and sip.tls_key is not None:
        return sip.tls_cert, sip.tls_key
    return self_signed_certificate(settings)
