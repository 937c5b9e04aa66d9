"""SipBreakoutService v1 client over grpc.aio (wgtwo-api.md §1, §3).

TLS to an operator region (``api.<region>.wgtwo.com:443``) or plaintext to the loopback sandbox;
``authorization: Bearer …`` from a :class:`~registrations.oauth.TokenSource`; a deadline per
attempt; retries with exponential backoff and full jitter for UNAVAILABLE and
DEADLINE_EXCEEDED only; one token refresh on UNAUTHENTICATED. ``STATUS_CODE_NOT_ACCEPTABLE``
becomes :class:`~registrations.errors.OperatorRejected` carrying the operator's
``error_message``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import grpc

from registrations.errors import (
    AuthenticationFailed,
    OperatorError,
    OperatorNotFound,
    OperatorRejected,
    OperatorUnreachable,
)
from registrations.model import Registration
from registrations.oauth import ClientCredentials, NoAuth, TokenSource, sandbox_auth
from registrations.wgtwo.common.v1 import phonenumber_pb2
from registrations.wgtwo.sipbreakout.v1 import sipbreakout_pb2, sipbreakout_pb2_grpc
from tas.hostport import HostPort

if TYPE_CHECKING:
    from tas.config import Settings

__all__ = [
    "DEFAULT_TTL",
    "REGIONS",
    "OperatorClient",
    "RetryPolicy",
    "SipBreakoutClient",
    "Target",
    "registration_to_proto",
]

#: Production hosts per region (one tenant lives in one region).
REGIONS: dict[str, str] = {
    "shamrock": "api.shamrock.wgtwo.com:443",
    "oak": "api.oak.wgtwo.com:443",
    "sakura": "api.sakura.wgtwo.com:443",
}
#: Lifetime assumed when a response carries no (positive) ``time_to_live``.
DEFAULT_TTL = 3600.0

_RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


@dataclass(frozen=True, slots=True)
class Target:
    """Where the SipBreakoutService is and how to reach it."""

    address: str  # host:port
    tls: bool
    authenticated: bool  # False for the sandbox: no OAuth at all
    root_certificates: bytes | None = None  # PEM CA bundle; None = system roots

    @classmethod
    def from_settings(cls, settings: Settings) -> Target:
        """``operator.target``: ``sandbox``, a region name, or ``host:port``."""
        op = settings.operator
        roots = Path(op.ca_file).read_bytes() if op.ca_file else None
        if op.target == "sandbox":
            return cls(settings.sandbox.grpc, tls=False, authenticated=False)
        if op.target in REGIONS:
            return cls(REGIONS[op.target], tls=True, authenticated=True, root_certificates=roots)
        try:
            hostport = HostPort.parse(op.target)
        except ValueError:
            hostport = HostPort("")
        if not hostport.host or hostport.port is None:
            raise ValueError(
                f"operator target {op.target!r} is not sandbox, {', '.join(REGIONS)} or host:port"
            )
        return cls(op.target, tls=op.tls, authenticated=True, root_certificates=roots)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter ("Exponential Backoff And Jitter", AWS, 2015)."""

    attempts: int = 4
    initial: float = 0.2
    multiplier: float = 2.0
    cap: float = 5.0

    def delay(self, retry: int, rand: float) -> float:
        """Pause before retry number ``retry`` (0-based), ``rand`` uniform in [0, 1)."""
        return rand * min(self.cap, self.initial * self.multiplier**retry)


def registration_to_proto(reg: Registration) -> sipbreakout_pb2.Registration:
    return sipbreakout_pb2.Registration(
        mobile_originating_prefix=reg.mo_prefix,
        mobile_terminating_prefix=reg.mt_prefix,
        sip_uri=reg.sip_uri,
        route_type=sipbreakout_pb2.RouteType.Name(int(reg.route)),
        phone_number=phonenumber_pb2.E164(e164=reg.phone_number),
    )


class OperatorClient:
    """One gRPC service of the operator: channel (TLS or loopback plaintext), bearer token,
    deadline, retries and error mapping shared by every client; use as ``async with``."""

    #: The generated stub class of the service (set by each subclass).
    stub_class: Any = None

    def __init__(
        self,
        target: Target,
        tokens: TokenSource | None = None,
        *,
        deadline: float = 10.0,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 (frozen, immutable)
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.target = target
        self.tokens: TokenSource = tokens if tokens is not None else NoAuth()
        self.deadline = deadline
        self.retry = retry
        self._sleep = sleep
        self._rand = rand
        if target.tls:
            creds = grpc.ssl_channel_credentials(root_certificates=target.root_certificates)
            self._channel = grpc.aio.secure_channel(target.address, creds)
        else:
            self._channel = grpc.aio.insecure_channel(target.address)
        self._stub = self.stub_class(self._channel)

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> Self:
        """Target, credentials, deadline and retries from ``[operator]``."""
        op = settings.operator
        target = Target.from_settings(settings)
        tokens: TokenSource = sandbox_auth(settings.sandbox.tokens)
        if target.authenticated:
            if not op.client_id or not op.client_secret:
                raise ValueError(
                    f"operator target {op.target!r} needs operator.client_id and "
                    "operator.client_secret (TAS_OPERATOR__CLIENT_ID / __CLIENT_SECRET)"
                )
            tokens = ClientCredentials(
                op.client_id, op.client_secret, token_url=op.token_url, scopes=op.scopes
            )
        retry = RetryPolicy(attempts=max(1, op.attempts))
        return cls(target, tokens, deadline=op.deadline, retry=retry, **kwargs)

    async def close(self) -> None:
        await self._channel.close()
        await self.tokens.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _call(self, method: Any, request: Any) -> Any:
        refreshed = False
        retry = 0
        while True:
            token = await self.tokens.token()
            metadata = (("authorization", f"Bearer {token}"),) if token else ()
            try:
                return await method(request, timeout=self.deadline, metadata=metadata)
            except grpc.aio.AioRpcError as exc:
                code = exc.code()
                if code in _RETRYABLE and retry + 1 < self.retry.attempts:
                    await self._sleep(self.retry.delay(retry, self._rand()))
                    retry += 1
                    continue
                if code == grpc.StatusCode.UNAUTHENTICATED and token and not refreshed:
                    self.tokens.invalidate()
                    refreshed = True
                    continue
                raise self._error(exc) from exc

    def _error(self, exc: grpc.aio.AioRpcError) -> OperatorError:
        code = exc.code()
        details = " ".join((exc.details() or "").split()) or code.name
        if code in _RETRYABLE:
            return OperatorUnreachable(
                f"operator unreachable at {self.target.address} after {self.retry.attempts} "
                f"attempt(s): {code.name}: {details}"
            )
        if code == grpc.StatusCode.UNAUTHENTICATED:
            return AuthenticationFailed(f"operator refused our credentials: {details}")
        if code == grpc.StatusCode.NOT_FOUND:
            return OperatorNotFound(details)
        return OperatorRejected(f"{code.name}: {details}")


class SipBreakoutClient(OperatorClient):
    """``upsert()`` / ``delete()`` one registration; use as ``async with``."""

    stub_class = sipbreakout_pb2_grpc.SipBreakoutServiceStub

    async def upsert(self, reg: Registration) -> float:
        """Make or refresh ``reg``; returns the operator's ``time_to_live`` in seconds."""
        request = sipbreakout_pb2.UpsertRegistrationRequest(registration=registration_to_proto(reg))
        response: sipbreakout_pb2.UpsertRegistrationResponse = await self._call(
            self._stub.UpsertRegistration, request
        )
        _check(response.status_code, response.error_message, "upsert", reg)
        ttl = response.time_to_live.ToTimedelta().total_seconds()
        return ttl if ttl > 0 else DEFAULT_TTL  # absent or nonsense: the documented 3600 s

    async def delete(self, reg: Registration) -> None:
        """Remove ``reg`` (same ``sip_uri`` and number as registered). Raises
        :class:`~registrations.errors.OperatorNotFound` when the operator answers gRPC
        ``NOT_FOUND`` (it holds no such registration)."""
        request = sipbreakout_pb2.DeleteRegistrationRequest(registration=registration_to_proto(reg))
        response: sipbreakout_pb2.DeleteRegistrationResponse = await self._call(
            self._stub.DeleteRegistration, request
        )
        _check(response.status_code, response.error_message, "delete", reg)


def _check(status: int, error_message: str, verb: str, reg: Registration) -> None:
    if status == sipbreakout_pb2.STATUS_CODE_OK:
        return
    if status == sipbreakout_pb2.STATUS_CODE_NOT_ACCEPTABLE:
        raise OperatorRejected(error_message or f"{verb} of {reg.phone_number} not acceptable")
    name = sipbreakout_pb2.StatusCode.Name(status) if status in (0, 1, 2) else str(status)
    raise OperatorRejected(f"{verb} of {reg.phone_number}: operator answered {name}")
