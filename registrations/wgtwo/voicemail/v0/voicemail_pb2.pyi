import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from registrations.wgtwo.annotations import annotations_pb2 as _annotations_pb2
from registrations.wgtwo.common.v0 import phonenumber_pb2 as _phonenumber_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VoicemailMetadata(_message.Message):
    __slots__ = ("voicemail_id", "to", "duration", "played", "created", "expires")
    VOICEMAIL_ID_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    PLAYED_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_FIELD_NUMBER: _ClassVar[int]
    voicemail_id: str
    to: _phonenumber_pb2.PhoneNumber
    duration: _duration_pb2.Duration
    played: bool
    created: _timestamp_pb2.Timestamp
    expires: _timestamp_pb2.Timestamp
    def __init__(self, voicemail_id: _Optional[str] = ..., to: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., played: _Optional[bool] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., **kwargs) -> None: ...

class GetAllVoicemailMetadataRequest(_message.Message):
    __slots__ = ("to",)
    TO_FIELD_NUMBER: _ClassVar[int]
    to: _phonenumber_pb2.PhoneNumber
    def __init__(self, to: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ...) -> None: ...

class GetAllVoicemailMetadataResponse(_message.Message):
    __slots__ = ("metadata",)
    METADATA_FIELD_NUMBER: _ClassVar[int]
    metadata: _containers.RepeatedCompositeFieldContainer[VoicemailMetadata]
    def __init__(self, metadata: _Optional[_Iterable[_Union[VoicemailMetadata, _Mapping]]] = ...) -> None: ...

class GetVoicemailRequest(_message.Message):
    __slots__ = ("voicemail_id",)
    VOICEMAIL_ID_FIELD_NUMBER: _ClassVar[int]
    voicemail_id: str
    def __init__(self, voicemail_id: _Optional[str] = ...) -> None: ...

class GetVoicemailResponse(_message.Message):
    __slots__ = ("metadata", "wav")
    METADATA_FIELD_NUMBER: _ClassVar[int]
    WAV_FIELD_NUMBER: _ClassVar[int]
    metadata: VoicemailMetadata
    wav: bytes
    def __init__(self, metadata: _Optional[_Union[VoicemailMetadata, _Mapping]] = ..., wav: _Optional[bytes] = ...) -> None: ...

class MarkVoicemailAsReadRequest(_message.Message):
    __slots__ = ("voicemail_id",)
    VOICEMAIL_ID_FIELD_NUMBER: _ClassVar[int]
    voicemail_id: str
    def __init__(self, voicemail_id: _Optional[str] = ...) -> None: ...

class MarkVoicemailAsReadResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DeleteVoicemailRequest(_message.Message):
    __slots__ = ("voicemail_id",)
    VOICEMAIL_ID_FIELD_NUMBER: _ClassVar[int]
    voicemail_id: str
    def __init__(self, voicemail_id: _Optional[str] = ...) -> None: ...

class DeleteVoicemailResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ResetVoicemailGreetingRequest(_message.Message):
    __slots__ = ("subscriber",)
    SUBSCRIBER_FIELD_NUMBER: _ClassVar[int]
    subscriber: _phonenumber_pb2.PhoneNumber
    def __init__(self, subscriber: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ...) -> None: ...

class ResetVoicemailGreetingResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
