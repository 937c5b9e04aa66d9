"""Why a leg was diverted to us, read from the INVITE: the voicemail greeting reason and the
RFC 7989 Session-ID. Pure: no I/O.

The reason rule, first match wins:

1. the Request-URI ``cause`` parameter (RFC 4458 §3.5): ``486`` busy; ``408`` (no reply),
   ``480``, ``503`` (not reachable) unavailable;
2. the ``Diversion`` header's ``reason`` (RFC 5806 §4): ``user-busy`` busy; ``no-answer``,
   ``unavailable``, ``out-of-service``, ``time-of-day``, ``do-not-disturb`` unavailable;
3. a ``cause=`` inside a ``History-Info`` entry (RFC 7044 §4.2, RFC 4458 values), last one wins;
4. a ``Reason: SIP;cause=486`` header (RFC 3326) the same way;
5. otherwise ``default``: a FALLBACK leg that says nothing about why gets the default greeting.
"""

from __future__ import annotations

import re

from tas.sip.message import Request
from tas.sip.uri import SipURI
from tas.voicemail.models import Reason

__all__ = ["voicemail_reason", "session_id_of", "reason_for_cause"]

_BUSY_CAUSES = frozenset({486, 600})
_UNAVAILABLE_CAUSES = frozenset({408, 480, 503})
_BUSY_WORDS = frozenset({"user-busy"})
_UNAVAILABLE_WORDS = frozenset(
    {"no-answer", "unavailable", "out-of-service", "time-of-day", "do-not-disturb"}
)
_CAUSE = re.compile(r"cause=(\d{3})", re.IGNORECASE)
_DIVERSION_REASON = re.compile(r";\s*reason\s*=\s*\"?([A-Za-z-]+)", re.IGNORECASE)


def reason_for_cause(cause: int) -> Reason | None:
    """RFC 4458 / SIP status -> greeting reason; None when it says nothing."""
    if cause in _BUSY_CAUSES:
        return Reason.BUSY
    if cause in _UNAVAILABLE_CAUSES:
        return Reason.UNAVAILABLE
    return None


def _from_word(word: str) -> Reason | None:
    word = word.lower()
    if word in _BUSY_WORDS:
        return Reason.BUSY
    if word in _UNAVAILABLE_WORDS:
        return Reason.UNAVAILABLE
    return None


def voicemail_reason(request: Request) -> Reason:
    """The greeting reason for a leg diverted to voicemail (see the module docstring)."""
    uri = request.uri
    if isinstance(uri, SipURI):
        cause = uri.params.get("cause")
        if cause and cause.isdigit() and (found := reason_for_cause(int(cause))) is not None:
            return found
    for value in request.headers.values("Diversion"):
        match = _DIVERSION_REASON.search(value)
        if match and (found := _from_word(match.group(1))) is not None:
            return found
    for name in ("History-Info", "Reason"):
        codes = [int(c) for v in request.headers.values(name) for c in _CAUSE.findall(v)]
        for code in reversed(codes):
            if (found := reason_for_cause(code)) is not None:
                return found
    return Reason.DEFAULT


def session_id_of(request: Request) -> str | None:
    """The local UUID of ``Session-ID`` (RFC 7989 §4), lower-case; None when absent/empty."""
    value = request.headers.get("Session-ID")
    if not value:
        return None
    uuid = value.split(";", 1)[0].strip().lower()
    return uuid or None
