from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class StatusCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATUS_CODE_UNSPECIFIED: _ClassVar[StatusCode]
    STATUS_CODE_OK: _ClassVar[StatusCode]
    STATUS_CODE_NOT_ACCEPTABLE: _ClassVar[StatusCode]
    STATUS_CODE_ACCESS_DENIED: _ClassVar[StatusCode]
    STATUS_CODE_INTERNAL_ERROR: _ClassVar[StatusCode]
STATUS_CODE_UNSPECIFIED: StatusCode
STATUS_CODE_OK: StatusCode
STATUS_CODE_NOT_ACCEPTABLE: StatusCode
STATUS_CODE_ACCESS_DENIED: StatusCode
STATUS_CODE_INTERNAL_ERROR: StatusCode
