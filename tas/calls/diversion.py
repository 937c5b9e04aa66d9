"""Why a leg was diverted to us, read from the INVITE: the voicemail greeting reason, the
mailbox (the diverted-from number) and the RFC 7989 Session-ID. Pure: no I/O.

Sources, first one that says something wins (for the reason and, separately, for the
diverted-from number):

1. the Request-URI (RFC 4458 §3): ``cause`` and ``target`` URI parameters, addressed to the
   voicemail server itself, so the most specific;
2. ``History-Info`` (RFC 7044): the last entry with a ``cause`` (RFC 4458 §3.5 / RFC 7044
   §9.4, or an escaped SIP ``Reason``); the diverted-from user is that entry's parent (its
   ``rc``/``mp``/``np`` index, else its index minus the last level, else the entry before it);
3. ``Diversion`` (RFC 5806 §4, the older header many cores still send): the top-most entry
   (the latest diversion), its ``reason`` and its address;
4. a ``Reason: SIP;cause=…`` header (RFC 3326), reason only;
5. otherwise ``default``: a FALLBACK leg that says nothing about why gets the default greeting.

Causes (RFC 4458 §3.5 / SIP status) → reason: 486, 600 busy; 408 (no reply), 487 (deflection
during alerting) no-answer; 302 unconditional; 404, 410, 480, 503 unavailable. Diversion
reasons (RFC 5806 §4): ``user-busy`` busy; ``no-answer`` no-answer; ``unconditional``
unconditional; ``unavailable``, ``out-of-service``, ``time-of-day``, ``do-not-disturb``,
``deflection``, ``away`` unavailable. Malformed headers are skipped (the next source decides).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tas.calls.routing import e164_of, uri_user
from tas.sip.errors import ParseError
from tas.sip.grammar import split_list
from tas.sip.headers import parse_address
from tas.sip.history_info import HistoryEntry, parse_history_info
from tas.sip.message import Request
from tas.sip.reason import parse_reason
from tas.sip.uri import SipURI, parse_uri
from tas.voicemail.models import Reason

__all__ = [
    "Diverted",
    "DiversionSource",
    "reason_for_cause",
    "session_id_of",
    "voicemail_reason",
    "why_diverted",
]

_CAUSES = {
    486: Reason.BUSY,
    600: Reason.BUSY,
    408: Reason.NO_ANSWER,
    487: Reason.NO_ANSWER,
    302: Reason.UNCONDITIONAL,
    404: Reason.UNAVAILABLE,
    410: Reason.UNAVAILABLE,
    480: Reason.UNAVAILABLE,
    503: Reason.UNAVAILABLE,
}
_WORDS = {
    "user-busy": Reason.BUSY,
    "no-answer": Reason.NO_ANSWER,
    "unconditional": Reason.UNCONDITIONAL,
    **dict.fromkeys(
        ("unavailable", "out-of-service", "time-of-day", "do-not-disturb", "deflection", "away"),
        Reason.UNAVAILABLE,
    ),
}


class DiversionSource(StrEnum):
    """Which part of the INVITE said why (the order of the module docstring)."""

    REQUEST_URI = "request-uri"
    HISTORY_INFO = "history-info"
    DIVERSION = "diversion"
    REASON = "reason"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Diverted:
    """Why the leg came and for whom: ``reason`` from ``source``; ``diverted_from`` is the
    E.164 number the call was first meant for (the mailbox), None when nothing names one."""

    reason: Reason
    source: DiversionSource
    diverted_from: str | None = None


def reason_for_cause(cause: int) -> Reason | None:
    """RFC 4458 cause / SIP status -> greeting reason; None when it says nothing."""
    return _CAUSES.get(cause)


def why_diverted(request: Request) -> Diverted:
    """Reason and diverted-from number of a leg (see the module docstring for the order)."""
    found: list[tuple[DiversionSource, Reason | None, str | None]] = [
        (DiversionSource.REQUEST_URI, *_from_request_uri(request)),
        (DiversionSource.HISTORY_INFO, *_from_history_info(request)),
        (DiversionSource.DIVERSION, *_from_diversion(request)),
        (DiversionSource.REASON, _from_reason_header(request), None),
    ]
    number = next((n for _, _, n in found if n is not None), None)
    for source, reason, _ in found:
        if reason is not None:
            return Diverted(reason, source, number)
    return Diverted(Reason.DEFAULT, DiversionSource.NONE, number)


def voicemail_reason(request: Request) -> Reason:
    """The greeting reason for a leg diverted to voicemail."""
    return why_diverted(request).reason


def _cause_of(text: str | None) -> Reason | None:
    if text is None or not text.isdigit() or not text.isascii() or len(text) != 3:
        return None
    return reason_for_cause(int(text))


def _number_in(uri_text: str) -> str | None:
    """The E.164 number of a ``target`` value (already unescaped by the URI parser): a URI
    or a bare number."""
    text = uri_text
    if ":" not in text:
        return e164_of(text)
    try:
        return e164_of(uri_user(parse_uri(text)))
    except ParseError:
        return None


def _from_request_uri(request: Request) -> tuple[Reason | None, str | None]:
    uri = request.uri
    if not isinstance(uri, SipURI):
        return None, None
    target = uri.params.get("target")
    return _cause_of(uri.params.get("cause")), _number_in(target) if target else None


def _from_history_info(request: Request) -> tuple[Reason | None, str | None]:
    entries: list[HistoryEntry] = []
    for value in request.headers.values("History-Info"):
        try:
            entries += parse_history_info(value)
        except ParseError:
            continue
    for position in range(len(entries) - 1, -1, -1):
        entry = entries[position]
        cause = entry.cause
        reason = reason_for_cause(cause) if cause is not None else None
        if reason is not None:
            return reason, _diverted_from(entries, position)
    return None, None


def _diverted_from(entries: list[HistoryEntry], position: int) -> str | None:
    """The user the entry at ``position`` was retargeted from (RFC 7044 §9.3)."""
    entry = entries[position]
    parent = entry.parent or (entry.index[:-1] if len(entry.index) > 1 else None)
    by_index = {e.index: e for e in entries}
    before = by_index.get(parent) if parent else None
    if before is None and position > 0:
        before = entries[position - 1]
    return e164_of(uri_user(before.address.uri)) if before is not None else None


def _from_diversion(request: Request) -> tuple[Reason | None, str | None]:
    for value in request.headers.values("Diversion"):  # the top-most is the latest (§4)
        try:
            address = parse_address(split_list(value)[0])
        except (ParseError, IndexError):
            continue
        word = address.params.get("reason") or ""
        reason = _WORDS.get(word.strip('"').lower())
        return reason, e164_of(uri_user(address.uri))
    return None, None


def _from_reason_header(request: Request) -> Reason | None:
    for value in request.headers.values("Reason"):
        try:
            reasons = parse_reason(value)
        except ParseError:
            continue
        for item in reasons:
            if item.protocol == "SIP" and item.cause is not None:
                found = reason_for_cause(item.cause)
                if found is not None:
                    return found
    return None


def session_id_of(request: Request) -> str | None:
    """The local UUID of ``Session-ID`` (RFC 7989 §4), lower-case; None when absent/empty."""
    value = request.headers.get("Session-ID")
    if not value:
        return None
    uuid = value.split(";", 1)[0].strip().lower()
    return uuid or None
