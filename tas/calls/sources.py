"""Where the call application learns, per INVITE and without I/O, which registrations and
policies are ours (issue #10, "no I/O on the INVITE hot path").

* :class:`RegistrationSource` is what :class:`tas.calls.app.CallApp` asks: decode one leg
  (:meth:`~RegistrationSource.find`) and the policies of one number, both synchronous. The
  production implementation is :class:`tas.calls.directory.Directory`, kept current by the
  store; when it cannot answer truthfully it raises :class:`DirectoryUnavailable` and the leg
  gets 503 + Retry-After (RFC 3261 §21.5.4) instead of a guess.
* :class:`NumberSource` is a per-number lookup of registrations held in memory; the directory
  combines its own table with such sources (the embedded sandbox provides one, see
  ``tas.sandbox.registrations``; this module does not know the sandbox).
* :func:`find_leg` decodes a leg with :func:`~tas.calls.routing.decode_leg` but looks up only
  the numbers the leg can belong to: the caller (MO) and each suffix of the Request-URI number
  (MT with the prefix stripped; the unprefixed number itself), at most 20 lookups.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from registrations.model import Registration
from tas.calls.policy import Policy
from tas.calls.routing import LegInfo, decode_leg, dialled_of
from tas.calls.rules import Rule

__all__ = [
    "CombinedRegistrations",
    "DirectoryUnavailable",
    "NumberSource",
    "RegistrationSource",
    "StaticRegistrations",
    "candidate_numbers",
    "find_leg",
]


class DirectoryUnavailable(Exception):
    """The registrations/policies cannot be trusted (never loaded, or stale beyond the bound):
    answer the leg 503 with ``Retry-After: retry_after`` seconds."""

    def __init__(self, retry_after: int, reason: str) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.reason = reason


class RegistrationSource(Protocol):
    """What the call application asks for each INVITE; in memory, never awaits."""

    def find(self, request_user: str | None, caller_user: str | None) -> LegInfo | None:
        """The decoded leg, None when it is not ours; raises :class:`DirectoryUnavailable`."""
        ...

    def policies_for(self, number: str) -> Sequence[Policy]:
        """The stored policies of ``number`` (empty: the route type's default applies)."""
        ...

    def rules_for(self, number: str) -> Sequence[Rule]:
        """The call rules of ``number`` in order (:mod:`tas.calls.rules`; empty: none)."""
        ...


class NumberSource(Protocol):
    """Registrations of one phone number, from memory."""

    def registrations_for(self, number: str) -> Sequence[Registration]: ...


def candidate_numbers(request_user: str | None, caller_user: str | None) -> list[str]:
    """The numbers whose registrations can explain a leg: the caller's (MO) and every
    ``+`` + suffix of the Request-URI number (MT behind a prefix, or unprefixed)."""
    target, caller = dialled_of(request_user), dialled_of(caller_user)
    if target is None:
        return []
    body = target[1:]
    numbers = ["+" + body[k:] for k in range(len(body))]
    if caller is not None and caller not in numbers:
        numbers.append(caller)
    return numbers


def find_leg(
    source: NumberSource, request_user: str | None, caller_user: str | None
) -> LegInfo | None:
    """:func:`~tas.calls.routing.decode_leg` over only the registrations that can match."""
    regs: list[Registration] = []
    for number in candidate_numbers(request_user, caller_user):
        regs.extend(source.registrations_for(number))
    return decode_leg(request_user, caller_user, regs) if regs else None


class StaticRegistrations:
    """A fixed list (tests, tools)."""

    def __init__(self, registrations: Sequence[Registration]) -> None:
        self._by_number: dict[str, list[Registration]] = {}
        for reg in registrations:
            self._by_number.setdefault(reg.phone_number, []).append(reg)

    def registrations_for(self, number: str) -> Sequence[Registration]:
        return tuple(self._by_number.get(number, ()))


class CombinedRegistrations:
    """Several sources, first one wins per (number, route)."""

    def __init__(self, *sources: NumberSource) -> None:
        self.sources = sources

    def registrations_for(self, number: str) -> Sequence[Registration]:
        seen: dict[int, Registration] = {}
        for source in self.sources:
            for reg in source.registrations_for(number):
                seen.setdefault(int(reg.route), reg)
        return tuple(seen.values())
