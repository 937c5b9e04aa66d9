"""Bearer tokens of the admin API (RFC 6750 §2.1) with roles.

``admin`` may do everything; ``subscriber`` sees and changes only its own ``numbers``
(403 otherwise). Only SHA-256 digests of the secrets are held; a presented token is hashed and
compared with **every** configured digest by :func:`hmac.compare_digest`, so the time taken
does not say which entry matched (as :mod:`tas.voicemail.tokens`)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tas.admin.problems import Problem
from tas.config_admin import AdminToken

__all__ = ["Principal", "Tokens", "digest_of"]


def digest_of(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request is: ``numbers`` is None for an admin."""

    role: str
    numbers: frozenset[str] | None
    label: str

    @property
    def is_admin(self) -> bool:
        return self.numbers is None

    def may(self, *numbers: str | None) -> bool:
        """Whether any of ``numbers`` is this principal's (an admin: always)."""
        return self.numbers is None or any(n in self.numbers for n in numbers if n)

    def require(self, number: str) -> None:
        """403 unless ``number`` is this principal's."""
        if not self.may(number):
            raise Problem(403, "Forbidden", f"{number} is not one of this token's numbers")

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Problem(403, "Forbidden", "this needs an admin token")


class Tokens:
    """The configured tokens as digests; :meth:`authenticate` a presented one."""

    def __init__(self, entries: Iterable[AdminToken]) -> None:
        self._entries: list[tuple[bytes, Principal]] = []
        for index, entry in enumerate(entries):
            if entry.token is not None:
                digest = digest_of(entry.token.get_secret_value())
            else:
                digest = bytes.fromhex(entry.token_sha256 or "")
            numbers = None if entry.role == "admin" else frozenset(entry.numbers)
            self._entries.append((digest, Principal(entry.role, numbers, f"tokens[{index}]")))

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal of an ``Authorization: Bearer …`` header, else a 401 problem."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Problem(401, "Unauthorized", "missing bearer token", bearer=True)
        presented = digest_of(token.strip())
        found: Principal | None = None
        for digest, principal in self._entries:  # every entry: constant time
            if hmac.compare_digest(digest, presented) and found is None:
                found = principal
        if found is None:
            raise Problem(401, "Unauthorized", "unknown bearer token", bearer=True)
        return found


def visible(principal: Principal, numbers: Sequence[str | None]) -> bool:
    """Whether a row about ``numbers`` is shown to ``principal``."""
    return principal.may(*numbers)
