"""TLS for the voicemail API: server credentials whose certificate is re-read when its files
change, and optional client certificates (mutual TLS).

gRPC's dynamic credentials (``grpc.dynamic_ssl_server_credentials``) call a *fetcher* before
every new TLS handshake; :class:`ReloadingCertificates` answers it with a new
``ServerCertificateConfiguration`` only when the (mtime, size, inode) of the cert, key or client
CA file changed and the new key matches the new certificate, else None (keep the current one).
A certificate renewed by certbot/cert-manager is therefore served to the next connection; open
connections keep theirs. A half-written pair (cert replaced, key not yet) is not taken: it is
tried again at the next handshake.

With ``api_tls_client_ca`` set, clients must present a certificate chaining to it
(``require_client_authentication``; TLS 1.3 RFC 8446 §4.3.2 / TLS 1.2 RFC 5246 §7.4.4).
With ``api_tls`` and no cert/key, the project's one self-signed certificate
(:func:`tas.certificates.self_signed_certificate`, under ``<data_dir>/tls``) is used.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tas.certificates import self_signed_certificate
from tas.config import Settings
from tas.logs import log_event

__all__ = ["CertificateFiles", "ReloadingCertificates", "api_credentials"]

log = logging.getLogger(__name__)

_Stamp = tuple[tuple[int, int, int], ...]


@dataclass(frozen=True, slots=True)
class CertificateFiles:
    """PEM files of the API's TLS identity (and the roots client certificates must chain to)."""

    cert: Path
    key: Path
    client_ca: Path | None = None

    @property
    def paths(self) -> tuple[Path, ...]:
        return (self.cert, self.key) + ((self.client_ca,) if self.client_ca else ())


class ReloadingCertificates:
    """The fetcher of ``grpc.dynamic_ssl_server_credentials`` (see the module docstring)."""

    def __init__(self, files: CertificateFiles) -> None:
        self.files = files
        self.loads = 0  # configurations built (1 after start; +1 per accepted change)
        self._lock = threading.Lock()  # gRPC may call the fetcher from its own threads
        self._stamp: _Stamp | None = None
        self._last_error: str | None = None
        self.current = self._load_or_raise()

    def _stamp_now(self) -> _Stamp:
        stats = [path.stat() for path in self.files.paths]
        return tuple((s.st_mtime_ns, s.st_size, s.st_ino) for s in stats)

    def _load_or_raise(self) -> grpc.ServerCertificateConfiguration:
        stamp = self._stamp_now()
        config = self._build()
        self._stamp = stamp
        self.loads += 1
        return config

    def _build(self) -> grpc.ServerCertificateConfiguration:
        cert = self.files.cert.read_bytes()
        key = self.files.key.read_bytes()
        roots = self.files.client_ca.read_bytes() if self.files.client_ca else None
        leaf = x509.load_pem_x509_certificate(cert)
        private = serialization.load_pem_private_key(key, password=None)
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        pem = serialization.Encoding.PEM
        if leaf.public_key().public_bytes(pem, spki) != private.public_key().public_bytes(
            pem, spki
        ):
            raise ValueError(f"{self.files.key} does not match the certificate {self.files.cert}")
        if roots is not None:
            x509.load_pem_x509_certificates(roots)  # raises on a broken CA file
        return grpc.ssl_server_certificate_configuration([(key, cert)], root_certificates=roots)

    def __call__(self) -> grpc.ServerCertificateConfiguration | None:
        """A new configuration when the files changed and load cleanly; None otherwise."""
        with self._lock:
            try:
                if self._stamp_now() == self._stamp:
                    return None
                self.current = self._load_or_raise()
            except (OSError, ValueError) as exc:  # mid-rotation or broken: keep the current one
                if str(exc) != self._last_error:  # once per distinct error, not per handshake
                    self._last_error = str(exc)
                    log_event(
                        log, "voicemail_api_cert_reload_failed", level=logging.WARNING, error=exc
                    )
                return None
            self._last_error = None
            log_event(
                log,
                "voicemail_api_cert_reloaded",
                cert=self.files.cert,
                subject=x509.load_pem_x509_certificate(self.files.cert.read_bytes()).subject,
            )
            return self.current


def certificate_files(settings: Settings, host: str) -> CertificateFiles:
    """The configured files, or the self-signed pair of ``<data_dir>/tls`` for ``host``."""
    vm = settings.voicemail
    if vm.api_tls_cert is not None and vm.api_tls_key is not None:
        cert, key = vm.api_tls_cert, vm.api_tls_key
    else:
        cert, key = self_signed_certificate(settings, host)
    return CertificateFiles(cert, key, vm.api_tls_client_ca)


def api_credentials(
    settings: Settings, host: str
) -> tuple[grpc.ServerCredentials, ReloadingCertificates]:
    """Dynamic TLS credentials of the API (mTLS when a client CA is configured)."""
    fetcher = ReloadingCertificates(certificate_files(settings, host))
    credentials = grpc.dynamic_ssl_server_credentials(
        fetcher.current,
        fetcher,
        require_client_authentication=fetcher.files.client_ca is not None,
    )
    return credentials, fetcher
