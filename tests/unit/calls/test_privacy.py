"""The caller as stored and shown: anonymous when the INVITE hides it (RFC 3323/3325)."""

from __future__ import annotations

from tas.calls.privacy import ANONYMOUS, shown_caller
from tests.unit.calls.test_diversion import invite


def test_hidden_callers_are_stored_anonymous() -> None:
    assert shown_caller("+4799990002", invite("sips:+4799990001@t")) == "+4799990002"
    hidden = invite("sips:+4799990001@t", "Privacy: id", "P-Asserted-Identity: <sip:+47@core>")
    assert shown_caller("+4799990002", hidden) == ANONYMOUS == "anonymous"
    assert shown_caller(None, invite("sips:+4799990001@t", "Privacy: user")) == ANONYMOUS
    assert shown_caller("+4799990002", invite("sips:+4799990001@t", "Privacy: none")) == (
        "+4799990002"
    )
