"""Bearer-token access to the voicemail API: static tokens from ``voicemail.api_tokens``.

A token entry is ``TOKEN`` (every voicemail scope) or ``TOKEN:scope,scope`` limiting it to some of
the operator's scopes (wgtwo-api.md §2): ``voicemail.get`` (GetAllVoicemailMetadata,
GetVoicemail), ``voicemail.update`` (MarkVoicemailAsRead, ResetVoicemailGreeting),
``voicemail.delete`` (DeleteVoicemail).

No ``authorization: Bearer …`` metadata → UNAUTHENTICATED; an unknown token, or one without the
method's scope → PERMISSION_DENIED. The check runs before any handler, so the answer never
depends on what is stored. With no tokens configured every call is refused.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
import grpc.aio

__all__ = [
    "METHOD_SCOPES",
    "BearerTokenInterceptor",
    "Denial",
    "StaticToken",
    "authorize",
    "parse_tokens",
]

_SERVICE = "/wgtwo.voicemail.v0.VoicemailMediaService/"
#: gRPC method path -> the scope the operator requires for it.
METHOD_SCOPES = {
    _SERVICE + "GetAllVoicemailMetadata": "voicemail.get",
    _SERVICE + "GetVoicemail": "voicemail.get",
    _SERVICE + "MarkVoicemailAsRead": "voicemail.update",
    _SERVICE + "ResetVoicemailGreeting": "voicemail.update",
    _SERVICE + "DeleteVoicemail": "voicemail.delete",
}
ALL_SCOPES = frozenset(METHOD_SCOPES.values())

MISSING_TOKEN = "missing bearer token"
DENIED = "permission denied"


@dataclass(frozen=True, slots=True)
class StaticToken:
    token: bytes
    scopes: frozenset[str]


@dataclass(frozen=True, slots=True)
class Denial:
    code: grpc.StatusCode
    details: str


def parse_tokens(entries: Iterable[str]) -> list[StaticToken]:
    """``TOKEN`` or ``TOKEN:scope,scope``; unknown scopes are a configuration error."""
    tokens = []
    for entry in entries:
        secret, _, scope_list = entry.partition(":")
        if not secret:
            raise ValueError("voicemail.api_tokens: empty token")
        scopes = frozenset(s.strip() for s in scope_list.split(",") if s.strip()) or ALL_SCOPES
        if unknown := scopes - ALL_SCOPES:
            raise ValueError(f"voicemail.api_tokens: unknown scope(s) {', '.join(sorted(unknown))}")
        tokens.append(StaticToken(secret.encode(), scopes))
    return tokens


def authorize(
    tokens: Sequence[StaticToken], metadata: Iterable[tuple[str, str | bytes]], method: str
) -> Denial | None:
    """None when the call may proceed, else the status to refuse it with."""
    header = next((value for key, value in metadata if key.lower() == "authorization"), None)
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    scheme, _, presented = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return Denial(grpc.StatusCode.UNAUTHENTICATED, MISSING_TOKEN)
    candidate = presented.strip().encode()
    match = None
    for token in tokens:  # compare with every token, in constant time each
        if hmac.compare_digest(token.token, candidate):
            match = token
    scope = METHOD_SCOPES.get(method)
    if match is None or (scope is not None and scope not in match.scopes):
        return Denial(grpc.StatusCode.PERMISSION_DENIED, DENIED)
    return None


class BearerTokenInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Refuses calls that :func:`authorize` does not allow, before any handler runs."""

    def __init__(self, tokens: Sequence[StaticToken]) -> None:
        self._tokens = tuple(tokens)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        denial = authorize(
            self._tokens,
            handler_call_details.invocation_metadata or (),
            handler_call_details.method,
        )
        if denial is None:
            return await continuation(handler_call_details)
        return _refusal(denial)


def _refusal(denial: Denial) -> grpc.RpcMethodHandler:
    async def refuse(_request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        await context.abort(denial.code, denial.details)

    return grpc.unary_unary_rpc_method_handler(refuse)
