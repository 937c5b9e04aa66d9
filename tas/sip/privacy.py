"""The ``Privacy`` header (RFC 3323 §4.2) and what it asks of an application server.

RFC 3323 §4.2::

    Privacy-hdr  =  "Privacy" HCOLON priv-value *(";" priv-value)
    priv-value   =   "header" / "session" / "user" / "none" / "critical" / "id" / token

``id`` (RFC 3325 §9.3) asks that the asserted identity not be shown beyond the trust domain;
``header`` and ``user`` (RFC 3323 §4.2) ask that identifying headers / the user's name be
withheld. Any of the three hides the caller's number. An anonymous From (RFC 3323 §4.1.1.3,
``sip:anonymous@anonymous.invalid``) says the same.
"""

from __future__ import annotations

from tas.sip.errors import ParseError
from tas.sip.grammar import is_token
from tas.sip.message import Request
from tas.sip.uri import SipURI

__all__ = ["HIDING", "caller_hidden", "parse_privacy"]

#: priv-values that keep the caller's number from being shown.
HIDING = frozenset({"id", "header", "user"})


def parse_privacy(value: str) -> frozenset[str]:
    """The priv-values of one ``Privacy`` value, lower-cased (§4.2); ParseError when one is
    not a token."""
    values = [v.strip(" \t").lower() for v in value.split(";")]
    if not all(is_token(v) for v in values):
        raise ParseError(f"bad Privacy value {value!r}")
    return frozenset(values)


def caller_hidden(request: Request) -> bool:
    """The caller asked to stay hidden: a hiding priv-value in any ``Privacy`` header, or an
    anonymous From. A malformed ``Privacy`` hides too (we cannot tell what it asked)."""
    for value in request.headers.values("Privacy"):
        try:
            if parse_privacy(value) & HIDING:
                return True
        except ParseError:
            return True
    uri = request.from_.uri
    return isinstance(uri, SipURI) and (uri.user or "").lower() == "anonymous"
