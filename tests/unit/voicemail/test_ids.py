"""The voicemail API's identifiers: E.164 mailboxes (the registrations rule) and UUID ids."""

from __future__ import annotations

import uuid

import pytest

from tas.voicemail.errors import InvalidNumber, InvalidVoicemailId
from tas.voicemail.ids import check_number, check_voicemail_id


def test_numbers_follow_the_one_e164_rule() -> None:
    assert check_number("+4799990000") == "+4799990000"
    for bad in ("", "4712345678", "+0123456789", "+47 1234", "+12", "../etc", "+" + "1" * 16):
        with pytest.raises(InvalidNumber, match="not an E.164 number"):
            check_number(bad)


def test_voicemail_ids_are_canonical_uuids() -> None:
    value = uuid.uuid4()
    assert check_voicemail_id(str(value).upper()) == str(value)
    assert check_voicemail_id(value.hex) == str(value)
    for bad in ("", "x", "../" + str(value)):
        with pytest.raises(InvalidVoicemailId, match="not a voicemail id"):
            check_voicemail_id(bad)
