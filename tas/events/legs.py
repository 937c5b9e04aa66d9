"""The operator's leg numbers (wgtwo-api.md "Route-type semantics", the proto's diagrams) of a
SIP leg the TAS handled, so timelines say "leg 2" where the operator's docs do, and never call
our record ids legs.

| | Loop (LOOP, LOOP_MO, LOOP_MT) | Fork / Fallback |
|---|---|---|
| leg 1 | caller → core | caller → core |
| leg 2 | core → TAS | core → callee |
| leg 3 | TAS → core | core → TAS |
| leg 4 | core → callee | (none) |
"""

from __future__ import annotations

__all__ = ["OperatorLeg", "operator_leg"]

from dataclasses import dataclass

_LOOPS = frozenset(("loop", "loop-mo", "loop-mt"))


@dataclass(frozen=True, slots=True)
class OperatorLeg:
    number: int
    path: str  # "core → TAS"

    def __str__(self) -> str:
        return f"operator leg {self.number}: {self.path}"


def operator_leg(route: str | None, direction: str) -> OperatorLeg | None:
    """The leg number of a TAS leg: ``route`` in kebab case, ``direction`` ``in`` (reached the
    TAS) or ``out`` (placed by it). None where the diagrams have no such leg (ingress, a call
    the TAS places on a fork/fallback, an unknown route)."""
    if route in _LOOPS:
        return OperatorLeg(2, "core → TAS") if direction == "in" else OperatorLeg(3, "TAS → core")
    if route in ("fork", "fallback") and direction == "in":
        return OperatorLeg(3, "core → TAS")
    return None
