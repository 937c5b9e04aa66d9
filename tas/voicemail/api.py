"""``wgtwo.voicemail.v0.VoicemailMediaService`` served from the local store (wgtwo-api.md §5).

Same messages and status codes as the operator's, so an app written for it works against ours:
INVALID_ARGUMENT for a bad MSISDN or a voicemail id that is not a UUID, NOT_FOUND for no such
voicemail, INTERNAL for a storage failure or a file too big to return. Access: bearer tokens
scoped to operations and mailboxes, failed authentications rate-limited per peer (see
:mod:`tas.voicemail.auth`); a message of a mailbox the token does not cover is PERMISSION_DENIED.
Transport: TLS (optionally mutual) with certificate reload (:mod:`tas.voicemail.api_tls`), or
plaintext on loopback; plaintext elsewhere only with ``voicemail.allow_plaintext``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import NoReturn, TypeAlias, TypeVar

import grpc
import grpc.aio
from google.protobuf import duration_pb2, timestamp_pb2
from sqlalchemy.exc import SQLAlchemyError

from registrations.wgtwo.common.v0 import phonenumber_pb2
from registrations.wgtwo.voicemail.v0 import voicemail_pb2, voicemail_pb2_grpc
from tas.config import Settings, is_loopback_address
from tas.grpc_health import GrpcHealth, add_health
from tas.grpc_reflect import add_reflection
from tas.hostport import HostPort
from tas.logs import log_event
from tas.voicemail.api_tls import ReloadingCertificates, api_credentials
from tas.voicemail.auth import BearerTokenInterceptor, may_access
from tas.voicemail.errors import (
    InvalidNumber,
    InvalidVoicemailId,
    StorageError,
    VoicemailError,
    VoicemailNotFound,
)
from tas.voicemail.ids import check_number
from tas.voicemail.models import Voicemail
from tas.voicemail.ratelimit import FailureLimiter, FailureLog
from tas.voicemail.store import VoicemailStore
from tas.voicemail.tokens import parse_tokens

__all__ = [
    "MAX_WAV_BYTES",
    "PlaintextRefused",
    "VoicemailApi",
    "VoicemailMediaService",
    "start_voicemail_api",
]

log = logging.getLogger(__name__)

#: Largest WAV one GetVoicemail returns: under gRPC's default 4 MiB client receive limit.
MAX_WAV_BYTES = 4 * 1024 * 1024 - 64 * 1024
_T = TypeVar("_T")
_Context: TypeAlias = grpc.aio.ServicerContext  # grpcio ships no type hints


def metadata_of(message: Voicemail) -> voicemail_pb2.VoicemailMetadata:
    """A stored message as the operator's ``VoicemailMetadata``."""
    metadata = voicemail_pb2.VoicemailMetadata(
        voicemail_id=message.voicemail_id,
        to=phonenumber_pb2.PhoneNumber(e164=message.mailbox),
        played=message.played,
    )
    # `from` is a Python keyword; a hidden caller (RFC 3323) has no number to give
    getattr(metadata, "from").e164 = message.caller_number
    duration = duration_pb2.Duration()
    duration.FromTimedelta(timedelta(seconds=message.duration))
    metadata.duration.CopyFrom(duration)
    for field, value in (("created", message.created), ("expires", message.expires)):
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(value)
        getattr(metadata, field).CopyFrom(stamp)
    return metadata


class VoicemailMediaService(voicemail_pb2_grpc.VoicemailMediaServiceServicer):
    """The five unary methods over a :class:`VoicemailStore`."""

    def __init__(self, store: VoicemailStore, *, max_wav_bytes: int = MAX_WAV_BYTES) -> None:
        self.store = store
        self.max_wav_bytes = max_wav_bytes

    async def GetAllVoicemailMetadata(  # noqa: N802 (gRPC method name)
        self, request: voicemail_pb2.GetAllVoicemailMetadataRequest, context: _Context
    ) -> voicemail_pb2.GetAllVoicemailMetadataResponse:
        await may_access(context, request.to.e164)
        messages = await _answer(context, self.store.list_messages(request.to.e164))
        return voicemail_pb2.GetAllVoicemailMetadataResponse(
            metadata=[metadata_of(m) for m in messages]
        )

    async def GetVoicemail(  # noqa: N802
        self, request: voicemail_pb2.GetVoicemailRequest, context: _Context
    ) -> voicemail_pb2.GetVoicemailResponse:
        await self._may_touch(context, request.voicemail_id)
        read = self.store.read_audio(request.voicemail_id, max_bytes=self.max_wav_bytes)
        message, wav = await _answer(context, read)
        return voicemail_pb2.GetVoicemailResponse(metadata=metadata_of(message), wav=wav)

    async def MarkVoicemailAsRead(  # noqa: N802
        self, request: voicemail_pb2.MarkVoicemailAsReadRequest, context: _Context
    ) -> voicemail_pb2.MarkVoicemailAsReadResponse:
        await self._may_touch(context, request.voicemail_id)
        await _answer(context, self.store.mark_played(request.voicemail_id))
        return voicemail_pb2.MarkVoicemailAsReadResponse()

    async def DeleteVoicemail(  # noqa: N802
        self, request: voicemail_pb2.DeleteVoicemailRequest, context: _Context
    ) -> voicemail_pb2.DeleteVoicemailResponse:
        await self._may_touch(context, request.voicemail_id)
        await _answer(context, self.store.delete(request.voicemail_id))
        return voicemail_pb2.DeleteVoicemailResponse()

    async def ResetVoicemailGreeting(  # noqa: N802
        self, request: voicemail_pb2.ResetVoicemailGreetingRequest, context: _Context
    ) -> voicemail_pb2.ResetVoicemailGreetingResponse:
        await may_access(context, request.subscriber.e164)
        await _answer(context, _reset(self.store, request.subscriber.e164))
        return voicemail_pb2.ResetVoicemailGreetingResponse()

    async def _may_touch(self, context: _Context, voicemail_id: str) -> None:
        """PERMISSION_DENIED when the message is in a mailbox the token does not cover."""
        message = await _answer(context, self.store.get(voicemail_id))
        await may_access(context, message.mailbox)


async def _reset(store: VoicemailStore, number: str) -> int:
    check_number(number)
    try:
        return await store.greeting_catalog.reset_greeting(number)
    except OSError as exc:
        raise StorageError(f"cannot reset the greeting: {exc.strerror}") from exc
    except SQLAlchemyError as exc:
        raise StorageError("cannot reset the greeting: database error") from exc


async def _answer(context: _Context, work: Awaitable[_T]) -> _T:
    """Await the store; its typed errors become the operator's status codes."""
    try:
        return await work
    except (InvalidNumber, InvalidVoicemailId) as exc:
        await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
    except VoicemailNotFound as exc:
        await _abort(context, grpc.StatusCode.NOT_FOUND, str(exc))
    except (VoicemailError, OSError) as exc:
        log_event(log, "voicemail_api_error", level=logging.WARNING, error=exc)
        await _abort(context, grpc.StatusCode.INTERNAL, str(exc))


async def _abort(context: _Context, code: grpc.StatusCode, details: str) -> NoReturn:
    await context.abort(code, details)
    raise AssertionError("context.abort returned")  # pragma: no cover


class PlaintextRefused(Exception):
    """The API would carry bearer tokens in the clear beyond loopback (configuration error)."""


@dataclass(frozen=True, slots=True)
class VoicemailApi:
    """A running API server and the port it is bound to (useful with ``host:0``)."""

    server: grpc.aio.Server
    port: int
    interceptor: BearerTokenInterceptor
    certificates: ReloadingCertificates | None = None  # with TLS
    health: GrpcHealth | None = None  # grpc.health.v1, no token needed (tas.grpc_health)

    async def stop(self, grace: float | None = 1.0) -> None:
        if self.health is not None:
            await self.health.set_serving(False)
        await self.server.stop(grace)
        self.interceptor.close()


async def start_voicemail_api(
    settings: Settings,
    store: VoicemailStore,
    *,
    address: str | None = None,
    max_wav_bytes: int = MAX_WAV_BYTES,
) -> VoicemailApi:
    """Serve the API on ``address`` (default ``settings.voicemail.api``; ``host:0`` picks a
    port): TLS with ``voicemail.api_tls``, else plaintext, which is refused
    (:class:`PlaintextRefused`) on a non-loopback address unless ``allow_plaintext``."""
    vm = settings.voicemail
    target = address or vm.api
    if not (vm.api_tls or vm.allow_plaintext or is_loopback_address(target)):
        raise PlaintextRefused(
            f"voicemail API: refusing plaintext on {target} (not loopback); set "
            "voicemail.api_tls = true, or voicemail.allow_plaintext = true"
        )
    tokens = parse_tokens(vm.api_tokens)
    if not tokens:
        log_event(log, "voicemail_api_no_tokens", level=logging.WARNING, refused="every call")
    interceptor = BearerTokenInterceptor(
        tokens,
        limiter=FailureLimiter(vm.api_auth_burst, vm.api_auth_rate),
        failures=FailureLog(vm.api_auth_log_interval),
    )
    server = grpc.aio.server(
        interceptors=[interceptor],
        # so_reuseport 0: a second server on the same port fails instead of sharing it.
        options=[
            ("grpc.max_send_message_length", max_wav_bytes + 64 * 1024),
            ("grpc.so_reuseport", 0),
        ],
    )
    add_servicer = voicemail_pb2_grpc.add_VoicemailMediaServiceServicer_to_server
    add_servicer(VoicemailMediaService(store, max_wav_bytes=max_wav_bytes), server)  # type: ignore[no-untyped-call]
    health = add_health(server, ("wgtwo.voicemail.v0.VoicemailMediaService",))
    add_reflection(server, ("wgtwo.voicemail.v0.VoicemailMediaService",))  # no token needed
    certificates = None
    if vm.api_tls:
        host = HostPort.parse(target).host or "127.0.0.1"
        credentials, certificates = api_credentials(settings, host)
        port = server.add_secure_port(target, credentials)
    else:
        port = server.add_insecure_port(target)
    await server.start()
    await health.set_serving(True)
    security = (
        "mutual TLS"
        if vm.api_tls_client_ca and vm.api_tls
        else "TLS"
        if vm.api_tls
        else "plaintext"
    )
    log_event(log, "voicemail_api_listening", target=target, port=port, security=security)
    return VoicemailApi(server, port, interceptor, certificates, health)
