"""SipBreakoutService v1 of the sandbox over real gRPC on loopback (wgtwo-api.md §3)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from registrations.model import Route
from registrations.validation import NOT_SIPS
from registrations.wgtwo.common.v1 import phonenumber_pb2
from registrations.wgtwo.sipbreakout.v1 import sipbreakout_pb2 as pb
from registrations.wgtwo.sipbreakout.v1 import sipbreakout_pb2_grpc
from tas.config import SandboxSettings
from tas.sandbox.grpc_server import ControlPlane

NUMBER = "+4799990000"
URI = "sips:tas.example.com:5061"
T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def registration(
    number: str = NUMBER,
    uri: str = URI,
    route: pb.RouteType = pb.ROUTE_TYPE_LOOP,
    mo: str = "11",
    mt: str = "22",
) -> pb.Registration:
    return pb.Registration(
        mobile_originating_prefix=mo,
        mobile_terminating_prefix=mt,
        sip_uri=uri,
        route_type=route,
        phone_number=phonenumber_pb2.E164(e164=number) if number else None,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def timed(clock: Clock) -> AsyncIterator[tuple[ControlPlane, Stub]]:
    plane = ControlPlane(SandboxSettings(), clock=clock)
    address = await plane.start("127.0.0.1:0")
    async with grpc.aio.insecure_channel(address) as channel:
        yield plane, Stub(channel)
    await plane.stop(grace=0)


class Stub:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = sipbreakout_pb2_grpc.SipBreakoutServiceStub(channel)  # type: ignore[no-untyped-call]

    async def upsert(self, reg: pb.Registration) -> pb.UpsertRegistrationResponse:
        response: pb.UpsertRegistrationResponse = await self._stub.UpsertRegistration(
            pb.UpsertRegistrationRequest(registration=reg)
        )
        return response

    async def delete(self, reg: pb.Registration) -> pb.DeleteRegistrationResponse:
        response: pb.DeleteRegistrationResponse = await self._stub.DeleteRegistration(
            pb.DeleteRegistrationRequest(registration=reg)
        )
        return response


async def test_upsert_lives_ttl_from_the_last_upsert(
    timed: tuple[ControlPlane, Stub], clock: Clock
) -> None:
    plane, stub = timed
    response = await stub.upsert(registration())
    assert response.status_code == pb.STATUS_CODE_OK
    assert response.error_message == ""
    assert response.time_to_live.ToSeconds() == 3600
    [active] = plane.registrations_for(NUMBER)
    assert (active.sip_uri, active.route, active.mo_prefix, active.mt_prefix) == (
        URI,
        Route.LOOP,
        "11",
        "22",
    )
    assert active.expires_at == T0 + 3600
    clock.now = T0 + 3000
    await stub.upsert(registration())  # refresh
    clock.now = T0 + 3600
    assert len(plane.registrations_for(NUMBER)) == 1
    clock.now = T0 + 6600
    assert plane.registrations_for(NUMBER) == []


async def test_upsert_replaces_and_lookup_filters_by_route(
    timed: tuple[ControlPlane, Stub],
) -> None:
    plane, stub = timed
    await stub.upsert(registration(route=pb.ROUTE_TYPE_LOOP))
    await stub.upsert(registration(route=pb.ROUTE_TYPE_FALLBACK, mo="", mt=""))
    await stub.upsert(registration(uri="sips:other.example.com", route=pb.ROUTE_TYPE_FORK))
    assert [(r.sip_uri, r.route) for r in plane.registrations_for(NUMBER)] == [
        (URI, Route.FALLBACK),
        ("sips:other.example.com", Route.FORK),
    ]
    [fork] = plane.find_registrations(NUMBER, [Route.FORK, Route.LOOP])
    assert fork.sip_uri == "sips:other.example.com"


@pytest.mark.parametrize(
    ("reg", "message"),
    [
        (registration(uri="sip:tas.example.com"), NOT_SIPS),
        (registration(number=""), "phone_number is required"),
        (
            registration(number="12345"),
            "phone_number '12345' is not E.164 ('+', country code, number; 7-15 digits)",
        ),
        (registration(route=pb.ROUTE_TYPE_UNSPECIFIED), "route_type must be one of"),
        (registration(mo="1x"), "mobile_originating_prefix '1x' must be digits only"),
    ],
)
async def test_rejections_are_not_acceptable_with_a_message(
    timed: tuple[ControlPlane, Stub], reg: pb.Registration, message: str
) -> None:
    plane, stub = timed
    response = await stub.upsert(reg)
    assert response.status_code == pb.STATUS_CODE_NOT_ACCEPTABLE
    assert response.error_message.startswith(message)
    assert not response.HasField("time_to_live")
    assert plane.breakouts.active(T0) == []


async def test_delete_by_uri_and_number(timed: tuple[ControlPlane, Stub]) -> None:
    plane, stub = timed
    await stub.upsert(registration())
    response = await stub.delete(
        pb.Registration(sip_uri=URI, phone_number=phonenumber_pb2.E164(e164=NUMBER))
    )
    assert (response.status_code, response.error_message) == (pb.STATUS_CODE_OK, "")
    assert plane.registrations_for(NUMBER) == []
    with pytest.raises(grpc.aio.AioRpcError) as gone:  # nothing to delete: NOT_FOUND
        await stub.delete(registration())
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    assert gone.value.details() == f"no registration of {URI} for {NUMBER}"
    bad = await stub.delete(registration(uri="sip:tas.example.com"))
    assert (bad.status_code, bad.error_message) == (pb.STATUS_CODE_NOT_ACCEPTABLE, NOT_SIPS)


async def test_empty_request_is_refused_not_crashed(timed: tuple[ControlPlane, Stub]) -> None:
    _, stub = timed
    response = await stub.upsert(pb.Registration())
    assert response.status_code == pb.STATUS_CODE_NOT_ACCEPTABLE
    assert response.error_message == "phone_number is required"


async def test_any_token_is_accepted_when_none_is_configured(plane: ControlPlane) -> None:
    assert plane.address is not None
    async with grpc.aio.insecure_channel(plane.address) as channel:
        stub = sipbreakout_pb2_grpc.SipBreakoutServiceStub(channel)  # type: ignore[no-untyped-call]
        response = await stub.UpsertRegistration(
            pb.UpsertRegistrationRequest(registration=registration()),
            metadata=[("authorization", "Bearer whatever")],
        )
    assert response.status_code == pb.STATUS_CODE_OK
