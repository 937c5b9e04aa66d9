from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NetworkGeneration(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NETWORK_GENERATION_UNSPECIFIED: _ClassVar[NetworkGeneration]
    NETWORK_GENERATION_2G: _ClassVar[NetworkGeneration]
    NETWORK_GENERATION_3G: _ClassVar[NetworkGeneration]
    NETWORK_GENERATION_4G: _ClassVar[NetworkGeneration]
    NETWORK_GENERATION_5G: _ClassVar[NetworkGeneration]
NETWORK_GENERATION_UNSPECIFIED: NetworkGeneration
NETWORK_GENERATION_2G: NetworkGeneration
NETWORK_GENERATION_3G: NetworkGeneration
NETWORK_GENERATION_4G: NetworkGeneration
NETWORK_GENERATION_5G: NetworkGeneration

class Imsi(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: str
    def __init__(self, value: _Optional[str] = ...) -> None: ...

class Tadig(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: str
    def __init__(self, value: _Optional[str] = ...) -> None: ...

class Iccid(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: str
    def __init__(self, value: _Optional[str] = ...) -> None: ...

class NetworkIdentity(_message.Message):
    __slots__ = ("mcc", "mnc")
    MCC_FIELD_NUMBER: _ClassVar[int]
    MNC_FIELD_NUMBER: _ClassVar[int]
    mcc: str
    mnc: str
    def __init__(self, mcc: _Optional[str] = ..., mnc: _Optional[str] = ...) -> None: ...

class GlobalTitle(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: str
    def __init__(self, value: _Optional[str] = ...) -> None: ...

class Fqdn(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: str
    def __init__(self, value: _Optional[str] = ...) -> None: ...

class SubscriptionIdentifier(_message.Message):
    __slots__ = ("value", "tenant")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    value: str
    tenant: Tenant
    def __init__(self, value: _Optional[str] = ..., tenant: _Optional[_Union[Tenant, _Mapping]] = ...) -> None: ...

class Tenant(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...
