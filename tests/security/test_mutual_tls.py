"""Mutual TLS on the ``sips:`` listener (issue #10, trust boundary): a client at 127.0.0.2
whose certificate is issued by ``[sip] tls_client_ca`` and names one of ``[operator]
trusted_names`` is the operator core; the same client without that certificate is not."""

from __future__ import annotations

import asyncio
import datetime
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tas.server import TasServer
from tests.integration.calls.calls_helpers import server_settings
from tests.security.peers import ATTACKER, invite

CORE_NAME = "sbc.operator.example"


def _issue(
    subject: str, issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None, ca: bool
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, issuer_key = issuer or (name, key)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256()), key


def _write(directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey):
    cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, tuple[Path, Path]]:
    ca_cert, ca_key = _issue("Operator test CA", None, ca=True)
    core = _issue(CORE_NAME, (ca_cert.subject, ca_key), ca=False)
    forged = _issue(CORE_NAME, None, ca=False)  # the right name, not issued by the CA
    return {
        "ca": _write(tmp_path, "ca", ca_cert, ca_key),
        "core": _write(tmp_path, "core", *core),
        "forged": _write(tmp_path, "forged", *forged),
    }


@pytest.fixture
async def mtls_server(
    tmp_path: Path, pki: dict[str, tuple[Path, Path]]
) -> AsyncIterator[TasServer]:
    settings = server_settings(tmp_path / "data")
    settings.operator.trusted_names = [CORE_NAME]
    settings.sip.tls_client_ca = pki["ca"][0]
    server = TasServer(settings)
    await server.start()
    try:
        yield server
    finally:
        await server.stop(grace=1.0)


async def _final_over_tls(server: TasServer, client_cert: tuple[Path, Path] | None) -> bytes:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE  # the TAS's self-signed cert
    if client_cert is not None:
        ctx.load_cert_chain(*client_cert)
    host, port = server.stack.local["TLS"]
    reader, writer = await asyncio.open_connection(host, port, ssl=ctx, local_addr=(ATTACKER, 0))
    try:
        source = writer.get_extra_info("sockname")[:2]
        data, _ = invite("+4799990077", (host, port), source, transport="TLS")
        writer.write(data)
        while True:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5.0)
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            if not head.startswith(b"SIP/2.0 1"):
                return head
    finally:
        writer.close()


async def test_core_client_certificate_makes_the_operator(
    mtls_server: TasServer, pki: dict[str, tuple[Path, Path]]
) -> None:
    # from 127.0.0.2 with the core's certificate: a core leg (the [invite] fallback answers)
    assert (await _final_over_tls(mtls_server, pki["core"])).startswith(b"SIP/2.0 200")
    # the same source without it: the uniform answer
    assert (await _final_over_tls(mtls_server, None)).startswith(b"SIP/2.0 403 Forbidden")


async def test_a_certificate_not_from_the_ca_is_not_the_operator(
    mtls_server: TasServer, pki: dict[str, tuple[Path, Path]]
) -> None:
    try:
        final = await _final_over_tls(mtls_server, pki["forged"])
    except (ssl.SSLError, ConnectionError, asyncio.IncompleteReadError):
        return  # refused in the handshake
    assert final.startswith(b"SIP/2.0 403 Forbidden")
