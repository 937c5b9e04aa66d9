"""Bearer tokens of the voicemail API, scoped to operations and mailboxes (pure, no gRPC).

``voicemail.api_tokens`` entries (``tas.config.VoicemailSettings``):

* ``"TOKEN"``: every operation on every mailbox (the original form, still valid).
* ``"TOKEN:scope,scope"``: some of the operator's scopes (wgtwo-api.md §2), every mailbox.
* ``{token = "…", mailboxes = ["+4799990001"], operations = ["read", "delete"]}``, or
  ``token_sha256 = "<hex>"`` instead of ``token`` to keep the secret out of the file.

Operations are the operator's scopes by a short name: ``read`` = ``voicemail.get``
(GetAllVoicemailMetadata, GetVoicemail), ``update`` = ``voicemail.update`` (MarkVoicemailAsRead,
ResetVoicemailGreeting), ``delete`` = ``voicemail.delete`` (DeleteVoicemail); the scope names
themselves are accepted too.

Only SHA-256 digests of the secrets are kept in memory; a presented token is hashed and compared
with **every** configured digest by :func:`hmac.compare_digest`, so the time taken does not depend
on which entry (if any) matches or how long a common prefix is.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import grpc

from tas.config import ApiToken
from tas.voicemail.errors import InvalidNumber
from tas.voicemail.ids import check_number

__all__ = [
    "ALL_SCOPES",
    "DENIED",
    "METHOD_SCOPES",
    "MISSING_TOKEN",
    "OPERATIONS",
    "UNRESTRICTED",
    "Denial",
    "Principal",
    "authenticate",
    "bearer_of",
    "digest_of",
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
#: Short operation names of the table form -> the operator's scope.
OPERATIONS = {"read": "voicemail.get", "update": "voicemail.update", "delete": "voicemail.delete"}

MISSING_TOKEN = "missing bearer token"
DENIED = "permission denied"


@dataclass(frozen=True, slots=True)
class Principal:
    """What one token may do: ``scopes`` on ``mailboxes`` (None: every mailbox)."""

    digest: bytes
    scopes: frozenset[str]
    mailboxes: frozenset[str] | None = None
    label: str = ""  # for logs: the entry's position, never the secret

    def may(self, scope: str | None) -> bool:
        return scope is None or scope in self.scopes

    def may_access(self, mailbox: str) -> bool:
        return self.mailboxes is None or mailbox in self.mailboxes


#: The principal used when no interceptor ran (a servicer called directly, in tests).
UNRESTRICTED = Principal(b"", ALL_SCOPES, None, "unrestricted")


@dataclass(frozen=True, slots=True)
class Denial:
    """A refusal; ``failed_auth`` marks the ones that count against the peer's rate limit."""

    code: grpc.StatusCode
    details: str
    failed_auth: bool = False


def digest_of(secret: str | bytes) -> bytes:
    return hashlib.sha256(secret.encode() if isinstance(secret, str) else secret).digest()


def parse_tokens(entries: Iterable[str | ApiToken]) -> list[Principal]:
    """Validate the configured entries; a bad entry is a ``ValueError`` naming it."""
    principals = []
    for index, entry in enumerate(entries):
        label = f"api_tokens[{index}]"
        if isinstance(entry, str):
            secret, _, scope_list = entry.partition(":")
            if not secret:
                raise ValueError(f"voicemail.{label}: empty token")
            names = [s.strip() for s in scope_list.split(",") if s.strip()]
            principals.append(Principal(digest_of(secret), _scopes(names, label), None, label))
            continue
        principals.append(_table(entry, label))
    return principals


def _table(entry: ApiToken, label: str) -> Principal:
    if entry.token is not None:
        if not entry.token.get_secret_value():
            raise ValueError(f"voicemail.{label}: empty token")
        digest = digest_of(entry.token.get_secret_value())
    else:
        try:
            digest = bytes.fromhex(entry.token_sha256 or "")
        except ValueError:
            digest = b""
        if len(digest) != hashlib.sha256().digest_size:
            raise ValueError(f"voicemail.{label}: token_sha256 must be 64 hex digits")
    mailboxes = None
    if entry.mailboxes is not None:
        try:
            mailboxes = frozenset(check_number(m) for m in entry.mailboxes)
        except InvalidNumber as exc:
            raise ValueError(f"voicemail.{label}: {exc}") from exc
        if not mailboxes:
            raise ValueError(f"voicemail.{label}: mailboxes is empty (omit it for every mailbox)")
    names = entry.operations
    if names is not None and not names:
        raise ValueError(f"voicemail.{label}: operations is empty (omit it for every operation)")
    return Principal(digest, _scopes(names or [], label), mailboxes, label)


def _scopes(names: Sequence[str], label: str) -> frozenset[str]:
    scopes = frozenset(OPERATIONS.get(name, name) for name in names) or ALL_SCOPES
    if unknown := scopes - ALL_SCOPES:
        known = ", ".join([*OPERATIONS, *sorted(ALL_SCOPES)])
        raise ValueError(
            f"voicemail.{label}: unknown operation(s) {', '.join(sorted(unknown))} (known: {known})"
        )
    return scopes


def bearer_of(metadata: Iterable[tuple[str, str | bytes]]) -> str | None:
    """The token of an ``authorization: Bearer …`` header (RFC 6750 §2.1), or None."""
    header = next((value for key, value in metadata if key.lower() == "authorization"), None)
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    scheme, _, presented = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return None
    return presented.strip()


def authenticate(
    principals: Sequence[Principal], metadata: Iterable[tuple[str, str | bytes]], method: str
) -> Principal | Denial:
    """The caller's principal if its token is known and holds the method's scope.

    No token → UNAUTHENTICATED; an unknown token or one without the scope → PERMISSION_DENIED
    with the same details, so a guess never learns whether it hit a real token. Both failures
    of authentication (not the scope refusal) count against the peer's rate limit.
    """
    presented = bearer_of(metadata)
    if presented is None:
        return Denial(grpc.StatusCode.UNAUTHENTICATED, MISSING_TOKEN, failed_auth=True)
    candidate = digest_of(presented)
    match = None
    for principal in principals:  # every digest is compared, in constant time each
        if hmac.compare_digest(principal.digest, candidate):
            match = principal
    if match is None:
        return Denial(grpc.StatusCode.PERMISSION_DENIED, DENIED, failed_auth=True)
    if not match.may(METHOD_SCOPES.get(method)):
        return Denial(grpc.StatusCode.PERMISSION_DENIED, DENIED)
    return match
