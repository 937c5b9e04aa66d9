"""The desired-state model of one SIP breakout registration (pure: no gRPC, no I/O)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

#: An E.164 number as the operator carries it (``wgtwo.common.v1.E164``, wgtwo-api.md §6):
#: always ``+``, a country code (never starting with 0), then the subscriber number; 7 to 15
#: digits in all (ITU-T E.164 caps a number at 15 digits; the shortest plans, e.g. Niue's
#: ``+683 xxxx``, have 7). The one rule for every number we validate, store or route.
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
E164_MAX_DIGITS = 15
#: An MO/MT prefix: the digits the core puts right after the ``+`` (wgtwo-api.md §3).
PREFIX = re.compile(r"[0-9]{1,15}")
PREFIX_MAX_DIGITS = 15


def is_e164(number: object) -> bool:
    """True for ``+4799990000``; False for anything else (spaces, no ``+``, 16 digits …)."""
    return isinstance(number, str) and E164.fullmatch(number) is not None


class Route(enum.IntEnum):
    """``wgtwo.sipbreakout.v1.RouteType``; the values are the wire numbers."""

    LOOP = 1
    FORK = 2
    FALLBACK = 3
    LOOP_MO = 4
    LOOP_MT = 5
    INGRESS = 6

    @property
    def cli_name(self) -> str:
        """``loop-mo`` for LOOP_MO: the spelling of ``tas register --route`` and sync files."""
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_cli_name(cls, name: str) -> Route:
        """Inverse of :attr:`cli_name` (case-insensitive, ``_`` accepted for ``-``)."""
        return cls[name.strip().upper().replace("-", "_")]


class Direction(enum.Enum):
    """Why a call meets a registration: which prefix the core puts after the ``+``."""

    MO = "mobile-originating"  # the registered subscriber is the caller (mobile_originating_prefix)
    MT = "mobile-terminating"  # the registered subscriber is the callee (mobile_terminating_prefix)


#: ``--route`` choices in wire order.
ROUTE_NAMES: tuple[str, ...] = tuple(r.cli_name for r in Route)


@dataclass(frozen=True, slots=True)
class Registration:
    """One MSISDN routed to our TAS: what ``UpsertRegistration`` sends.

    Build it with :func:`registrations.validation.validate_registration`, which checks and
    normalises every field.
    """

    phone_number: str  # E.164, "+4799990000"
    route: Route
    sip_uri: str  # "sips:host" or "sips:host:port"
    mo_prefix: str = ""  # digits put after "+" when the caller holds the registration
    mt_prefix: str = ""  # digits put after "+" when only the callee holds it

    def as_dict(self) -> dict[str, str]:
        """JSON/TOML form (route by CLI name)."""
        return {
            "number": self.phone_number,
            "route": self.route.cli_name,
            "uri": self.sip_uri,
            "mo_prefix": self.mo_prefix,
            "mt_prefix": self.mt_prefix,
        }
