"""Access control of the voicemail API: bearer tokens (:mod:`tas.voicemail.tokens`), a limit on
failed authentications per peer (:mod:`tas.voicemail.ratelimit`) and the mailbox check.

:class:`BearerTokenInterceptor` wraps every unary handler so that, before the handler runs:

1. a peer that spent its failed-authentication budget gets RESOURCE_EXHAUSTED at once, without
   its token being looked at (so guessing costs the guesser, not us);
2. no token → UNAUTHENTICATED; an unknown token or one without the method's scope →
   PERMISSION_DENIED ("permission denied", the same words either way);
3. otherwise the token's :class:`~tas.voicemail.tokens.Principal` is set in
   :data:`current_principal` for the handler, which checks the mailbox with
   :func:`may_access` once it knows it (a voicemail id names its mailbox only in the store).

Failures (and unchecked refusals) are logged as one summary line per interval with counts.
The peer is only known inside the call (``context.peer()``), which is why this wraps the handler
rather than refusing in ``intercept_service``.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc
import grpc.aio

from tas.grpc_reflect import REFLECTION_METHOD_PREFIX
from tas.voicemail.ratelimit import FailureLimiter, FailureLog, peer_key
from tas.voicemail.tokens import (
    DENIED,
    MISSING_TOKEN,
    UNRESTRICTED,
    Denial,
    Principal,
    authenticate,
    parse_tokens,
)

__all__ = [
    "DENIED",
    "MISSING_TOKEN",
    "TOO_MANY",
    "BearerTokenInterceptor",
    "current_principal",
    "parse_tokens",
]

log = logging.getLogger(__name__)

TOO_MANY = "too many failed authentications; try again later"
#: The principal of the call being handled (set by the interceptor around the handler).
current_principal: contextvars.ContextVar[Principal] = contextvars.ContextVar(
    "voicemail_api_principal", default=UNRESTRICTED
)

_Handler = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]]


class BearerTokenInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Authenticates, rate-limits failures per peer and logs them (see the module docstring)."""

    def __init__(
        self,
        principals: Sequence[Principal],
        *,
        limiter: FailureLimiter | None = None,
        failures: FailureLog | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.principals = tuple(principals)
        self.limiter = limiter or FailureLimiter()
        self.failures = failures or FailureLog()
        self.clock = clock
        self.checked = 0  # tokens looked at (success or failure), for tests and metrics
        self.failed = 0  # failed authentications (no or unknown token)
        self.refused_unchecked = 0  # refused because the peer was blocked
        self._flush: asyncio.TimerHandle | None = None

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler  # unknown method (UNIMPLEMENTED) or none of ours
        method = handler_call_details.method
        if method.startswith(("/grpc.health.v1.Health/", REFLECTION_METHOD_PREFIX)):
            return handler  # health and reflection need no token (tas.grpc_health, grpc_reflect)
        metadata = tuple(handler_call_details.invocation_metadata or ())
        behaviour: _Handler = handler.unary_unary

        async def guarded(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            principal = await self._admit(context, metadata, method)
            token = current_principal.set(principal)
            try:
                return await behaviour(request, context)
            finally:
                current_principal.reset(token)

        return grpc.unary_unary_rpc_method_handler(
            guarded,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    async def _admit(
        self,
        context: grpc.aio.ServicerContext[Any, Any],
        metadata: Sequence[tuple[str, str | bytes]],
        method: str,
    ) -> Principal:
        peer, now = peer_key(context.peer() or "unknown"), self.clock()
        if self.limiter.blocked(peer, now):
            self.refused_unchecked += 1
            self._count(peer, now, blocked=True)
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, TOO_MANY)
        self.checked += 1
        outcome = authenticate(self.principals, metadata, method)
        if isinstance(outcome, Denial):
            if outcome.failed_auth:
                self.failed += 1
                self.limiter.failed(peer, now)
                self._count(peer, now, blocked=False)
            await context.abort(outcome.code, outcome.details)
        assert isinstance(outcome, Principal)
        return outcome

    def _count(self, peer: str, now: float, *, blocked: bool) -> None:
        line = self.failures.note(peer, now, blocked=blocked)
        if line is not None:
            log.warning(line)
        if self.failures.pending and self._flush is None:  # the rest, when the interval ends
            self._schedule(self.failures.wait(now))

    def _schedule(self, delay: float) -> None:
        self._flush = asyncio.get_running_loop().call_later(delay, self._flush_due)

    def _flush_due(self) -> None:
        self._flush = None
        now = self.clock()
        if (delay := self.failures.wait(now)) > 0:  # a line was written meanwhile
            if self.failures.pending:
                self._schedule(delay)
            return
        self._flush_now()

    def _flush_now(self) -> None:
        line = self.failures.flush(self.clock())
        if line is not None:
            log.warning(line)

    def close(self) -> None:
        """Log what is still counted and stop the flush timer (server stop)."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        self._flush_now()


async def may_access(context: grpc.aio.ServicerContext[Any, Any], mailbox: str) -> None:
    """PERMISSION_DENIED unless the current token may touch ``mailbox``."""
    if not current_principal.get().may_access(mailbox):
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, DENIED)
