from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class Country(_message.Message):
    __slots__ = ("code", "name")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class SubscriptionIdentifier(_message.Message):
    __slots__ = ("value", "wg2rn")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    WG2RN_FIELD_NUMBER: _ClassVar[int]
    value: str
    wg2rn: str
    def __init__(self, value: _Optional[str] = ..., wg2rn: _Optional[str] = ...) -> None: ...

class Imsi(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: str
    def __init__(self, value: _Optional[str] = ...) -> None: ...

class ImeiSv(_message.Message):
    __slots__ = ("imei", "software_version")
    IMEI_FIELD_NUMBER: _ClassVar[int]
    SOFTWARE_VERSION_FIELD_NUMBER: _ClassVar[int]
    imei: str
    software_version: str
    def __init__(self, imei: _Optional[str] = ..., software_version: _Optional[str] = ...) -> None: ...

class NetworkIdentity(_message.Message):
    __slots__ = ("mcc", "mnc")
    MCC_FIELD_NUMBER: _ClassVar[int]
    MNC_FIELD_NUMBER: _ClassVar[int]
    mcc: str
    mnc: str
    def __init__(self, mcc: _Optional[str] = ..., mnc: _Optional[str] = ...) -> None: ...

class IpAddressV4(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: str
    def __init__(self, value: _Optional[str] = ...) -> None: ...
