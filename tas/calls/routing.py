"""Why did this leg reach us? Decoding the Request-URI of a SIP breakout leg.

The operator core inserts a prefix right after the ``+`` of the Request-URI number to tell the
TAS which registration brought the call (wgtwo-api.md §3 "Prefixes"):

=====================  =====================  ============================
caller registered      callee registered      prefix used
=====================  =====================  ============================
yes                    yes / no               ``mobile_originating_prefix``
no                     yes                    ``mobile_terminating_prefix``
=====================  =====================  ============================

``sip:+0047112334455@…`` with MO prefix ``00`` therefore means: a call *from* our registered
subscriber *to* ``+47112334455``. Without prefixes the direction is inferred from which side
is registered with us. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from registrations.model import (
    E164_MAX_DIGITS,
    PREFIX_MAX_DIGITS,
    Direction,
    Registration,
    Route,
    is_e164,
)
from tas.sip.errors import SipError
from tas.sip.headers import parse_address_list
from tas.sip.uri import SipURI

__all__ = ["Direction", "LegInfo", "decode_leg", "dialled_of", "e164_of", "uri_user", "user_of"]


@dataclass(frozen=True, slots=True)
class LegInfo:
    """The decoded meaning of an incoming leg."""

    registration: Registration
    direction: Direction
    caller: str | None  # E.164 when the From/PAI user is a number
    callee: str  # E.164 target with any prefix removed
    prefix: str  # the prefix found in the Request-URI ('' when none)

    @property
    def subscriber(self) -> str:
        """Our registered number on this leg."""
        return self.registration.phone_number

    @property
    def route(self) -> Route:
        return self.registration.route


def _plus_digits(user: str | None) -> str | None:
    """``+4712345678`` from ``+47 1234-5678`` (visual separators dropped); None without ``+``."""
    if not user:
        return None
    digits = "".join(ch for ch in user if ch not in " -.()")
    return digits if digits.startswith("+") and digits[1:].isdigit() else None


def e164_of(user: str | None) -> str | None:
    """The E.164 number (:func:`registrations.model.is_e164`) a URI user part such as
    ``+47 1234-5678`` spells; None if it spells none."""
    digits = _plus_digits(user)
    return digits if digits is not None and is_e164(digits) else None


def dialled_of(user: str | None) -> str | None:
    """A Request-URI number as the core sends it: an E.164 number, possibly with an MO/MT
    prefix right after the ``+`` (``+0047112334455``), so not always E.164 itself."""
    digits = _plus_digits(user)
    if digits is None or len(digits) > 1 + E164_MAX_DIGITS + PREFIX_MAX_DIGITS:
        return None
    return digits


def decode_leg(
    request_user: str | None,
    caller_user: str | None,
    registrations: Iterable[Registration],
) -> LegInfo | None:
    """Decode a leg from the Request-URI user and the caller's user part.

    Prefixes are matched longest first so ``1`` and ``11`` can coexist. Returns None when the
    leg does not belong to any of our registrations.
    """
    target = dialled_of(request_user)
    caller = e164_of(caller_user)
    if target is None:
        return None
    regs = list(registrations)
    by_number = {r.phone_number: r for r in regs}
    body = target[1:]
    candidates: list[tuple[int, LegInfo]] = []
    for reg in regs:
        # MO: the caller is registered; the Request-URI is the callee, MO-prefixed.
        if caller == reg.phone_number and body.startswith(reg.mo_prefix):
            callee = "+" + body[len(reg.mo_prefix) :]
            if len(callee) > 2:
                info = LegInfo(reg, Direction.MO, caller, callee, reg.mo_prefix)
                candidates.append((len(reg.mo_prefix) * 2 + 1, info))
        # MT: the callee is registered; the Request-URI is its number, MT-prefixed.
        if reg.mt_prefix and body.startswith(reg.mt_prefix):
            if "+" + body[len(reg.mt_prefix) :] == reg.phone_number:
                info = LegInfo(reg, Direction.MT, caller, reg.phone_number, reg.mt_prefix)
                candidates.append((len(reg.mt_prefix) * 2 + 1, info))
    if not candidates and target in by_number:
        candidates.append((0, LegInfo(by_number[target], Direction.MT, caller, target, "")))
    if not candidates:
        return None
    # Longest prefix wins; MO wins ties (the contract uses the MO prefix when both are ours).
    candidates.sort(key=lambda c: (c[0], c[1].direction is Direction.MO), reverse=True)
    return candidates[0][1]


def uri_user(uri: object) -> str | None:
    """The user part of a ``sip:``/``sips:`` URI, the number of a ``tel:`` URI, else None."""
    return uri.user if isinstance(uri, SipURI) else getattr(uri, "number", None)


def user_of(header: str | None) -> str | None:
    """The user part of the first ``P-Asserted-Identity`` address (RFC 3325 §9.1), if it is a
    sip/tel URI; None when the header is absent or does not parse."""
    if not header:
        return None
    try:
        addresses = parse_address_list(header)
    except SipError:
        return None
    return uri_user(addresses[0].uri) if addresses else None
