"""The core's VOICE_EVENT / VOICEMAIL_EVENT as we store them (one row per distinct event).

``event_key`` is unique: it hashes the sequence with the event's bytes minus its delivery
metadata (wgtwo-api.md §4.1 ``EventMetadata``), so a redelivery, or the same event reaching a
second replica of the queue, maps to the row already stored, while a restarted sandbox that
reuses sequence 1 for a new event (new timestamp) does not.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from registrations.wgtwo.events.v0 import events_pb2

__all__ = ["CoreEvent", "EventRecord", "UnsupportedEvent", "core_event_from_proto", "event_key"]

_VOICE_TYPES = events_pb2.VoiceEvent.VoiceEventType
_VOICEMAIL_TYPES = events_pb2.VoicemailEvent.VoicemailEventType


class UnsupportedEvent(ValueError):
    """An event of a kind we did not subscribe to (neither voice nor voicemail)."""


class CoreEvent(SQLModel, table=True):
    __tablename__ = "core_event"

    id: int | None = Field(default=None, primary_key=True)
    event_key: str = Field(unique=True, max_length=64)
    stream: str = Field(index=True)  # where it came from: "sandbox" or the operator host
    sequence: int
    kind: str  # "voice" or "voicemail"
    type: str  # VoiceEventType / VoicemailEventType name, e.g. "CALL_ANSWERED"
    call_id: str | None = Field(default=None, index=True)
    voicemail_id: str | None = Field(default=None, index=True)
    from_number: str | None = None  # A side, E.164 as sent
    to_number: str | None = None  # B side
    owner: str | None = Field(default=None, index=True)
    caller_id_hidden: bool = False
    service_id: str = ""
    timestamp: datetime = Field(index=True)  # when the core says it happened (aware UTC)
    received: datetime  # when we committed it
    redelivered: bool = False  # the first copy we stored was already a redelivery
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # Event, no metadata


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A :class:`CoreEvent` row about to be inserted (every column but ``id``).

    A plain dataclass, not the table model: the consumer builds thousands per second, and
    building an instrumented SQLModel instance costs several times more than the insert.
    """

    event_key: str
    stream: str
    sequence: int
    kind: str
    type: str
    call_id: str | None
    voicemail_id: str | None
    from_number: str | None
    to_number: str | None
    owner: str | None
    caller_id_hidden: bool
    service_id: str
    timestamp: datetime
    received: datetime
    redelivered: bool
    payload: bytes


def event_key(stream: str, event: events_pb2.Event) -> str:
    """sha256 of the stream, the sequence and the event's deterministic bytes sans metadata."""
    return _key(stream, event.metadata.sequence, _body(event))


def core_event_from_proto(event: events_pb2.Event, stream: str, received: datetime) -> EventRecord:
    """Flatten one ``Event``; raises :class:`UnsupportedEvent` for other kinds."""
    which = event.WhichOneof("event")
    call_id: str | None = None
    voicemail_id: str | None = None
    if which == "voice_event":
        voice = event.voice_event
        kind, type_name = "voice", _name(_VOICE_TYPES, voice.type)
        call_id = voice.call_id or None
        numbers = voice.from_number.e164, voice.to_number.e164
    elif which == "voicemail_event":
        voicemail = event.voicemail_event
        kind, type_name = "voicemail", _name(_VOICEMAIL_TYPES, voicemail.type)
        voicemail_id = voicemail.voicemail_id or None
        numbers = voicemail.from_number.e164, voicemail.to_number.e164
    else:
        raise UnsupportedEvent(
            f"event {event.metadata.sequence} is {which or 'empty'}, not voice or voicemail"
        )
    body = _body(event)
    return EventRecord(
        event_key=_key(stream, event.metadata.sequence, body),
        stream=stream,
        sequence=event.metadata.sequence,
        kind=kind,
        type=type_name,
        call_id=call_id,
        voicemail_id=voicemail_id,
        from_number=numbers[0] or None,
        to_number=numbers[1] or None,
        owner=event.owner.phone_number.e164 or None,
        caller_id_hidden=which == "voice_event" and event.voice_event.caller_id_hidden,
        service_id=event.service_id,
        timestamp=event.timestamp.ToDatetime(tzinfo=UTC),
        received=received,
        redelivered=event.metadata.is_redelivered,
        payload=body,
    )


def _body(event: events_pb2.Event) -> bytes:
    body = events_pb2.Event()
    body.CopyFrom(event)
    body.ClearField("metadata")
    return body.SerializeToString(deterministic=True)


def _key(stream: str, sequence: int, body: bytes) -> str:
    digest = hashlib.sha256(stream.encode())
    digest.update(b"\0" + sequence.to_bytes(8, "big"))
    digest.update(body)
    return digest.hexdigest()


def _name(enum: object, value: int) -> str:
    try:
        return str(enum.Name(value))  # type: ignore[attr-defined]
    except ValueError:
        return f"UNKNOWN_{value}"  # a newer core's type: keep it rather than lose the event
