"""Validation of the two identifiers the voicemail API takes: E.164 numbers and UUID ids."""

from __future__ import annotations

import re
import uuid

from tas.voicemail.errors import InvalidNumber, InvalidVoicemailId

__all__ = ["check_number", "check_voicemail_id", "is_e164"]

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def is_e164(number: str) -> bool:
    """``+``, country code, subscriber number; 7-15 digits."""
    return _E164.fullmatch(number) is not None


def check_number(number: str) -> str:
    """An E.164 number (``+``, country code, subscriber number; 7-15 digits) or InvalidNumber."""
    if not isinstance(number, str) or not is_e164(number):
        raise InvalidNumber(f"{number!r} is not an E.164 number (+, country code, 7-15 digits)")
    return number


def check_voicemail_id(voicemail_id: str) -> str:
    """The canonical (lower-case, hyphenated) form of a UUID string, or InvalidVoicemailId."""
    try:
        return str(uuid.UUID(voicemail_id))
    except (ValueError, TypeError, AttributeError):
        raise InvalidVoicemailId(f"{voicemail_id!r} is not a voicemail id (a UUID)") from None
