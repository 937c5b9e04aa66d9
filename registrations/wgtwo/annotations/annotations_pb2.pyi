from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class ReleaseStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UNSPECIFIED: _ClassVar[ReleaseStatus]
    STABLE: _ClassVar[ReleaseStatus]
    BETA: _ClassVar[ReleaseStatus]
    DEPRECATED: _ClassVar[ReleaseStatus]
UNSPECIFIED: ReleaseStatus
STABLE: ReleaseStatus
BETA: ReleaseStatus
DEPRECATED: ReleaseStatus
SCOPE_FIELD_NUMBER: _ClassVar[int]
scope: _descriptor.FieldDescriptor
STATUS_FIELD_NUMBER: _ClassVar[int]
status: _descriptor.FieldDescriptor
