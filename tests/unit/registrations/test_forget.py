"""What ``tas register delete --local`` says it forgot (pure text)."""

from __future__ import annotations

from registrations.forget import forgotten_message
from registrations.model import Registration, Route
from registrations.schedule import Entry

T0 = 1_700_000_000.0
N1 = "+4799990001"
REG = Registration(N1, Route.FORK, "sips:tas.example.com:5061")


def test_a_registered_number_names_the_operator_side_way_out() -> None:
    entry = Entry(N1, REG, REG, T0, T0 + 3600, T0 + 1800, updated_at=T0)
    text = forgotten_message(entry, T0 + 60)
    assert text.startswith(
        f"{N1}: forgotten locally (was registered, {REG.sip_uri}); no call was made to the operator."
    )
    assert "at most 3600 s after its last upsert" in text
    assert text.endswith(f"tas register delete {N1} --uri {REG.sip_uri} --route fork")


def test_a_never_accepted_number_needs_no_way_out() -> None:
    entry = Entry(N1, REG, rejected=True, last_error="no", updated_at=T0)
    assert forgotten_message(entry, T0) == (
        f"{N1}: forgotten locally (was rejected, {REG.sip_uri}); no call was made to the operator."
    )
