"""Registered SIP names (RFC 3261 §7, §21, §27): methods, header names and their compact forms
(§7.3.3), list headers (§7.3.1) and reason phrases (§21)."""

from __future__ import annotations

__all__ = [
    "SIP_VERSION",
    "KNOWN_METHODS",
    "COMPACT",
    "LIST_HEADERS",
    "REASONS",
    "canonical_name",
    "name_key",
]

SIP_VERSION = "SIP/2.0"

#: Methods of RFC 3261 and its registered extensions (RFC 3262, 3265, 3311, 3428, 3515, 3903,
#: 6086); anything else is an extension method we do not know (501, §8.2.1).
KNOWN_METHODS = frozenset(
    {
        "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "SUBSCRIBE",
        "NOTIFY", "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE",
    }
)  # fmt: skip

#: Compact forms (§7.3.3, plus registered ones from later RFCs).
COMPACT = {
    "i": "Call-ID", "m": "Contact", "e": "Content-Encoding", "l": "Content-Length",
    "c": "Content-Type", "f": "From", "s": "Subject", "k": "Supported", "t": "To", "v": "Via",
    "o": "Event", "r": "Refer-To", "b": "Referred-By", "u": "Allow-Events",
    "x": "Session-Expires", "y": "Identity", "a": "Accept-Contact", "j": "Reject-Contact",
    "d": "Request-Disposition", "n": "Identity-Info",
}  # fmt: skip

_KNOWN = [
    "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Allow-Events",
    "Authentication-Info", "Authorization", "Call-ID", "Call-Info", "Contact",
    "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length",
    "Content-Type", "CSeq", "Date", "Error-Info", "Event", "Expires", "From", "History-Info",
    "In-Reply-To", "Max-Forwards", "Min-Expires", "MIME-Version", "Organization",
    "P-Asserted-Identity", "P-Called-Party-ID", "Priority", "Proxy-Authenticate",
    "Proxy-Authorization", "Proxy-Require", "Reason", "Record-Route", "Refer-To", "Referred-By",
    "Reply-To", "Require", "Retry-After", "Route", "RSeq", "RAck", "Server", "Session-Expires",
    "Session-ID", "Subject", "Subscription-State", "Supported", "Timestamp", "To",
    "Unsupported", "User-Agent", "Via", "Warning", "WWW-Authenticate",
]  # fmt: skip
_CANONICAL = {name.lower(): name for name in _KNOWN}
_CANONICAL.update({short: long for short, long in COMPACT.items()})

#: Headers whose value is a comma-separated list that may be split across lines (§7.3.1).
LIST_HEADERS = frozenset(
    name.lower()
    for name in (
        "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Allow-Events",
        "Call-Info", "Contact", "Content-Encoding", "Content-Language", "Error-Info",
        "History-Info", "In-Reply-To", "P-Asserted-Identity", "Proxy-Require", "Reason",
        "Record-Route", "Require", "Route", "Supported", "Unsupported", "Via", "Warning",
        "Path", "Service-Route",
    )
)  # fmt: skip

REASONS = {
    100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued",
    183: "Session Progress", 199: "Early Dialog Terminated", 200: "OK", 202: "Accepted",
    204: "No Notification", 300: "Multiple Choices", 301: "Moved Permanently",
    302: "Moved Temporarily", 305: "Use Proxy", 380: "Alternative Service", 400: "Bad Request",
    401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 406: "Not Acceptable", 407: "Proxy Authentication Required",
    408: "Request Timeout", 410: "Gone", 413: "Request Entity Too Large",
    414: "Request-URI Too Long", 415: "Unsupported Media Type", 416: "Unsupported URI Scheme",
    420: "Bad Extension", 421: "Extension Required", 423: "Interval Too Brief",
    480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist",
    482: "Loop Detected", 483: "Too Many Hops", 484: "Address Incomplete", 485: "Ambiguous",
    486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here",
    491: "Request Pending", 493: "Undecipherable", 500: "Server Internal Error",
    501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Server Time-out", 505: "Version Not Supported", 513: "Message Too Large",
    600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
}  # fmt: skip


#: raw name -> (lower-case key, canonical spelling); filled as names are seen, bounded.
_NAME_CACHE: dict[str, tuple[str, str]] = {}
_NAME_CACHE_MAX = 2048


def canonical_name(name: str) -> str:
    """Canonical spelling of a header name; compact forms expand (§7.3.3)."""
    return _CANONICAL.get(name.lower(), name)


def name_key(name: str) -> tuple[str, str]:
    """``(key, canonical)`` for a header name: the case-folded lookup key and its spelling."""
    hit = _NAME_CACHE.get(name)
    if hit is not None:
        return hit
    canonical = _CANONICAL.get(name.lower(), name)
    hit = (canonical.lower(), canonical)
    if len(_NAME_CACHE) < _NAME_CACHE_MAX:
        _NAME_CACHE[name] = hit
    return hit
