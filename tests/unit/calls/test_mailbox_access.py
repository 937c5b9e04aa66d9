"""Which legs reach the mailbox menu, and when the PIN is skipped (tas.calls.mailbox_access)."""

from __future__ import annotations

from registrations.model import Registration, Route
from tas.calls.mailbox_access import MailboxAccess, mailbox_access
from tas.calls.routing import decode_leg
from tests.unit.calls.test_diversion import invite

SUB = "+4799990001"
OTHER = "+4799990002"
ACCESS = "+4799990100"
REGS = [Registration(SUB, Route.LOOP, "sips:127.0.0.1"),
        Registration(ACCESS, Route.LOOP, "sips:127.0.0.1")]  # fmt: skip
PAI_SUB = f"P-Asserted-Identity: <sip:{SUB}@core>"


def access_of(dialled: str, caller: str, *headers: str) -> MailboxAccess | None:
    info = decode_leg(dialled, caller, REGS)
    request = invite(f"sips:{dialled}@tas", *headers)
    return mailbox_access(info, dialled, caller, request, [ACCESS])


def test_own_number_with_asserted_identity_is_trusted() -> None:
    assert access_of(SUB, SUB, PAI_SUB) == MailboxAccess(SUB, trusted=True)


def test_own_number_without_asserted_identity_asks_the_pin() -> None:
    assert access_of(SUB, SUB) == MailboxAccess(SUB, trusted=False)
    other = f"P-Asserted-Identity: <sip:{OTHER}@core>"
    assert access_of(SUB, SUB, other) == MailboxAccess(SUB, trusted=False)


def test_access_number_reaches_the_callers_mailbox() -> None:
    # MO leg of our subscriber to the access number
    assert access_of(ACCESS, SUB, PAI_SUB) == MailboxAccess(SUB, trusted=True)
    # MT leg of the (registered) access number from someone else: their own mailbox
    assert access_of(ACCESS, OTHER) == MailboxAccess(OTHER, trusted=False)


def test_direct_leg_to_the_access_number() -> None:
    request = invite(f"sips:{ACCESS}@tas", PAI_SUB)
    assert mailbox_access(None, ACCESS, SUB, request, [ACCESS]) == MailboxAccess(SUB, True)
    assert mailbox_access(None, ACCESS, "anonymous", request, [ACCESS]) is None
    assert mailbox_access(None, OTHER, SUB, request, [ACCESS]) is None


def test_other_calls_are_not_mailbox_calls() -> None:
    assert access_of(OTHER, SUB, PAI_SUB) is None  # MO to someone else
    assert access_of(SUB, OTHER) is None  # MT to the subscriber
