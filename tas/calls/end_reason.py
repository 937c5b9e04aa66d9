"""Why a call ended, both ways (RFC 3326 ``Reason``): read from the peer's CANCEL / BYE into
the call record, and chosen for our own BYE when we hang up on a failure. Pure: no I/O.

* A CANCEL with ``Reason: SIP;cause=200`` (RFC 3326 §2, the losing branch of a fork, e.g. the
  operator's FORK route when the handset answered) is ``answered-elsewhere``, not a caller who
  gave up (``abandoned``).
* Our BYE after a failure (a flow that broke, 500; the server stopping, 503) carries a Q.850
  cause (ITU-T Q.850 §2.2.7: 41 "Temporary failure"); a normal end carries none.
"""

from __future__ import annotations

from tas.sip.errors import ParseError
from tas.sip.message import Request
from tas.sip.reason import ReasonValue, parse_reason, q850

__all__ = ["describe", "failure_reason", "reasons_of"]

_TEMPORARY_FAILURE = q850(41, "Temporary failure")


def reasons_of(request: Request | None) -> list[ReasonValue]:
    """Every well-formed reason-value of the request's ``Reason`` headers ([] when none)."""
    if request is None:
        return []
    found: list[ReasonValue] = []
    for value in request.headers.values("Reason"):
        try:
            found += parse_reason(value)
        except ParseError:
            continue
    return found


def describe(reasons: list[ReasonValue]) -> str:
    """``" (Reason: SIP;cause=200;text=…)"`` for a journal line; "" when there is none."""
    return f" (Reason: {', '.join(str(r) for r in reasons)})" if reasons else ""


def failure_reason(status: int) -> str | None:
    """The Reason of our BYE when we end an answered call instead of answering ``status``:
    a Q.850 cause for a server failure (5xx), None otherwise."""
    return str(_TEMPORARY_FAILURE) if status >= 500 else None
