"""PIN format and scrypt hashing (tas.voicemail.pins)."""

from __future__ import annotations

import pytest

from tas.voicemail.pins import check_pin, hash_pin, is_valid_pin, pin_matches


@pytest.mark.parametrize("pin", ["1234", "00000000", "904512"])
def test_valid_pins(pin: str) -> None:
    assert is_valid_pin(pin) and check_pin(pin) == pin


@pytest.mark.parametrize("pin", ["", "123", "123456789", "12a4", "12 34", "١٢٣٤"])
def test_invalid_pins(pin: str) -> None:
    assert not is_valid_pin(pin)
    with pytest.raises(ValueError, match="4 to 8 digits"):
        check_pin(pin)


def test_hash_is_salted_scrypt_and_matches_only_its_pin() -> None:
    first, second = hash_pin("2580"), hash_pin("2580")
    assert first.startswith("scrypt$14$8$1$") and first != second  # fresh salt each time
    assert "2580" not in first
    assert pin_matches("2580", first) and pin_matches("2580", second)
    assert not pin_matches("2581", first)
    assert not pin_matches("25800", first)


@pytest.mark.parametrize(
    "stored",
    ["", "plain", "md5$1$1$1$AA==$AA==", "scrypt$40$8$1$AA==$AA==", "scrypt$x$8$1$AA==$AA=="],
)
def test_malformed_or_too_costly_hash_never_matches(stored: str) -> None:
    assert not pin_matches("1234", stored)
