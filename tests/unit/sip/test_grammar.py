"""Shared grammar pieces (RFC 3261 §25.1): tokens, quoted strings, lists, parameters."""

from __future__ import annotations

import pytest

from tas.sip.errors import ParseError
from tas.sip.grammar import (
    find_unquoted,
    format_params,
    is_token,
    parse_params,
    quote,
    split_list,
    split_unquoted,
    unquote,
)


def test_tokens() -> None:
    assert is_token("z9hG4bK-.!%*_+`'~") and not is_token("a b") and not is_token("")


def test_quote_unquote_round_trip() -> None:
    for text in ["plain", 'with "quotes"', "back\\slash", ""]:
        assert unquote(quote(text)) == text
    assert unquote(r'"a\"b\\c"') == 'a"b\\c'


@pytest.mark.parametrize("text", ['"open', 'x"', '"a"b"', '"dangling\\"', '"\\\r"', '"'])
def test_bad_quoted_strings(text: str) -> None:
    with pytest.raises(ParseError):
        unquote(text)


def test_find_unquoted_skips_quotes_and_angle_brackets() -> None:
    text = '"a,b" <sip:x;y>, c'
    assert find_unquoted(text, ",") == 15
    assert find_unquoted(text, ";") == -1
    assert find_unquoted("plain;x", ";") == 5
    with pytest.raises(ParseError):
        find_unquoted('"never ends, ', ",")


def test_split_list() -> None:
    assert split_list(" a , b,c ") == ["a", "b", "c"]
    assert split_list('"x, y" <sip:a>, <sip:b,c>') == ['"x, y" <sip:a>', "<sip:b,c>"]
    assert split_list("") == [] and split_list("  ") == []
    with pytest.raises(ParseError):
        split_list("a,,b")


def test_parse_params() -> None:
    assert parse_params("") == {}
    assert parse_params(";A=1;b;c=[::1]") == {"a": "1", "b": None, "c": "[::1]"}
    assert parse_params(' ; x = "q;v" ; y') == {"x": '"q;v"', "y": None}
    assert format_params({"a": "1", "b": None}) == ";a=1;b"
    for bad in ("x=1", ";", ";a=", ";a b=1", ';a="unterminated', ";a=b c"):
        with pytest.raises(ParseError):
            parse_params(bad)


def test_split_unquoted_single_pass() -> None:
    assert split_unquoted('a;"b;c";<d;e>;f', ";") == ["a", '"b;c"', "<d;e>", "f"]
    assert split_unquoted("a;b", ";") == ["a", "b"]
    many = ";x" * 20000  # linear, not one scan per separator
    assert len(parse_params(many + ';y="q"')) == 2
