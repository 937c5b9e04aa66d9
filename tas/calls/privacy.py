"""The caller as the TAS stores and shows it (RFC 3323, RFC 3325 §9.3). Pure: no I/O.

A leg reaches the call application only from a trusted source (the trust gate answers every
other one first), so its ``P-Asserted-Identity`` is the operator's word. When the caller
asked for privacy (:func:`tas.sip.privacy.caller_hidden`: ``Privacy: id``/``header``/``user``
or an anonymous From) the number is still used to decode the leg (an MO call from our own
subscriber) but is never stored: call records, voicemail rows, notifications, the API and
exports see :data:`ANONYMOUS`, as the operator's events show such a caller
(``callerIdHidden``). Callers without a number share the same name.
"""

from __future__ import annotations

from tas.sip.message import Request
from tas.sip.privacy import caller_hidden

__all__ = ["ANONYMOUS", "shown_caller"]

#: How a hidden (or number-less) caller is stored and shown.
ANONYMOUS = "anonymous"


def shown_caller(caller: str | None, request: Request) -> str | None:
    """``caller`` as it may be stored: :data:`ANONYMOUS` when the INVITE hides it."""
    return ANONYMOUS if caller_hidden(request) else caller
