"""Where the sandbox core sends a call: the SIP breakout routing decision (pure).

The operator contract (wgtwo-api.md §3) in one function per entry point:

* :func:`route_call`: a subscriber's call (leg 1). The caller's registration wins when it
  applies (LOOP, LOOP_MO: mobile originating, MO prefix); otherwise the callee's (LOOP,
  LOOP_MT: loop; FORK: handset and TAS at once; FALLBACK: handset, TAS on busy / no answer;
  all with the MT prefix). One TAS visit per call: a call both parties registered goes to the
  caller's TAS only, as the contract's prefix table has it. FORK and FALLBACK concern calls
  *to* the number; INGRESS does not touch subscriber calls.
* :func:`route_from_tas`: a call the TAS places through the core that is no leg 3: allowed to
  a number registered with INGRESS, refused with 403 otherwise.

The TAS's Request-URI number carries the prefix right after the ``+``
(:func:`insert_prefix`, ``+47112334455`` with ``00`` -> ``+0047112334455``). When several
registrations of one number apply, the most recently upserted one is used.

Also here: RFC 7989 Session-ID values, the Diversion (RFC 5806) and History-Info (RFC 7044,
RFC 4458 cause) headers of a fallback, and the status relayed to the caller when every leg
failed (RFC 3261 §16.7 step 6, simplified).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from registrations.model import Direction, Registration, Route

__all__ = [
    "NULL_UUID",
    "Direction",
    "Plan",
    "Refusal",
    "Strategy",
    "best_failure",
    "diversion_headers",
    "fallback_reason",
    "format_session_id",
    "insert_prefix",
    "parse_session_id",
    "route_call",
    "route_from_tas",
    "strip_prefix",
]

NULL_UUID = "0" * 32  # RFC 7989 §6: the remote UUID before the peer has sent its own

_UUID = re.compile(r"[0-9a-f]{32}")
_LOOPS_MO = frozenset({Route.LOOP, Route.LOOP_MO})
_LOOPS_MT = frozenset({Route.LOOP, Route.LOOP_MT})
_TAS_MT = _LOOPS_MT | {Route.FORK, Route.FALLBACK}


class Strategy(enum.Enum):
    """How the core places the outgoing legs of one call."""

    DIRECT = "direct"  # handset only (no registration applies)
    LOOP = "loop"  # TAS first; the handset only when the TAS sends the call back (leg 3)
    FORK = "fork"  # handset and TAS at once; the first 2xx wins
    FALLBACK = "fallback"  # handset; the TAS when it is busy or does not answer
    INGRESS = "ingress"  # a call from the TAS to a registered number: handset only


@dataclass(frozen=True, slots=True)
class Plan:
    """The routing decision for one call."""

    strategy: Strategy
    caller: str | None  # E.164, None when hidden or not a number
    callee: str  # E.164 of the number called
    registration: Registration | None = None  # the registration that routes to the TAS
    direction: Direction = Direction.MT

    @property
    def owner(self) -> str:
        """The subscriber the call's events belong to."""
        if self.direction is Direction.MO and self.caller is not None:
            return self.caller
        return self.callee

    @property
    def prefix(self) -> str:
        """The registration's MO or MT prefix for this call ('' without one)."""
        reg = self.registration
        if reg is None:
            return ""
        return reg.mo_prefix if self.direction is Direction.MO else reg.mt_prefix

    @property
    def tas_number(self) -> str:
        """The Request-URI number of the INVITE to the TAS (prefix after the ``+``)."""
        return insert_prefix(self.callee, self.prefix)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A call the core does not route: answer ``status`` with ``reason``."""

    status: int
    reason: str


def insert_prefix(number: str, prefix: str) -> str:
    """``+47112334455`` with ``00`` -> ``+0047112334455`` (wgtwo-api.md §3 "Prefixes")."""
    if not number.startswith("+"):
        raise ValueError(f"not an E.164 number: {number!r}")
    return f"+{prefix}{number[1:]}"


def strip_prefix(number: str, prefix: str, original: str) -> str:
    """``number`` without ``prefix`` when it is exactly ``original`` prefixed, else as is."""
    return original if prefix and number == insert_prefix(original, prefix) else number


def _latest(registrations: Sequence[Registration], routes: frozenset[Route]) -> Registration | None:
    """The most recently upserted registration whose route is in ``routes`` (lists come
    least recently upserted first, as the breakout table keeps them)."""
    for reg in reversed(registrations):
        if reg.route in routes:
            return reg
    return None


def route_call(
    caller: str | None,
    callee: str,
    caller_registrations: Iterable[Registration],
    callee_registrations: Iterable[Registration],
) -> Plan:
    """Route a subscriber's call (leg 1) by the registrations of both parties."""
    mo = _latest(list(caller_registrations), _LOOPS_MO) if caller is not None else None
    if mo is not None:
        return Plan(Strategy.LOOP, caller, callee, mo, Direction.MO)
    mt = _latest(list(callee_registrations), _TAS_MT)
    if mt is None:
        return Plan(Strategy.DIRECT, caller, callee)
    strategy = {Route.FORK: Strategy.FORK, Route.FALLBACK: Strategy.FALLBACK}.get(
        mt.route, Strategy.LOOP
    )
    return Plan(strategy, caller, callee, mt, Direction.MT)


def route_from_tas(
    caller: str | None, callee: str, callee_registrations: Iterable[Registration]
) -> Plan | Refusal:
    """A call placed by the TAS (not a leg 3): INGRESS numbers only (403 otherwise)."""
    reg = _latest(list(callee_registrations), frozenset({Route.INGRESS}))
    if reg is None:
        return Refusal(403, f"{callee} has no INGRESS registration")
    return Plan(Strategy.INGRESS, caller, callee, reg, Direction.MT)


def fallback_reason(status: int | None) -> str | None:
    """The RFC 5806 Diversion reason when a FALLBACK handset leg ended with ``status``
    (None: the no-answer timer fired); None when the failure does not divert."""
    if status is None or status in (408, 480):
        return "no-answer"
    if status in (486, 600):
        return "user-busy"
    return None


#: RFC 4458 §3.5 cause of each RFC 5806 reason the core diverts with.
_CAUSES = {"user-busy": 486, "no-answer": 408}


def diversion_headers(
    reason: str, callee: str, host: str, tas_uri: str, kinds: Iterable[str]
) -> dict[str, str]:
    """Why a FALLBACK leg goes to the TAS at ``tas_uri``: ``Diversion`` (RFC 5806 §4) and/or
    ``History-Info`` (RFC 7044 §4: the handset's entry, then the TAS's with the RFC 4458
    ``cause`` and ``mp`` naming the entry it was diverted from), as ``kinds`` asks
    (``"diversion"``, ``"history-info"``)."""
    headers: dict[str, str] = {}
    kinds = set(kinds)
    if "diversion" in kinds:
        headers["Diversion"] = f"<sip:{callee}@{host}>;reason={reason};counter=1"
    if "history-info" in kinds:
        cause = _CAUSES.get(reason, 480)
        headers["History-Info"] = (
            f"<sip:{callee}@{host}>;index=1, <{tas_uri};cause={cause}>;index=1.1;mp=1"
        )
    return headers


def best_failure(statuses: Iterable[int]) -> int:
    """The final status for the caller when every leg failed: a 6xx wins, then the lowest
    class, 487 (our own CANCEL) only when nothing else came (§16.7 step 6, simplified)."""
    seen = [s for s in statuses if s >= 300]
    if not seen:
        return 480
    global_failures = [s for s in seen if s >= 600]
    if global_failures:
        return global_failures[0]
    real = [s for s in seen if s != 487] or seen
    return min(real, key=lambda s: (s // 100, s == 408 or s == 503))


def format_session_id(local: str, remote: str = NULL_UUID) -> str:
    """``Session-ID`` header value (RFC 7989 §4): ``<local-uuid>;remote=<remote-uuid>``."""
    return f"{local};remote={remote}"


def parse_session_id(value: str | None) -> tuple[str, str] | None:
    """(local, remote) UUIDs of a ``Session-ID`` value, lower-cased; None when malformed.

    A missing ``remote`` parameter (RFC 7329 form) reads as the null UUID.
    """
    if not value:
        return None
    local, *params = (part.strip() for part in value.split(";"))
    local = local.lower()
    if not _UUID.fullmatch(local):
        return None
    remote = NULL_UUID
    for param in params:
        name, _, val = param.partition("=")
        if name.strip().lower() == "remote":
            remote = val.strip().lower()
            if not _UUID.fullmatch(remote):
                return None
    return local, remote
