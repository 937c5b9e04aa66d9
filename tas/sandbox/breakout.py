"""The sandbox's SIP breakout registration table (wgtwo-api.md §3), sans-IO.

The operator's rules: ``sips:`` URIs only, a phone number on every registration (client
credentials), a fixed lifetime counted from the last upsert, upsert replaces the registration
of the same number and ``sip_uri``, delete names the ``sip_uri`` (and number). A refusal raises
:class:`BreakoutRejected` whose text is the ``error_message`` sent with
``STATUS_CODE_NOT_ACCEPTABLE``; field checks are :mod:`registrations.validation`'s, so the CLI
refuses bad input locally with the very same words.

Every call takes ``now``; a registration whose lifetime has passed is gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from registrations.model import Registration, Route
from registrations.validation import (
    InvalidRegistration,
    validate_e164,
    validate_registration,
    validate_sips_uri,
)

__all__ = [
    "REGISTRATION_TTL",
    "ActiveRegistration",
    "BreakoutNotFound",
    "BreakoutRejected",
    "BreakoutTable",
]

REGISTRATION_TTL = 3600.0  # "A registration lives a fixed 3600 s counted from the last Upsert."


class BreakoutRejected(ValueError):
    """The operator's ``STATUS_CODE_NOT_ACCEPTABLE``; ``str()`` is the ``error_message``."""


class BreakoutNotFound(BreakoutRejected):
    """A delete named a registration the table does not hold (gRPC ``NOT_FOUND`` on the wire:
    the caller's goal, "gone", is met, and it can tell this from a refusal)."""


@dataclass(frozen=True, slots=True)
class ActiveRegistration:
    """A registration the sandbox core currently routes by, and when it lapses."""

    registration: Registration
    expires_at: float

    @property
    def phone_number(self) -> str:
        return self.registration.phone_number

    @property
    def route(self) -> Route:
        return self.registration.route

    @property
    def sip_uri(self) -> str:
        return self.registration.sip_uri

    @property
    def mo_prefix(self) -> str:
        return self.registration.mo_prefix

    @property
    def mt_prefix(self) -> str:
        return self.registration.mt_prefix

    def time_to_live(self, now: float) -> float:
        return max(self.expires_at - now, 0.0)


class BreakoutTable:
    """Registrations keyed by (phone number, sip_uri); several URIs per number may coexist."""

    def __init__(self, ttl: float = REGISTRATION_TTL) -> None:
        if not ttl > 0:
            raise ValueError(f"registration ttl must be positive: {ttl}")
        self.ttl = ttl
        self._rows: dict[tuple[str, str], ActiveRegistration] = {}

    def upsert(
        self,
        phone_number: str,
        route: Route | int | str,
        sip_uri: str,
        mo_prefix: str = "",
        mt_prefix: str = "",
        *,
        now: float,
    ) -> ActiveRegistration:
        """Create or replace a registration; it lives :attr:`ttl` seconds from ``now``."""
        try:
            registration = validate_registration(phone_number, route, sip_uri, mo_prefix, mt_prefix)
        except InvalidRegistration as exc:
            raise BreakoutRejected(str(exc)) from None
        key = (registration.phone_number, registration.sip_uri)
        active = ActiveRegistration(registration, now + self.ttl)
        self._rows.pop(key, None)  # re-inserted last: rows stay in order of their last upsert
        self._rows[key] = active
        return active

    def restore(self, rows: Iterable[ActiveRegistration], now: float) -> int:
        """Put back registrations kept across a restart (:mod:`tas.sandbox.breakout_file`),
        with the expiry they had: the lifetime still counts from their last upsert. Lapsed
        rows are skipped; returns how many were restored."""
        restored = 0
        for row in rows:
            if row.expires_at > now:
                key = (row.phone_number, row.sip_uri)
                self._rows.pop(key, None)
                self._rows[key] = row
                restored += 1
        return restored

    def delete(self, phone_number: str, sip_uri: str, *, now: float) -> Registration:
        """Remove the registration of ``sip_uri`` for ``phone_number``; returns what it was."""
        try:
            key = (validate_e164(phone_number), validate_sips_uri(sip_uri))
        except InvalidRegistration as exc:
            raise BreakoutRejected(str(exc)) from None
        self.expire(now)
        active = self._rows.pop(key, None)
        if active is None:
            raise BreakoutNotFound(f"no registration of {key[1]} for {key[0]}")
        return active.registration

    def registrations_for(self, phone_number: str, now: float) -> list[ActiveRegistration]:
        """The live registrations of one number, least recently upserted first."""
        self.expire(now)
        return [row for (number, _), row in self._rows.items() if number == phone_number]

    def find(
        self, phone_number: str, routes: Iterable[Route], now: float
    ) -> list[ActiveRegistration]:
        """The live registrations of one number whose route type is one of ``routes``."""
        wanted = frozenset(routes)
        return [row for row in self.registrations_for(phone_number, now) if row.route in wanted]

    def active(self, now: float) -> list[ActiveRegistration]:
        """Every live registration."""
        self.expire(now)
        return list(self._rows.values())

    def expire(self, now: float) -> list[ActiveRegistration]:
        """Drop the registrations whose lifetime has passed; returns them."""
        lapsed = [row for row in self._rows.values() if row.expires_at <= now]
        for row in lapsed:
            del self._rows[(row.phone_number, row.sip_uri)]
        return lapsed

    def next_expiry(self) -> float | None:
        """When the next registration lapses (None when the table is empty)."""
        return min((row.expires_at for row in self._rows.values()), default=None)
