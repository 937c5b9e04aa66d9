"""Core events from the operator protobufs: rows, unknown kinds kept or refused, idempotency keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from registrations.wgtwo.events.v0 import events_pb2
from tas.events import UnsupportedEvent, core_event_from_proto, event_key

RECEIVED = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
# wgtwo-api.md §4.1 wire test vector for a SubscribeEventsResponse.
RESPONSE_HEX = (
    "0a530a0c082a1a085f494e424f582e7812060880e2cfaa061a0373766322250a0361626310031a0d0a0b2b3437"
    "3131313131313131220d0a0b2b34373232323232323232620f0a0d0a0b2b34373232323232323232"
)


def contract_event() -> events_pb2.Event:
    return events_pb2.SubscribeEventsResponse.FromString(bytes.fromhex(RESPONSE_HEX)).event


def test_voice_event_row_from_the_contract_vector() -> None:
    row = core_event_from_proto(contract_event(), "sandbox", RECEIVED)
    assert (row.kind, row.type, row.call_id, row.sequence) == ("voice", "CALL_ANSWERED", "abc", 42)
    assert (row.from_number, row.to_number, row.owner) == (
        "+4711111111",
        "+4722222222",
        "+4722222222",
    )
    assert row.timestamp == datetime.fromtimestamp(1_700_000_000, UTC)
    assert row.service_id == "svc" and not row.redelivered and row.voicemail_id is None
    stored = events_pb2.Event.FromString(row.payload)
    assert not stored.HasField("metadata") and stored.voice_event.call_id == "abc"


def test_voicemail_event_row() -> None:
    event = events_pb2.Event(
        voicemail_event=events_pb2.VoicemailEvent(
            voicemail_id="vm-1", type=events_pb2.VoicemailEvent.NEW_VOICEMAIL
        )
    )
    event.metadata.sequence = 7
    row = core_event_from_proto(event, "sandbox", RECEIVED)
    assert (row.kind, row.type, row.voicemail_id, row.call_id) == (
        "voicemail",
        "NEW_VOICEMAIL",
        "vm-1",
        None,
    )
    assert row.from_number is None and row.owner is None


def test_unknown_voice_type_is_kept_not_lost() -> None:
    event = contract_event()
    event.voice_event.type = 99  # type: ignore[assignment]
    assert core_event_from_proto(event, "sandbox", RECEIVED).type == "UNKNOWN_99"


def test_other_event_kinds_are_refused_with_the_reason() -> None:
    event = events_pb2.Event(
        consent_revoke_event=events_pb2.ConsentRevokeEvent(),
    )
    with pytest.raises(UnsupportedEvent, match="consent_revoke_event"):
        core_event_from_proto(event, "sandbox", RECEIVED)
    with pytest.raises(UnsupportedEvent, match="empty"):
        core_event_from_proto(events_pb2.Event(), "sandbox", RECEIVED)


def test_event_key_ignores_delivery_metadata_but_not_sequence_content_or_stream() -> None:
    original = contract_event()
    redelivered = contract_event()
    redelivered.metadata.is_redelivered = True
    redelivered.metadata.ack_inbox = "_INBOX.other"
    assert event_key("sandbox", original) == event_key("sandbox", redelivered)
    assert event_key("sandbox", original) != event_key("api.oak.wgtwo.com:443", original)
    later = contract_event()
    later.metadata.sequence = 43
    assert event_key("sandbox", original) != event_key("sandbox", later)
    restarted = contract_event()  # same sequence from a restarted sandbox: a new timestamp
    restarted.timestamp.seconds += 1
    assert event_key("sandbox", original) != event_key("sandbox", restarted)
