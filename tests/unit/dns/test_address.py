"""``[dns] nameservers`` entries (tas.dns.address)."""

from __future__ import annotations

import pytest

from tas.dns.address import nameserver_address


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("127.0.0.1", ("127.0.0.1", 53)),
        ("::1", ("::1", 53)),
        ("[::1]:5353", ("::1", 5353)),
    ],
)
def test_entries(text: str, expected: tuple[str, int]) -> None:
    assert nameserver_address(text) == expected


@pytest.mark.parametrize("text", ["dns.example.com", "127.0.0.1:0", "127.0.0.1:x", "1.2.3:53"])
def test_bad_entries_say_what_is_wrong(text: str) -> None:
    with pytest.raises(ValueError, match="IP address|port"):
        nameserver_address(text)
