"""Loopback peers for the registrations tests: an OAuth2 token endpoint and a SipBreakout server.

Both are real servers on 127.0.0.1 (HTTP via the stdlib, gRPC via grpcio's threaded server) so
they serve async tests and CliRunner tests alike.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from google.protobuf import duration_pb2
from sqlmodel import delete

from registrations.store import RegistrationRow, RegistrationStore
from registrations.validation import InvalidRegistration, validate_registration
from registrations.wgtwo.sipbreakout.v1 import sipbreakout_pb2, sipbreakout_pb2_grpc
from tas.store import Database

CLIENT_ID = "tas-client"
CLIENT_SECRET = "s3cret"


@dataclass
class TokenEndpoint:
    """Issues ``tok-1``, ``tok-2`` … to CLIENT_ID/CLIENT_SECRET via HTTP Basic only."""

    url: str = ""
    expires_in: int = 3600
    issued: list[str] = field(default_factory=list)
    requests: list[dict[str, object]] = field(default_factory=list)


@pytest.fixture
def token_endpoint() -> Iterator[TokenEndpoint]:
    endpoint = TokenEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server API)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
            auth = self.headers.get("Authorization", "")
            endpoint.requests.append(
                {
                    "path": self.path,
                    "form": form,
                    "authorization": auth,
                    "content_type": self.headers.get("Content-Type"),
                }
            )
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if auth != expected:
                self._reply(401, {"error": "invalid_client", "error_description": "bad client"})
            elif form.get("grant_type") != "client_credentials":
                self._reply(400, {"error": "unsupported_grant_type"})
            else:
                token = f"tok-{len(endpoint.issued) + 1}"
                endpoint.issued.append(token)
                self._reply(
                    200,
                    {
                        "access_token": token,
                        "token_type": "bearer",
                        "expires_in": endpoint.expires_in,
                        "scope": form.get("scope", ""),
                    },
                )

        def _reply(self, status: int, payload: dict[str, object]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/oauth2/token"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield endpoint
    server.shutdown()
    server.server_close()


class FakeBreakout(sipbreakout_pb2_grpc.SipBreakoutServiceServicer):
    """A minimal operator: validates like the real one, optionally demands bearer tokens,
    can fail the next N calls with a gRPC status, and records what it saw."""

    def __init__(self) -> None:
        self.valid_tokens: set[str] | None = None  # None: no auth
        self.fail_next: list[grpc.StatusCode] = []
        self.reject_with: str | None = None
        self.ttl = 3600
        self.calls: list[tuple[str, sipbreakout_pb2.Registration, str | None]] = []
        self.registered: dict[tuple[str, str], sipbreakout_pb2.Registration] = {}
        self._lock = threading.Lock()

    def _enter(
        self, name: str, reg: sipbreakout_pb2.Registration, context: grpc.ServicerContext
    ) -> None:
        auth = dict(context.invocation_metadata()).get("authorization")
        with self._lock:
            self.calls.append((name, reg, auth))
            failure = self.fail_next.pop(0) if self.fail_next else None
        if failure is not None:
            context.abort(failure, f"injected {failure.name}")
        if self.valid_tokens is not None:
            token = auth.removeprefix("Bearer ") if auth else None
            if token not in self.valid_tokens:
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "token expired or invalid")

    def UpsertRegistration(  # noqa: N802 (gRPC API)
        self, request: sipbreakout_pb2.UpsertRegistrationRequest, context: grpc.ServicerContext
    ) -> sipbreakout_pb2.UpsertRegistrationResponse:
        reg = request.registration
        self._enter("upsert", reg, context)
        try:
            validate_registration(
                reg.phone_number.e164,
                reg.route_type,
                reg.sip_uri,
                reg.mobile_originating_prefix,
                reg.mobile_terminating_prefix,
            )
        except InvalidRegistration as exc:
            return sipbreakout_pb2.UpsertRegistrationResponse(
                status_code=sipbreakout_pb2.STATUS_CODE_NOT_ACCEPTABLE, error_message=str(exc)
            )
        if self.reject_with is not None:
            return sipbreakout_pb2.UpsertRegistrationResponse(
                status_code=sipbreakout_pb2.STATUS_CODE_NOT_ACCEPTABLE,
                error_message=self.reject_with,
            )
        with self._lock:
            self.registered[(reg.phone_number.e164, reg.sip_uri)] = reg
        return sipbreakout_pb2.UpsertRegistrationResponse(
            status_code=sipbreakout_pb2.STATUS_CODE_OK,
            time_to_live=duration_pb2.Duration(seconds=self.ttl),
        )

    def DeleteRegistration(  # noqa: N802 (gRPC API)
        self, request: sipbreakout_pb2.DeleteRegistrationRequest, context: grpc.ServicerContext
    ) -> sipbreakout_pb2.DeleteRegistrationResponse:
        reg = request.registration
        self._enter("delete", reg, context)
        with self._lock:
            found = self.registered.pop((reg.phone_number.e164, reg.sip_uri), None)
        if found is None:
            return sipbreakout_pb2.DeleteRegistrationResponse(
                status_code=sipbreakout_pb2.STATUS_CODE_NOT_ACCEPTABLE,
                error_message="no such registration",
            )
        return sipbreakout_pb2.DeleteRegistrationResponse(
            status_code=sipbreakout_pb2.STATUS_CODE_OK
        )


@dataclass
class RunningBreakout:
    servicer: FakeBreakout
    address: str
    certificate: bytes | None = None


def _serve(credentials: grpc.ServerCredentials | None) -> tuple[grpc.Server, RunningBreakout]:
    servicer = FakeBreakout()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    add_servicer: Any = sipbreakout_pb2_grpc.add_SipBreakoutServiceServicer_to_server
    add_servicer(servicer, server)
    if credentials is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    return server, RunningBreakout(servicer, f"127.0.0.1:{port}")


@pytest.fixture
def breakout() -> Iterator[RunningBreakout]:
    server, running = _serve(None)
    yield running
    server.stop(None)


def self_signed(host: str) -> tuple[bytes, bytes]:
    """A throwaway (key PEM, certificate PEM) for ``host`` (DNS name and 127.0.0.1)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(host), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def tls_breakout() -> Iterator[RunningBreakout]:
    key, cert = self_signed("localhost")
    server, running = _serve(grpc.ssl_server_credentials([(key, cert)]))
    running.address = running.address.replace("127.0.0.1", "localhost")
    running.certificate = cert
    yield running
    server.stop(None)


PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_DB = "tas_registrations_test"  # our own database: other areas' tables stay out of the way


async def _postgres_url() -> str:
    import asyncpg

    try:
        conn = await asyncpg.connect(PG_ADMIN, timeout=2)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432 ({exc})")
    try:
        # made afresh each time: the schema comes from the migrations of this checkout
        await conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {PG_DB}")
    finally:
        await conn.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DB}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty registrations table on SQLite (a temp file) or PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'tas.db'}"
    else:
        url = await _postgres_url()
    db = Database(url)
    store = RegistrationStore(db)
    await store.create_schema()
    async with db.session() as session:
        await session.exec(delete(RegistrationRow))
        await session.commit()
    yield db
    await db.close()
