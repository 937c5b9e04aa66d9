"""SIP over TLS (RFC 3261 §26.3.1): contexts, a self-signed certificate for the embedded
default (generated once with ``cryptography`` and kept under the data directory) and
:class:`TlsAcceptor`, the listener that admits a connection before its handshake."""

from __future__ import annotations

import asyncio
import datetime
import errno
import ipaddress
import socket
import ssl
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tas.transport.connections import ConnectionLimits, ConnectionTable

__all__ = ["TlsAcceptor", "ensure_self_signed", "server_context", "client_context"]

#: accept(2) calls per readiness callback, so one busy listener cannot starve the loop
ACCEPT_BATCH = 64
_LINGER0 = struct.pack("ii", 1, 0)


def ensure_self_signed(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """(cert, key) PEM paths in ``directory``; created (valid 10 years) when missing."""
    cert_path, key_path = directory / "sip-tls-cert.pem", directory / "sip-tls-key.pem"
    if cert_path.is_file() and key_path.is_file():
        return cert_path, key_path
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    alt: list[x509.GeneralName] = [x509.DNSName("localhost")]
    try:
        alt.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        alt.append(x509.DNSName(host))
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def server_context(cert: Path, key: Path, client_ca: Path | None = None) -> ssl.SSLContext:
    """TLS 1.2+ with ``cert``/``key`` (and ``client_ca`` roots for client certificates); a
    missing file is named (``ssl`` itself says only "No such file or directory")."""
    for path in (cert, key, *([client_ca] if client_ca else [])):
        if not Path(path).is_file():
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    if client_ca is not None:
        ctx.load_verify_locations(cafile=str(client_ca))
    return ctx


def client_context(cafile: Path | None = None, *, verify: bool = True) -> ssl.SSLContext:
    """Verifying by default; ``verify=False`` only for loopback tests with self-signed peers."""
    ctx = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class TlsAcceptor:
    """A TLS listener that applies the connection limits at accept(2), before the handshake.

    ``create_server(ssl=…)`` hands a connection to the protocol only after its handshake, so
    a flood of TCP connections that never send a ClientHello would hold descriptors and cost
    handshakes uncounted. Here the listening socket is read directly: every accepted socket is
    checked against the guard's table (total and per source) and refused with an RST, or its
    slot is reserved and ``loop.connect_accepted_socket`` runs the handshake with the
    configured timeout; a failed handshake gives the slot back. Works on asyncio and uvloop.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        ctx: ssl.SSLContext,
        factory: Callable[[str], asyncio.Protocol],
        guard: _Guard,
        exempt: Callable[[str], bool],
    ) -> None:
        self.loop, self.sock, self.ctx = loop, sock, ctx
        self.factory, self.guard, self.exempt = factory, guard, exempt
        self.sockets = [sock]
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        sock.setblocking(False)
        loop.add_reader(sock.fileno(), self._on_readable)

    @classmethod
    def listen(cls, host: str, port: int, backlog: int, **kwargs: object) -> TlsAcceptor:
        """Bind ``host:port`` (SO_REUSEADDR) and start accepting."""
        family, _, _, _, addr = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.create_server(addr[:2], family=family, backlog=backlog)
        try:
            return cls(sock=sock, **kwargs)  # type: ignore[arg-type]
        except BaseException:
            sock.close()
            raise

    def _on_readable(self) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                conn, addr = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:  # EMFILE, ENFILE, ENOBUFS: back off for a second
                self.guard.event("accept_error", error=errno.errorcode.get(exc.errno or 0, exc))
                self.loop.remove_reader(self.sock.fileno())
                self.loop.call_later(1.0, self._resume)
                return
            self._admit(conn, str(addr[0]))

    def _resume(self) -> None:
        if not self._closed:
            self.loop.add_reader(self.sock.fileno(), self._on_readable)

    def _admit(self, conn: socket.socket, host: str) -> None:
        table = self.guard.table
        reason = table.admit(host, exempt=self.exempt(host))
        if reason is not None:
            self.guard.event(reason, source=host)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER0)
            conn.close()
            return
        table.reserve(host)
        task = self.loop.create_task(self._handshake(conn, host))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handshake(self, conn: socket.socket, host: str) -> None:
        timeout = self.guard.limits.tls_handshake_timeout or None
        protocol = self.factory(host)
        try:
            await self.loop.connect_accepted_socket(
                lambda: protocol, conn, ssl=self.ctx, ssl_handshake_timeout=timeout
            )
        except BaseException as exc:
            if getattr(protocol, "reserved", None) is not None:
                self.guard.table.release(host)  # connection_made never ran
            conn.close()
            if not isinstance(exc, Exception):
                raise
            timed_out = isinstance(exc, TimeoutError) or "taking longer" in str(exc)
            self.guard.event("tls_handshake_timeout" if timed_out else "tls_handshake_failed")

    def close(self) -> None:
        """Stop accepting and abandon handshakes in progress."""
        if self._closed:
            return
        self._closed = True
        self.loop.remove_reader(self.sock.fileno())
        self.sock.close()
        for task in list(self._tasks):
            task.cancel()

    async def wait_closed(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class _Guard(Protocol):
    """What the acceptor needs of :class:`tas.transport.stream.ConnectionGuard`."""

    @property
    def table(self) -> ConnectionTable: ...

    @property
    def limits(self) -> ConnectionLimits: ...

    def event(self, reason: str, count: int = 1, **fields: object) -> None: ...
