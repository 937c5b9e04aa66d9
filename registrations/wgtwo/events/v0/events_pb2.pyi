import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from registrations.wgtwo.annotations import annotations_pb2 as _annotations_pb2
from registrations.wgtwo.common.v0 import phonenumber_pb2 as _phonenumber_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UNSPECIFIED: _ClassVar[EventType]
    VOICE_EVENT: _ClassVar[EventType]
    VOICEMAIL_EVENT: _ClassVar[EventType]
    LOCATION_UPDATE_EVENT: _ClassVar[EventType]
    COUNTRY_CHANGE_EVENT: _ClassVar[EventType]
    TOKEN_AUDIT_EVENT: _ClassVar[EventType]
    SMS_EVENT: _ClassVar[EventType]
    SMS_DELIVERY_REPORT_EVENT: _ClassVar[EventType]
    CONSENT_REVOKE_EVENT: _ClassVar[EventType]
    HANDSET_UPDATE_EVENT: _ClassVar[EventType]
    FIRST_ATTACHMENT_EVENT: _ClassVar[EventType]
    PERIODIC_COUNTRY_EVENT: _ClassVar[EventType]
UNSPECIFIED: EventType
VOICE_EVENT: EventType
VOICEMAIL_EVENT: EventType
LOCATION_UPDATE_EVENT: EventType
COUNTRY_CHANGE_EVENT: EventType
TOKEN_AUDIT_EVENT: EventType
SMS_EVENT: EventType
SMS_DELIVERY_REPORT_EVENT: EventType
CONSENT_REVOKE_EVENT: EventType
HANDSET_UPDATE_EVENT: EventType
FIRST_ATTACHMENT_EVENT: EventType
PERIODIC_COUNTRY_EVENT: EventType

class ManualAckConfig(_message.Message):
    __slots__ = ("enable", "timeout")
    ENABLE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    enable: bool
    timeout: _duration_pb2.Duration
    def __init__(self, enable: _Optional[bool] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class SubscribeEventsRequest(_message.Message):
    __slots__ = ("type", "start_at_sequence", "start_at_timestamp", "start_at_time_delta", "start_with_last_received", "start_at_oldest_possible", "client_id", "queue_name", "durable_name", "max_in_flight", "manual_ack")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    START_AT_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    START_AT_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    START_AT_TIME_DELTA_FIELD_NUMBER: _ClassVar[int]
    START_WITH_LAST_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    START_AT_OLDEST_POSSIBLE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_NAME_FIELD_NUMBER: _ClassVar[int]
    DURABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    MAX_IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    MANUAL_ACK_FIELD_NUMBER: _ClassVar[int]
    type: _containers.RepeatedScalarFieldContainer[EventType]
    start_at_sequence: int
    start_at_timestamp: _timestamp_pb2.Timestamp
    start_at_time_delta: _duration_pb2.Duration
    start_with_last_received: _empty_pb2.Empty
    start_at_oldest_possible: _empty_pb2.Empty
    client_id: str
    queue_name: str
    durable_name: str
    max_in_flight: int
    manual_ack: ManualAckConfig
    def __init__(self, type: _Optional[_Iterable[_Union[EventType, str]]] = ..., start_at_sequence: _Optional[int] = ..., start_at_timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_at_time_delta: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., start_with_last_received: _Optional[_Union[_empty_pb2.Empty, _Mapping]] = ..., start_at_oldest_possible: _Optional[_Union[_empty_pb2.Empty, _Mapping]] = ..., client_id: _Optional[str] = ..., queue_name: _Optional[str] = ..., durable_name: _Optional[str] = ..., max_in_flight: _Optional[int] = ..., manual_ack: _Optional[_Union[ManualAckConfig, _Mapping]] = ...) -> None: ...

class SubscribeEventsResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: Event
    def __init__(self, event: _Optional[_Union[Event, _Mapping]] = ...) -> None: ...

class AckRequest(_message.Message):
    __slots__ = ("inbox", "sequence")
    INBOX_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    inbox: str
    sequence: int
    def __init__(self, inbox: _Optional[str] = ..., sequence: _Optional[int] = ...) -> None: ...

class AckResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class EventMetadata(_message.Message):
    __slots__ = ("sequence", "is_redelivered", "ack_inbox")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    IS_REDELIVERED_FIELD_NUMBER: _ClassVar[int]
    ACK_INBOX_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    is_redelivered: bool
    ack_inbox: str
    def __init__(self, sequence: _Optional[int] = ..., is_redelivered: _Optional[bool] = ..., ack_inbox: _Optional[str] = ...) -> None: ...

class Owner(_message.Message):
    __slots__ = ("phone_number", "sub")
    PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SUB_FIELD_NUMBER: _ClassVar[int]
    phone_number: _phonenumber_pb2.PhoneNumber
    sub: str
    def __init__(self, phone_number: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ..., sub: _Optional[str] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("metadata", "timestamp", "service_id", "voice_event", "voicemail_event", "location_update_event", "country_change_event", "token_audit_event", "sms_event", "sms_delivery_report_event", "consent_revoke_event", "handset_update_event", "first_attachment_event", "periodic_country_event", "owner")
    METADATA_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    VOICE_EVENT_FIELD_NUMBER: _ClassVar[int]
    VOICEMAIL_EVENT_FIELD_NUMBER: _ClassVar[int]
    LOCATION_UPDATE_EVENT_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CHANGE_EVENT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_AUDIT_EVENT_FIELD_NUMBER: _ClassVar[int]
    SMS_EVENT_FIELD_NUMBER: _ClassVar[int]
    SMS_DELIVERY_REPORT_EVENT_FIELD_NUMBER: _ClassVar[int]
    CONSENT_REVOKE_EVENT_FIELD_NUMBER: _ClassVar[int]
    HANDSET_UPDATE_EVENT_FIELD_NUMBER: _ClassVar[int]
    FIRST_ATTACHMENT_EVENT_FIELD_NUMBER: _ClassVar[int]
    PERIODIC_COUNTRY_EVENT_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    metadata: EventMetadata
    timestamp: _timestamp_pb2.Timestamp
    service_id: str
    voice_event: VoiceEvent
    voicemail_event: VoicemailEvent
    location_update_event: LocationUpdateEvent
    country_change_event: CountryChangeEvent
    token_audit_event: TokenAuditEvent
    sms_event: SmsEvent
    sms_delivery_report_event: SmsDeliveryReportEvent
    consent_revoke_event: ConsentRevokeEvent
    handset_update_event: HandsetUpdateEvent
    first_attachment_event: FirstAttachmentEvent
    periodic_country_event: PeriodicCountryEvent
    owner: Owner
    def __init__(self, metadata: _Optional[_Union[EventMetadata, _Mapping]] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., service_id: _Optional[str] = ..., voice_event: _Optional[_Union[VoiceEvent, _Mapping]] = ..., voicemail_event: _Optional[_Union[VoicemailEvent, _Mapping]] = ..., location_update_event: _Optional[_Union[LocationUpdateEvent, _Mapping]] = ..., country_change_event: _Optional[_Union[CountryChangeEvent, _Mapping]] = ..., token_audit_event: _Optional[_Union[TokenAuditEvent, _Mapping]] = ..., sms_event: _Optional[_Union[SmsEvent, _Mapping]] = ..., sms_delivery_report_event: _Optional[_Union[SmsDeliveryReportEvent, _Mapping]] = ..., consent_revoke_event: _Optional[_Union[ConsentRevokeEvent, _Mapping]] = ..., handset_update_event: _Optional[_Union[HandsetUpdateEvent, _Mapping]] = ..., first_attachment_event: _Optional[_Union[FirstAttachmentEvent, _Mapping]] = ..., periodic_country_event: _Optional[_Union[PeriodicCountryEvent, _Mapping]] = ..., owner: _Optional[_Union[Owner, _Mapping]] = ...) -> None: ...

class ConsentRevokeEvent(_message.Message):
    __slots__ = ("msisdn",)
    MSISDN_FIELD_NUMBER: _ClassVar[int]
    msisdn: _phonenumber_pb2.PhoneNumber
    def __init__(self, msisdn: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ...) -> None: ...

class VoiceEvent(_message.Message):
    __slots__ = ("call_id", "type", "from_number", "to_number", "caller_id_hidden")
    class VoiceEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNSPECIFIED: _ClassVar[VoiceEvent.VoiceEventType]
        CALL_INITIATED: _ClassVar[VoiceEvent.VoiceEventType]
        CALL_RINGING: _ClassVar[VoiceEvent.VoiceEventType]
        CALL_ANSWERED: _ClassVar[VoiceEvent.VoiceEventType]
        CALL_ENDED: _ClassVar[VoiceEvent.VoiceEventType]
        CALL_FWD_VOICEMAIL: _ClassVar[VoiceEvent.VoiceEventType]
    UNSPECIFIED: VoiceEvent.VoiceEventType
    CALL_INITIATED: VoiceEvent.VoiceEventType
    CALL_RINGING: VoiceEvent.VoiceEventType
    CALL_ANSWERED: VoiceEvent.VoiceEventType
    CALL_ENDED: VoiceEvent.VoiceEventType
    CALL_FWD_VOICEMAIL: VoiceEvent.VoiceEventType
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    FROM_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TO_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CALLER_ID_HIDDEN_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    type: VoiceEvent.VoiceEventType
    from_number: _phonenumber_pb2.PhoneNumber
    to_number: _phonenumber_pb2.PhoneNumber
    caller_id_hidden: bool
    def __init__(self, call_id: _Optional[str] = ..., type: _Optional[_Union[VoiceEvent.VoiceEventType, str]] = ..., from_number: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ..., to_number: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ..., caller_id_hidden: _Optional[bool] = ...) -> None: ...

class VoicemailEvent(_message.Message):
    __slots__ = ("voicemail_id", "type", "from_number", "to_number")
    class VoicemailEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNSPECIFIED: _ClassVar[VoicemailEvent.VoicemailEventType]
        NEW_VOICEMAIL: _ClassVar[VoicemailEvent.VoicemailEventType]
    UNSPECIFIED: VoicemailEvent.VoicemailEventType
    NEW_VOICEMAIL: VoicemailEvent.VoicemailEventType
    VOICEMAIL_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    FROM_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TO_NUMBER_FIELD_NUMBER: _ClassVar[int]
    voicemail_id: str
    type: VoicemailEvent.VoicemailEventType
    from_number: _phonenumber_pb2.PhoneNumber
    to_number: _phonenumber_pb2.PhoneNumber
    def __init__(self, voicemail_id: _Optional[str] = ..., type: _Optional[_Union[VoicemailEvent.VoicemailEventType, str]] = ..., from_number: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ..., to_number: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ...) -> None: ...

class LocationUpdateEvent(_message.Message):
    __slots__ = ("number", "previous", "current")
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
    class Locations(_message.Message):
        __slots__ = ("msc", "vlr", "sgsn", "mme")
        MSC_FIELD_NUMBER: _ClassVar[int]
        VLR_FIELD_NUMBER: _ClassVar[int]
        SGSN_FIELD_NUMBER: _ClassVar[int]
        MME_FIELD_NUMBER: _ClassVar[int]
        msc: LocationUpdateEvent.GlobalTitle
        vlr: LocationUpdateEvent.GlobalTitle
        sgsn: LocationUpdateEvent.GlobalTitle
        mme: LocationUpdateEvent.Fqdn
        def __init__(self, msc: _Optional[_Union[LocationUpdateEvent.GlobalTitle, _Mapping]] = ..., vlr: _Optional[_Union[LocationUpdateEvent.GlobalTitle, _Mapping]] = ..., sgsn: _Optional[_Union[LocationUpdateEvent.GlobalTitle, _Mapping]] = ..., mme: _Optional[_Union[LocationUpdateEvent.Fqdn, _Mapping]] = ...) -> None: ...
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    number: _phonenumber_pb2.PhoneNumber
    previous: LocationUpdateEvent.Locations
    current: LocationUpdateEvent.Locations
    def __init__(self, number: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ..., previous: _Optional[_Union[LocationUpdateEvent.Locations, _Mapping]] = ..., current: _Optional[_Union[LocationUpdateEvent.Locations, _Mapping]] = ...) -> None: ...

class FirstAttachmentEvent(_message.Message):
    __slots__ = ("number", "imsi")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    IMSI_FIELD_NUMBER: _ClassVar[int]
    number: _phonenumber_pb2.PhoneNumber
    imsi: Imsi
    def __init__(self, number: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ..., imsi: _Optional[_Union[Imsi, _Mapping]] = ...) -> None: ...

class PeriodicCountryEvent(_message.Message):
    __slots__ = ("number", "imsi", "country")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    IMSI_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    number: _phonenumber_pb2.PhoneNumber
    imsi: Imsi
    country: CountryChangeEvent.Country
    def __init__(self, number: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ..., imsi: _Optional[_Union[Imsi, _Mapping]] = ..., country: _Optional[_Union[CountryChangeEvent.Country, _Mapping]] = ...) -> None: ...

class CountryChangeEvent(_message.Message):
    __slots__ = ("msisdn", "previous", "current")
    class Country(_message.Message):
        __slots__ = ("code", "name")
        CODE_FIELD_NUMBER: _ClassVar[int]
        NAME_FIELD_NUMBER: _ClassVar[int]
        code: str
        name: str
        def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...
    MSISDN_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    msisdn: _phonenumber_pb2.PhoneNumber
    previous: CountryChangeEvent.Country
    current: CountryChangeEvent.Country
    def __init__(self, msisdn: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ..., previous: _Optional[_Union[CountryChangeEvent.Country, _Mapping]] = ..., current: _Optional[_Union[CountryChangeEvent.Country, _Mapping]] = ...) -> None: ...

class TokenAuditEvent(_message.Message):
    __slots__ = ("operation", "operator_token")
    class Operation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNDEFINED: _ClassVar[TokenAuditEvent.Operation]
        CREATED: _ClassVar[TokenAuditEvent.Operation]
        MODIFIED: _ClassVar[TokenAuditEvent.Operation]
        DELETED: _ClassVar[TokenAuditEvent.Operation]
    UNDEFINED: TokenAuditEvent.Operation
    CREATED: TokenAuditEvent.Operation
    MODIFIED: TokenAuditEvent.Operation
    DELETED: TokenAuditEvent.Operation
    class OperatorTokenMetadata(_message.Message):
        __slots__ = ("client_id", "name", "rights")
        CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
        NAME_FIELD_NUMBER: _ClassVar[int]
        RIGHTS_FIELD_NUMBER: _ClassVar[int]
        client_id: str
        name: str
        rights: _containers.RepeatedScalarFieldContainer[str]
        def __init__(self, client_id: _Optional[str] = ..., name: _Optional[str] = ..., rights: _Optional[_Iterable[str]] = ...) -> None: ...
    class OperatorTokenChanged(_message.Message):
        __slots__ = ("new", "old")
        NEW_FIELD_NUMBER: _ClassVar[int]
        OLD_FIELD_NUMBER: _ClassVar[int]
        new: TokenAuditEvent.OperatorTokenMetadata
        old: TokenAuditEvent.OperatorTokenMetadata
        def __init__(self, new: _Optional[_Union[TokenAuditEvent.OperatorTokenMetadata, _Mapping]] = ..., old: _Optional[_Union[TokenAuditEvent.OperatorTokenMetadata, _Mapping]] = ...) -> None: ...
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_TOKEN_FIELD_NUMBER: _ClassVar[int]
    operation: TokenAuditEvent.Operation
    operator_token: TokenAuditEvent.OperatorTokenChanged
    def __init__(self, operation: _Optional[_Union[TokenAuditEvent.Operation, str]] = ..., operator_token: _Optional[_Union[TokenAuditEvent.OperatorTokenChanged, _Mapping]] = ...) -> None: ...

class SmsEvent(_message.Message):
    __slots__ = ("id", "from_e164", "from_national_phone_number", "from_text_address", "to_e164", "to_national_phone_number", "to_text_address", "direction", "text", "bytes", "uuid")
    class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[SmsEvent.Direction]
        FROM_SUBSCRIBER: _ClassVar[SmsEvent.Direction]
        TO_SUBSCRIBER: _ClassVar[SmsEvent.Direction]
    UNKNOWN: SmsEvent.Direction
    FROM_SUBSCRIBER: SmsEvent.Direction
    TO_SUBSCRIBER: SmsEvent.Direction
    ID_FIELD_NUMBER: _ClassVar[int]
    FROM_E164_FIELD_NUMBER: _ClassVar[int]
    FROM_NATIONAL_PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FROM_TEXT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TO_E164_FIELD_NUMBER: _ClassVar[int]
    TO_NATIONAL_PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TO_TEXT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    id: str
    from_e164: _phonenumber_pb2.PhoneNumber
    from_national_phone_number: _phonenumber_pb2.NationalPhoneNumber
    from_text_address: _phonenumber_pb2.TextAddress
    to_e164: _phonenumber_pb2.PhoneNumber
    to_national_phone_number: _phonenumber_pb2.NationalPhoneNumber
    to_text_address: _phonenumber_pb2.TextAddress
    direction: SmsEvent.Direction
    text: str
    bytes: bytes
    uuid: str
    def __init__(self, id: _Optional[str] = ..., from_e164: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ..., from_national_phone_number: _Optional[_Union[_phonenumber_pb2.NationalPhoneNumber, _Mapping]] = ..., from_text_address: _Optional[_Union[_phonenumber_pb2.TextAddress, _Mapping]] = ..., to_e164: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ..., to_national_phone_number: _Optional[_Union[_phonenumber_pb2.NationalPhoneNumber, _Mapping]] = ..., to_text_address: _Optional[_Union[_phonenumber_pb2.TextAddress, _Mapping]] = ..., direction: _Optional[_Union[SmsEvent.Direction, str]] = ..., text: _Optional[str] = ..., bytes: _Optional[bytes] = ..., uuid: _Optional[str] = ...) -> None: ...

class SmsDeliveryReportEvent(_message.Message):
    __slots__ = ("id", "from_e164", "from_national_phone_number", "from_text_address", "to_e164", "to_national_phone_number", "to_text_address", "direction", "sms_id", "status")
    class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        DIRECTION_UNKNOWN: _ClassVar[SmsDeliveryReportEvent.Direction]
        FROM_SUBSCRIBER: _ClassVar[SmsDeliveryReportEvent.Direction]
        TO_SUBSCRIBER: _ClassVar[SmsDeliveryReportEvent.Direction]
    DIRECTION_UNKNOWN: SmsDeliveryReportEvent.Direction
    FROM_SUBSCRIBER: SmsDeliveryReportEvent.Direction
    TO_SUBSCRIBER: SmsDeliveryReportEvent.Direction
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATUS_UNKNOWN: _ClassVar[SmsDeliveryReportEvent.Status]
        DELIVERED: _ClassVar[SmsDeliveryReportEvent.Status]
        TEMPORARY_FAILURE: _ClassVar[SmsDeliveryReportEvent.Status]
        FINAL_FAILURE: _ClassVar[SmsDeliveryReportEvent.Status]
        EXPIRED: _ClassVar[SmsDeliveryReportEvent.Status]
    STATUS_UNKNOWN: SmsDeliveryReportEvent.Status
    DELIVERED: SmsDeliveryReportEvent.Status
    TEMPORARY_FAILURE: SmsDeliveryReportEvent.Status
    FINAL_FAILURE: SmsDeliveryReportEvent.Status
    EXPIRED: SmsDeliveryReportEvent.Status
    ID_FIELD_NUMBER: _ClassVar[int]
    FROM_E164_FIELD_NUMBER: _ClassVar[int]
    FROM_NATIONAL_PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FROM_TEXT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TO_E164_FIELD_NUMBER: _ClassVar[int]
    TO_NATIONAL_PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TO_TEXT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    SMS_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    id: str
    from_e164: _phonenumber_pb2.PhoneNumber
    from_national_phone_number: _phonenumber_pb2.NationalPhoneNumber
    from_text_address: _phonenumber_pb2.TextAddress
    to_e164: _phonenumber_pb2.PhoneNumber
    to_national_phone_number: _phonenumber_pb2.NationalPhoneNumber
    to_text_address: _phonenumber_pb2.TextAddress
    direction: SmsDeliveryReportEvent.Direction
    sms_id: str
    status: SmsDeliveryReportEvent.Status
    def __init__(self, id: _Optional[str] = ..., from_e164: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ..., from_national_phone_number: _Optional[_Union[_phonenumber_pb2.NationalPhoneNumber, _Mapping]] = ..., from_text_address: _Optional[_Union[_phonenumber_pb2.TextAddress, _Mapping]] = ..., to_e164: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ..., to_national_phone_number: _Optional[_Union[_phonenumber_pb2.NationalPhoneNumber, _Mapping]] = ..., to_text_address: _Optional[_Union[_phonenumber_pb2.TextAddress, _Mapping]] = ..., direction: _Optional[_Union[SmsDeliveryReportEvent.Direction, str]] = ..., sms_id: _Optional[str] = ..., status: _Optional[_Union[SmsDeliveryReportEvent.Status, str]] = ...) -> None: ...

class ImeiSv(_message.Message):
    __slots__ = ("imei", "software_version")
    IMEI_FIELD_NUMBER: _ClassVar[int]
    SOFTWARE_VERSION_FIELD_NUMBER: _ClassVar[int]
    imei: str
    software_version: str
    def __init__(self, imei: _Optional[str] = ..., software_version: _Optional[str] = ...) -> None: ...

class Handset(_message.Message):
    __slots__ = ("imei_sv",)
    IMEI_SV_FIELD_NUMBER: _ClassVar[int]
    imei_sv: ImeiSv
    def __init__(self, imei_sv: _Optional[_Union[ImeiSv, _Mapping]] = ...) -> None: ...

class HandsetUpdateEvent(_message.Message):
    __slots__ = ("previous", "current", "imsi", "number")
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    IMSI_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    previous: Handset
    current: Handset
    imsi: Imsi
    number: _phonenumber_pb2.PhoneNumber
    def __init__(self, previous: _Optional[_Union[Handset, _Mapping]] = ..., current: _Optional[_Union[Handset, _Mapping]] = ..., imsi: _Optional[_Union[Imsi, _Mapping]] = ..., number: _Optional[_Union[_phonenumber_pb2.PhoneNumber, _Mapping]] = ...) -> None: ...

class Imsi(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: str
    def __init__(self, value: _Optional[str] = ...) -> None: ...
