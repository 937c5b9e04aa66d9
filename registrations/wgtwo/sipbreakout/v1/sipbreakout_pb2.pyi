import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from registrations.wgtwo.annotations import annotations_pb2 as _annotations_pb2
from registrations.wgtwo.common.v1 import phonenumber_pb2 as _phonenumber_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StatusCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATUS_CODE_UNSPECIFIED: _ClassVar[StatusCode]
    STATUS_CODE_OK: _ClassVar[StatusCode]
    STATUS_CODE_NOT_ACCEPTABLE: _ClassVar[StatusCode]

class RouteType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTE_TYPE_UNSPECIFIED: _ClassVar[RouteType]
    ROUTE_TYPE_LOOP: _ClassVar[RouteType]
    ROUTE_TYPE_FORK: _ClassVar[RouteType]
    ROUTE_TYPE_FALLBACK: _ClassVar[RouteType]
    ROUTE_TYPE_LOOP_MO: _ClassVar[RouteType]
    ROUTE_TYPE_LOOP_MT: _ClassVar[RouteType]
    ROUTE_TYPE_INGRESS: _ClassVar[RouteType]
STATUS_CODE_UNSPECIFIED: StatusCode
STATUS_CODE_OK: StatusCode
STATUS_CODE_NOT_ACCEPTABLE: StatusCode
ROUTE_TYPE_UNSPECIFIED: RouteType
ROUTE_TYPE_LOOP: RouteType
ROUTE_TYPE_FORK: RouteType
ROUTE_TYPE_FALLBACK: RouteType
ROUTE_TYPE_LOOP_MO: RouteType
ROUTE_TYPE_LOOP_MT: RouteType
ROUTE_TYPE_INGRESS: RouteType

class UpsertRegistrationRequest(_message.Message):
    __slots__ = ("registration",)
    REGISTRATION_FIELD_NUMBER: _ClassVar[int]
    registration: Registration
    def __init__(self, registration: _Optional[_Union[Registration, _Mapping]] = ...) -> None: ...

class UpsertRegistrationResponse(_message.Message):
    __slots__ = ("status_code", "error_message", "time_to_live")
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TIME_TO_LIVE_FIELD_NUMBER: _ClassVar[int]
    status_code: StatusCode
    error_message: str
    time_to_live: _duration_pb2.Duration
    def __init__(self, status_code: _Optional[_Union[StatusCode, str]] = ..., error_message: _Optional[str] = ..., time_to_live: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class DeleteRegistrationRequest(_message.Message):
    __slots__ = ("registration",)
    REGISTRATION_FIELD_NUMBER: _ClassVar[int]
    registration: Registration
    def __init__(self, registration: _Optional[_Union[Registration, _Mapping]] = ...) -> None: ...

class DeleteRegistrationResponse(_message.Message):
    __slots__ = ("status_code", "error_message")
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    status_code: StatusCode
    error_message: str
    def __init__(self, status_code: _Optional[_Union[StatusCode, str]] = ..., error_message: _Optional[str] = ...) -> None: ...

class Registration(_message.Message):
    __slots__ = ("mobile_originating_prefix", "mobile_terminating_prefix", "sip_uri", "route_type", "phone_number")
    MOBILE_ORIGINATING_PREFIX_FIELD_NUMBER: _ClassVar[int]
    MOBILE_TERMINATING_PREFIX_FIELD_NUMBER: _ClassVar[int]
    SIP_URI_FIELD_NUMBER: _ClassVar[int]
    ROUTE_TYPE_FIELD_NUMBER: _ClassVar[int]
    PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    mobile_originating_prefix: str
    mobile_terminating_prefix: str
    sip_uri: str
    route_type: RouteType
    phone_number: _phonenumber_pb2.E164
    def __init__(self, mobile_originating_prefix: _Optional[str] = ..., mobile_terminating_prefix: _Optional[str] = ..., sip_uri: _Optional[str] = ..., route_type: _Optional[_Union[RouteType, str]] = ..., phone_number: _Optional[_Union[_phonenumber_pb2.E164, _Mapping]] = ...) -> None: ...
