"""Our hand-written wgtwo contracts against the operator's own descriptor set, field for field.

``../shared/reference/wgtwo.protoset`` is upstream's ``image.bin`` (a FileDescriptorSet). Every
file, message, field, oneof, enum value, reserved range, option and RPC of our stubs must be
identical to it; the wire vectors come from ``wgtwo-api.md`` §4.1.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from google.protobuf import descriptor_pb2, duration_pb2, timestamp_pb2
from google.protobuf.descriptor import Descriptor, MethodDescriptor

from registrations.wgtwo.annotations import annotations_pb2
from registrations.wgtwo.common.v0 import errors_pb2, phonenumber_pb2, types_pb2
from registrations.wgtwo.common.v1 import phonenumber_pb2 as phonenumber_v1_pb2
from registrations.wgtwo.common.v1 import types_pb2 as types_v1_pb2
from registrations.wgtwo.events.v0 import events_pb2
from registrations.wgtwo.sipbreakout.v1 import sipbreakout_pb2
from registrations.wgtwo.sms.v1 import sms_pb2
from registrations.wgtwo.voicemail.v0 import voicemail_pb2

PROTOSET = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "wgtwo.protoset"

OURS: list[ModuleType] = [
    annotations_pb2,
    errors_pb2,
    phonenumber_pb2,
    types_pb2,
    phonenumber_v1_pb2,
    types_v1_pb2,
    events_pb2,
    sipbreakout_pb2,
    sms_pb2,
    voicemail_pb2,
]
PACKAGES = {m.DESCRIPTOR.package for m in OURS}


@pytest.fixture(scope="module")
def upstream() -> dict[str, descriptor_pb2.FileDescriptorProto]:
    if not PROTOSET.is_file():
        pytest.skip(f"upstream descriptor set not found at {PROTOSET} (../shared is absent)")
    fds = descriptor_pb2.FileDescriptorSet.FromString(PROTOSET.read_bytes())
    return {f.name: f for f in fds.file}


def _ours(module: ModuleType) -> descriptor_pb2.FileDescriptorProto:
    """Our file's descriptor; json_name filled from the runtime (protoc omits it when derived)."""
    proto = descriptor_pb2.FileDescriptorProto()
    module.DESCRIPTOR.CopyToProto(proto)
    for message in proto.message_type:
        _fill_json_names(message, module.DESCRIPTOR.message_types_by_name[message.name])
    for extension in proto.extension:
        extension.json_name = module.DESCRIPTOR.extensions_by_name[extension.name].json_name
    return proto


def _fill_json_names(proto: descriptor_pb2.DescriptorProto, runtime: Descriptor) -> None:
    for field in proto.field:
        field.json_name = runtime.fields_by_name[field.name].json_name
    for nested in proto.nested_type:
        _fill_json_names(nested, runtime.nested_types_by_name[nested.name])


def _opts(message: object) -> bytes:
    """Options as deterministic bytes (extensions such as ``wgtwo.scope`` included)."""
    assert hasattr(message, "SerializeToString")
    return bytes(message.SerializeToString(deterministic=True))


def _diff_enum(path: str, ours: object, theirs: object) -> list[str]:
    assert isinstance(ours, descriptor_pb2.EnumDescriptorProto)
    assert isinstance(theirs, descriptor_pb2.EnumDescriptorProto)
    out = []
    if [(v.name, v.number) for v in ours.value] != [(v.name, v.number) for v in theirs.value]:
        out.append(f"{path}: values {list(ours.value)} != {list(theirs.value)}")
    if list(ours.reserved_range) != list(theirs.reserved_range):
        out.append(f"{path}: reserved ranges differ")
    if list(ours.reserved_name) != list(theirs.reserved_name):
        out.append(f"{path}: reserved names differ")
    if _opts(ours.options) != _opts(theirs.options):
        out.append(f"{path}: options differ")
    return out


_FIELD_ATTRS = ("number", "label", "type", "type_name", "json_name", "proto3_optional")


def _diff_message(path: str, ours: object, theirs: object) -> list[str]:
    assert isinstance(ours, descriptor_pb2.DescriptorProto)
    assert isinstance(theirs, descriptor_pb2.DescriptorProto)
    out = []
    our_fields = {f.name: f for f in ours.field}
    their_fields = {f.name: f for f in theirs.field}
    if list(our_fields) != list(their_fields):
        out.append(f"{path}: fields {list(our_fields)} != {list(their_fields)}")
    for name in our_fields.keys() & their_fields.keys():
        a, b = our_fields[name], their_fields[name]
        for attr in _FIELD_ATTRS:
            if getattr(a, attr) != getattr(b, attr):
                out.append(f"{path}.{name}: {attr} {getattr(a, attr)!r} != {getattr(b, attr)!r}")
        a_oneof = ours.oneof_decl[a.oneof_index].name if a.HasField("oneof_index") else None
        b_oneof = theirs.oneof_decl[b.oneof_index].name if b.HasField("oneof_index") else None
        if a_oneof != b_oneof:
            out.append(f"{path}.{name}: oneof {a_oneof!r} != {b_oneof!r}")
        if _opts(a.options) != _opts(b.options):
            out.append(f"{path}.{name}: options differ")
    if [o.name for o in ours.oneof_decl] != [o.name for o in theirs.oneof_decl]:
        out.append(f"{path}: oneofs differ")
    if [(r.start, r.end) for r in ours.reserved_range] != [
        (r.start, r.end) for r in theirs.reserved_range
    ]:
        out.append(f"{path}: reserved ranges differ")
    if list(ours.reserved_name) != list(theirs.reserved_name):
        out.append(f"{path}: reserved names differ")
    if _opts(ours.options) != _opts(theirs.options):
        out.append(f"{path}: options differ")
    out += _diff_named(path, ours.nested_type, theirs.nested_type, _diff_message)
    out += _diff_named(path, ours.enum_type, theirs.enum_type, _diff_enum)
    return out


def _diff_service(path: str, ours: object, theirs: object) -> list[str]:
    assert isinstance(ours, descriptor_pb2.ServiceDescriptorProto)
    assert isinstance(theirs, descriptor_pb2.ServiceDescriptorProto)
    out = []
    ours_m = {m.name: m for m in ours.method}
    theirs_m = {m.name: m for m in theirs.method}
    if list(ours_m) != list(theirs_m):
        out.append(f"{path}: methods {list(ours_m)} != {list(theirs_m)}")
    for name in ours_m.keys() & theirs_m.keys():
        a, b = ours_m[name], theirs_m[name]
        for attr in ("input_type", "output_type", "client_streaming", "server_streaming"):
            if getattr(a, attr) != getattr(b, attr):
                out.append(f"{path}/{name}: {attr} {getattr(a, attr)!r} != {getattr(b, attr)!r}")
        if _opts(a.options) != _opts(b.options):
            out.append(f"{path}/{name}: options (scope/status) differ")
    if _opts(ours.options) != _opts(theirs.options):
        out.append(f"{path}: options differ")
    return out


def _diff_named(path: str, ours: object, theirs: object, diff: object) -> list[str]:
    assert callable(diff)
    a = {x.name: x for x in ours}  # type: ignore[attr-defined]
    b = {x.name: x for x in theirs}  # type: ignore[attr-defined]
    out = []
    if list(a) != list(b):
        out.append(f"{path}: members {list(a)} != {list(b)}")
    for name in a.keys() & b.keys():
        out += diff(f"{path}.{name}", a[name], b[name])
    return out


@pytest.mark.parametrize("module", OURS, ids=lambda m: m.DESCRIPTOR.name)
def test_file_matches_upstream_field_for_field(
    module: ModuleType, upstream: dict[str, descriptor_pb2.FileDescriptorProto]
) -> None:
    ours = _ours(module)
    assert ours.name in upstream, f"{ours.name} is not in the upstream descriptor set"
    theirs = upstream[ours.name]
    problems: list[str] = []
    for attr in ("package", "syntax"):
        if getattr(ours, attr) != getattr(theirs, attr):
            problems.append(f"{attr} {getattr(ours, attr)!r} != {getattr(theirs, attr)!r}")
    if list(ours.dependency) != list(theirs.dependency):
        problems.append(f"imports {list(ours.dependency)} != {list(theirs.dependency)}")
    if _opts(ours.options) != _opts(theirs.options):
        problems.append(f"file options {ours.options} != {theirs.options}")
    problems += _diff_named(ours.package, ours.message_type, theirs.message_type, _diff_message)
    problems += _diff_named(ours.package, ours.enum_type, theirs.enum_type, _diff_enum)
    problems += _diff_named(ours.package, ours.service, theirs.service, _diff_service)
    ours_ext = [(x.name, x.number, x.type, x.type_name, x.extendee) for x in ours.extension]
    theirs_ext = [(x.name, x.number, x.type, x.type_name, x.extendee) for x in theirs.extension]
    if ours_ext != theirs_ext:
        problems.append(f"extensions {ours_ext} != {theirs_ext}")
    assert not problems, "\n".join(problems)
    # Belt and braces: the whole descriptor is identical, leaving out upstream's comments and
    # buf's build metadata (an unknown extension field on FileDescriptorProto).
    theirs = descriptor_pb2.FileDescriptorProto.FromString(theirs.SerializeToString())
    theirs.ClearField("source_code_info")
    theirs.DiscardUnknownFields()
    assert ours.SerializeToString(deterministic=True) == theirs.SerializeToString(
        deterministic=True
    )


def test_we_cover_every_upstream_file_of_our_packages(
    upstream: dict[str, descriptor_pb2.FileDescriptorProto],
) -> None:
    wanted = {name for name, f in upstream.items() if f.package in PACKAGES}
    assert wanted == {m.DESCRIPTOR.name for m in OURS}


def _method_options(method: MethodDescriptor) -> dict[str, object]:
    return {field.full_name: value for field, value in method.GetOptions().ListFields()}


def test_method_scopes_are_the_operator_annotations() -> None:
    assert annotations_pb2.scope.full_name == "wgtwo.scope"
    service = sipbreakout_pb2.DESCRIPTOR.services_by_name["SipBreakoutService"]
    for method in service.methods:
        assert _method_options(method) == {"wgtwo.scope": "call.routing:write"}
    subscribe = events_pb2.DESCRIPTOR.services_by_name["EventsService"].methods_by_name["Subscribe"]
    assert _method_options(subscribe) == {"wgtwo.scope": ""}
    assert subscribe.server_streaming


def _e164(number: str) -> phonenumber_pb2.PhoneNumber:
    return phonenumber_pb2.PhoneNumber(e164=number)


WIRE_VECTORS = [
    (
        "subscribe-request",
        lambda: events_pb2.SubscribeEventsRequest(
            type=[events_pb2.VOICE_EVENT, events_pb2.VOICEMAIL_EVENT],
            client_id="c",
            queue_name="q",
            durable_name="d",
            max_in_flight=10,
            manual_ack=events_pb2.ManualAckConfig(
                enable=True, timeout=duration_pb2.Duration(seconds=30)
            ),
        ),
        "0a0201023201633a0171420164480a520608011202081e",
    ),
    (
        "ack-request",
        lambda: events_pb2.AckRequest(inbox="_INBOX.x", sequence=42),
        "0a085f494e424f582e78102a",
    ),
    (
        "subscribe-response",
        lambda: events_pb2.SubscribeEventsResponse(
            event=events_pb2.Event(
                metadata=events_pb2.EventMetadata(sequence=42, ack_inbox="_INBOX.x"),
                timestamp=timestamp_pb2.Timestamp(seconds=1700000000),
                service_id="svc",
                voice_event=events_pb2.VoiceEvent(
                    call_id="abc",
                    type=events_pb2.VoiceEvent.CALL_ANSWERED,
                    from_number=_e164("+4711111111"),
                    to_number=_e164("+4722222222"),
                ),
                owner=events_pb2.Owner(phone_number=_e164("+4722222222")),
            )
        ),
        "0a530a0c082a1a085f494e424f582e7812060880e2cfaa061a0373766322250a0361626310031a0d0a0b2b3437"
        "3131313131313131220d0a0b2b34373232323232323232620f0a0d0a0b2b34373232323232323232",
    ),
    (
        "upsert-request",
        lambda: sipbreakout_pb2.UpsertRegistrationRequest(
            registration=sipbreakout_pb2.Registration(
                mobile_originating_prefix="11",
                sip_uri="sips:tas.example.com",
                route_type=sipbreakout_pb2.ROUTE_TYPE_LOOP,
                phone_number=phonenumber_v1_pb2.E164(e164="+4799990000"),
            )
        ),
        "0a2b0a0231311a14736970733a7461732e6578616d706c652e636f6d20012a0d0a0b2b34373939393930303030",
    ),
    (
        "delete-request",
        lambda: sipbreakout_pb2.DeleteRegistrationRequest(
            registration=sipbreakout_pb2.Registration(
                sip_uri="sips:tas.example.com",
                phone_number=phonenumber_v1_pb2.E164(e164="+4799990000"),
            )
        ),
        "0a251a14736970733a7461732e6578616d706c652e636f6d2a0d0a0b2b34373939393930303030",
    ),
]


@pytest.mark.parametrize(
    ("build", "expected"), [v[1:] for v in WIRE_VECTORS], ids=[v[0] for v in WIRE_VECTORS]
)
def test_wire_vectors(build: object, expected: str) -> None:
    assert callable(build)
    message = build()
    assert message.SerializeToString(deterministic=True).hex() == expected
    assert type(message).FromString(bytes.fromhex(expected)) == message
