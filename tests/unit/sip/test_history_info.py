"""The History-Info parser (RFC 7044 §10) and the cause of an entry (RFC 4458 §3.5)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tas.sip.errors import ParseError
from tas.sip.history_info import parse_history_info, parse_index
from tas.sip.uri import SipURI


def test_rfc7044_entries_with_index_and_parents() -> None:
    entries = parse_history_info(
        '"Bob" <sip:bob@example.com>;index=1, <sip:bob@192.0.2.4;cause=486>;index=1.1;rc=1,'
        " <sip:vm@example.com;target=sip:bob%40example.com;cause=486>;index=1.2;mp=1"
    )
    assert [e.index for e in entries] == [(1,), (1, 1), (1, 2)]
    assert [(e.parent, e.tag) for e in entries] == [(None, None), ((1,), "rc"), ((1,), "mp")]
    assert entries[0].address.display_name == "Bob"
    assert [e.cause for e in entries] == [None, 486, 486]
    vm = entries[2].address.uri
    assert isinstance(vm, SipURI) and vm.params["target"] == "sip:bob@example.com"


def test_cause_from_an_escaped_reason() -> None:
    (entry,) = parse_history_info("<sip:+1@core?Reason=SIP%3Bcause%3D408>;index=1.1")
    assert entry.cause == 408
    assert [str(r) for r in entry.reasons] == ["SIP;cause=408"]
    (garbled,) = parse_history_info("<sip:+1@core?Reason=SIP%3Bcause%3Dx>;index=1")
    assert garbled.cause is None and garbled.reasons == []


@pytest.mark.parametrize(
    "bad",
    [
        "sip:bob@example.com;index=1",  # hi-targeted-to-uri is a name-addr
        "<sip:bob@example.com>",  # no index
        "<sip:bob@example.com>;index=1..2",
        "<sip:bob@example.com>;index=1;mp=x",
        "<sip:bob@example.com>;index=1,,<sip:a@b>;index=2",
    ],
)
def test_malformed(bad: str) -> None:
    with pytest.raises(ParseError):
        parse_history_info(bad)


def test_index_depth_is_bounded() -> None:
    assert parse_index("1.2.3") == (1, 2, 3)
    with pytest.raises(ParseError):
        parse_index(".".join(["1"] * 33))


@given(st.text(max_size=300))
def test_any_text_gives_entries_or_a_parse_error(text: str) -> None:
    try:
        entries = parse_history_info(text)
    except ParseError:
        return
    for entry in entries:  # the derived views never raise
        _ = (entry.cause, entry.reasons, entry.parent, entry.index)
