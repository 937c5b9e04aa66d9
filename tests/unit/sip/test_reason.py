"""The Reason header parser (RFC 3326 §2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tas.sip.errors import ParseError
from tas.sip.reason import ANSWERED_ELSEWHERE, ReasonValue, parse_reason, q850


def test_rfc3326_examples() -> None:
    assert parse_reason('SIP ;cause=200 ;text="Call completed elsewhere"') == [
        ReasonValue("SIP", 200, "Call completed elsewhere")
    ]
    assert parse_reason('Q.850 ;cause=16 ;text="Terminated"') == [q850(16, "Terminated")]
    both = parse_reason('SIP;cause=580;text="Precondition Failure", q.850;cause=41')
    assert [(r.protocol, r.cause) for r in both] == [("SIP", 580), ("Q.850", 41)]


def test_answered_elsewhere_round_trip() -> None:
    text = str(ANSWERED_ELSEWHERE)
    assert text == 'SIP;cause=200;text="Call completed elsewhere"'
    (value,) = parse_reason(text)
    assert value == ANSWERED_ELSEWHERE and value.answered_elsewhere
    assert not parse_reason("SIP;cause=487")[0].answered_elsewhere
    assert not parse_reason("Q.850;cause=200")[0].answered_elsewhere


def test_extensions_kept_and_text_with_separators() -> None:
    (value,) = parse_reason('SIP;cause=200;text="a, b; c";foo=bar')
    assert value.text == "a, b; c" and value.params == {"foo": "bar"}
    assert parse_reason(str(value)) == [value]


@pytest.mark.parametrize(
    "bad", ["", "SIP;cause=abc", "S I P;cause=1", 'SIP;text="open', "SIP;cause=1234567890", "a,,b"]
)
def test_malformed(bad: str) -> None:
    with pytest.raises(ParseError):
        parse_reason(bad)


@given(st.text(max_size=200))
def test_any_text_gives_reasons_or_a_parse_error(text: str) -> None:
    try:
        values = parse_reason(text)
    except ParseError:
        return
    assert values
    for value in values:  # what we accepted we accept again, unchanged, from its rendering
        assert parse_reason(str(value)) == [value]


@given(
    st.sampled_from(["SIP", "Q.850", "preemption"]),
    st.none() | st.integers(0, 10**9 - 1),
    st.none() | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
)
def test_round_trip(protocol: str, cause: int | None, text: str | None) -> None:
    value = ReasonValue(protocol.upper(), cause, text)
    assert parse_reason(str(value)) == [value]
