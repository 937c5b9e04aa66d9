import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from registrations.wgtwo.annotations import annotations_pb2 as _annotations_pb2_1
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MessageClass(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MESSAGE_CLASS_UNSPECIFIED: _ClassVar[MessageClass]
    MESSAGE_CLASS_FLASH_MESSAGE: _ClassVar[MessageClass]
    MESSAGE_CLASS_ME_SPECIFIC: _ClassVar[MessageClass]
    MESSAGE_CLASS_SIM_SPECIFIC: _ClassVar[MessageClass]
    MESSAGE_CLASS_TE_SPECIFIC: _ClassVar[MessageClass]
MESSAGE_CLASS_UNSPECIFIED: MessageClass
MESSAGE_CLASS_FLASH_MESSAGE: MessageClass
MESSAGE_CLASS_ME_SPECIFIC: MessageClass
MESSAGE_CLASS_SIM_SPECIFIC: MessageClass
MESSAGE_CLASS_TE_SPECIFIC: MessageClass

class SendTextFromSubscriberRequest(_message.Message):
    __slots__ = ("content", "from_subscriber", "to_address", "delivery_deadline")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    FROM_SUBSCRIBER_FIELD_NUMBER: _ClassVar[int]
    TO_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    content: str
    from_subscriber: str
    to_address: str
    delivery_deadline: _duration_pb2.Duration
    def __init__(self, content: _Optional[str] = ..., from_subscriber: _Optional[str] = ..., to_address: _Optional[str] = ..., delivery_deadline: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class SendTextToSubscriberRequest(_message.Message):
    __slots__ = ("content", "to_subscriber", "from_address", "delivery_deadline")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    TO_SUBSCRIBER_FIELD_NUMBER: _ClassVar[int]
    FROM_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    content: str
    to_subscriber: str
    from_address: str
    delivery_deadline: _duration_pb2.Duration
    def __init__(self, content: _Optional[str] = ..., to_subscriber: _Optional[str] = ..., from_address: _Optional[str] = ..., delivery_deadline: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class SendDataToSubscriberRequest(_message.Message):
    __slots__ = ("content", "to_subscriber", "from_address", "delivery_deadline", "message_class", "application_port")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    TO_SUBSCRIBER_FIELD_NUMBER: _ClassVar[int]
    FROM_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_CLASS_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_PORT_FIELD_NUMBER: _ClassVar[int]
    content: bytes
    to_subscriber: str
    from_address: str
    delivery_deadline: _duration_pb2.Duration
    message_class: MessageClass
    application_port: ApplicationPort
    def __init__(self, content: _Optional[bytes] = ..., to_subscriber: _Optional[str] = ..., from_address: _Optional[str] = ..., delivery_deadline: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., message_class: _Optional[_Union[MessageClass, str]] = ..., application_port: _Optional[_Union[ApplicationPort, _Mapping]] = ...) -> None: ...

class ApplicationPort(_message.Message):
    __slots__ = ("originator_port", "destination_port")
    ORIGINATOR_PORT_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_PORT_FIELD_NUMBER: _ClassVar[int]
    originator_port: int
    destination_port: int
    def __init__(self, originator_port: _Optional[int] = ..., destination_port: _Optional[int] = ...) -> None: ...

class SendMessageResponse(_message.Message):
    __slots__ = ("message_id", "status", "description", "num_fragments")
    class SendStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        SEND_STATUS_UNSPECIFIED: _ClassVar[SendMessageResponse.SendStatus]
        SEND_STATUS_OK: _ClassVar[SendMessageResponse.SendStatus]
        SEND_STATUS_REJECT: _ClassVar[SendMessageResponse.SendStatus]
        SEND_STATUS_ERROR: _ClassVar[SendMessageResponse.SendStatus]
    SEND_STATUS_UNSPECIFIED: SendMessageResponse.SendStatus
    SEND_STATUS_OK: SendMessageResponse.SendStatus
    SEND_STATUS_REJECT: SendMessageResponse.SendStatus
    SEND_STATUS_ERROR: SendMessageResponse.SendStatus
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NUM_FRAGMENTS_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    status: SendMessageResponse.SendStatus
    description: str
    num_fragments: int
    def __init__(self, message_id: _Optional[str] = ..., status: _Optional[_Union[SendMessageResponse.SendStatus, str]] = ..., description: _Optional[str] = ..., num_fragments: _Optional[int] = ...) -> None: ...
