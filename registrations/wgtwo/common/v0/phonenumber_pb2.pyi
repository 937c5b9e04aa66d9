from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class PhoneNumber(_message.Message):
    __slots__ = ("e164",)
    E164_FIELD_NUMBER: _ClassVar[int]
    e164: str
    def __init__(self, e164: _Optional[str] = ...) -> None: ...

class TextAddress(_message.Message):
    __slots__ = ("text_address",)
    TEXT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    text_address: str
    def __init__(self, text_address: _Optional[str] = ...) -> None: ...

class NationalPhoneNumber(_message.Message):
    __slots__ = ("national_phone_number",)
    NATIONAL_PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    national_phone_number: str
    def __init__(self, national_phone_number: _Optional[str] = ...) -> None: ...
