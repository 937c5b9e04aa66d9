"""The ``History-Info`` header (RFC 7044): the targets a request was retargeted through.

RFC 7044 §10::

    History-Info        = "History-Info" HCOLON hi-entry *(COMMA hi-entry)
    hi-entry            = hi-targeted-to-uri *(SEMI hi-param)
    hi-targeted-to-uri  = name-addr
    hi-param            = hi-index / hi-target-param / hi-extension
    hi-index            = "index" EQUAL hi-index-val
    hi-index-val        = number *("." number)
    hi-target-param     = rc-param / mp-param / np-param
    rc-param            = "rc" EQUAL hi-index-val
    mp-param            = "mp" EQUAL hi-index-val
    np-param            = "np" EQUAL hi-index-val
    hi-extension        = generic-param

Why an entry was retargeted to is in its URI: the ``cause`` URI parameter (RFC 4458 §3.5,
RFC 7044 §4.2 / §9.4 "cause-param") and the ``Reason`` header escaped into the URI (§4.2).
The name-addr itself goes through :func:`~tas.sip.headers.parse_address`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tas.sip.errors import ParseError
from tas.sip.grammar import find_unquoted, split_list
from tas.sip.headers import Address, parse_address
from tas.sip.reason import ReasonValue, parse_reason
from tas.sip.uri import SipURI

__all__ = ["HistoryEntry", "Index", "parse_history_info", "parse_index"]

#: ``1.1.2`` as ``(1, 1, 2)``.
Index = tuple[int, ...]
_MAX_INDEX_DEPTH = 32


def parse_index(text: str) -> Index:
    """hi-index-val (§10): ``number *("." number)``."""
    parts = text.split(".")
    if len(parts) > _MAX_INDEX_DEPTH or not all(p.isdigit() and p.isascii() for p in parts):
        raise ParseError(f"bad History-Info index {text!r}")
    return tuple(int(p) for p in parts)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One hi-entry: the targeted-to address, its ``index`` and its ``rc``/``mp``/``np``
    parent (§10; ``tag`` says which of the three it was, None for none)."""

    address: Address
    index: Index
    parent: Index | None = None
    tag: str | None = None  # "rc", "mp" or "np" (§5.3.1: how this target was reached)

    @property
    def cause(self) -> int | None:
        """The RFC 4458 ``cause`` URI parameter, else the cause of an escaped SIP ``Reason``
        (§4.2); None when neither says."""
        uri = self.address.uri
        if not isinstance(uri, SipURI):
            return None
        cause = uri.params.get("cause")
        if cause is not None and cause.isdigit() and cause.isascii() and len(cause) == 3:
            return int(cause)
        for reason in self.reasons:
            if reason.protocol == "SIP" and reason.cause is not None:
                return reason.cause
        return None

    @property
    def reasons(self) -> list[ReasonValue]:
        """The ``Reason`` header escaped in the hi-targeted-to-uri (§4.2); [] when absent or
        malformed."""
        uri = self.address.uri
        if not isinstance(uri, SipURI):
            return []
        for name, value in uri.headers.items():
            if name.lower() == "reason":
                try:
                    return parse_reason(value)
                except ParseError:
                    return []
        return []


def parse_history_info(value: str) -> list[HistoryEntry]:
    """Every hi-entry of one ``History-Info`` value (§10); ParseError when malformed (an
    addr-spec instead of a name-addr, a missing or bad ``index``)."""
    entries = []
    for item in split_list(value):
        if find_unquoted(item, "<") < 0:
            raise ParseError(f"History-Info entry needs a name-addr: {item!r}")
        address = parse_address(item)
        params = address.params
        index_text = params.get("index")
        if index_text is None:
            raise ParseError(f"History-Info entry without index: {item!r}")
        parent: Index | None = None
        tag: str | None = None
        for name in ("rc", "mp", "np"):
            given = params.get(name)
            if given is not None:
                parent, tag = parse_index(given), name
                break
        entries.append(HistoryEntry(address, parse_index(index_text), parent, tag))
    return entries
