"""Validation of the two identifiers the voicemail API takes: E.164 numbers and UUID ids."""

from __future__ import annotations

import uuid

from registrations.model import is_e164
from tas.voicemail.errors import InvalidNumber, InvalidVoicemailId

__all__ = ["check_number", "check_voicemail_id"]


def check_number(number: str) -> str:
    """``number`` when it is E.164 (:data:`registrations.model.E164`), else InvalidNumber."""
    if not is_e164(number):
        raise InvalidNumber(f"{number!r} is not an E.164 number (+, country code, 7-15 digits)")
    return number


def check_voicemail_id(voicemail_id: str) -> str:
    """The canonical (lower-case, hyphenated) form of a UUID string, or InvalidVoicemailId."""
    try:
        return str(uuid.UUID(voicemail_id))
    except (ValueError, TypeError, AttributeError):
        raise InvalidVoicemailId(f"{voicemail_id!r} is not a voicemail id (a UUID)") from None
