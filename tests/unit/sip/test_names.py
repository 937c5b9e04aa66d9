"""Registered SIP names: canonical header spellings, compact forms (RFC 3261 §7.3.3), reasons."""

from __future__ import annotations

from tas.sip.names import REASONS, canonical_name, name_key


def test_canonical_names_and_compact_forms() -> None:
    assert canonical_name("l") == "Content-Length" and canonical_name("X-Foo") == "X-Foo"
    assert canonical_name("call-id") == "Call-ID" and canonical_name("I") == "Call-ID"


def test_name_key_folds_case_and_expands_compact_forms() -> None:
    assert name_key("v") == ("via", "Via") and name_key("VIA") == ("via", "Via")
    assert name_key("X-Custom") == ("x-custom", "X-Custom")


def test_reason_phrases_of_rfc_3261_section_21() -> None:
    assert REASONS[180] == "Ringing" and REASONS[487] == "Request Terminated"
