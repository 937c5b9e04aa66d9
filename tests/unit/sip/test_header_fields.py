"""Headers: the ordered, case-insensitive header list of a message (RFC 3261 §7.3)."""

from __future__ import annotations

from tas.sip.header_fields import Headers


def test_headers_case_insensitive_and_compact_names() -> None:
    headers = Headers([("v", "SIP/2.0/UDP a"), ("VIA", "SIP/2.0/UDP b"), ("i", "x@y")])
    assert headers.fields("Via") == ["SIP/2.0/UDP a", "SIP/2.0/UDP b"]
    assert headers.get("call-id") == "x@y" and headers.get("I") == "x@y"
    assert list(headers) == [("Via", "SIP/2.0/UDP a"), ("Via", "SIP/2.0/UDP b"), ("Call-ID", "x@y")]
    assert "via" in headers and "Route" not in headers and 3 not in headers
    assert headers.count("Via") == 2 and len(headers) == 3


def test_headers_mutations_keep_order() -> None:
    headers = Headers([("To", "a"), ("Route", "r1"), ("From", "b"), ("Route", "r2")])
    headers.prepend("Via", "v0")
    headers.add("Route", "r3")
    assert headers.fields("Route") == ["r1", "r2", "r3"]
    headers.set("Route", "only")
    assert list(headers) == [("Via", "v0"), ("To", "a"), ("Route", "only"), ("From", "b")]
    headers.set("Subject", "new")  # absent: appended
    headers.remove("route")
    assert [n for n, _ in headers] == ["Via", "To", "From", "Subject"]
    assert headers.get("Route", "none") == "none" and headers.fields("Route") == []


def test_headers_values_split_list_headers_only() -> None:
    headers = Headers([("Allow", "INVITE, ACK"), ("Allow", "BYE"), ("Subject", "a, b")])
    assert headers.values("Allow") == ["INVITE", "ACK", "BYE"]
    assert headers.values("Subject") == ["a, b"]


def test_headers_version_and_copy() -> None:
    headers = Headers([("To", "a")])
    before = headers.version
    copy = headers.copy()
    headers.add("From", "b")
    assert headers.version != before
    assert copy.fields("From") == [] and copy.version != headers.version
