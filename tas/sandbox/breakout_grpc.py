"""``wgtwo.sipbreakout.v1.SipBreakoutService`` of the sandbox core, over its BreakoutTable.

Upsert and delete answer like the operator (wgtwo-api.md §3): a refusal is
``STATUS_CODE_NOT_ACCEPTABLE`` with the ``error_message``. A delete of a registration the
sandbox does not hold is the gRPC status ``NOT_FOUND`` [INFERRED: the operator's answer is
not documented], so a client can tell "already gone" from "refused". Accepted changes are
written to the plane's :class:`~tas.sandbox.breakout_file.BreakoutFile` when it has one.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, NoReturn

import grpc

from registrations.wgtwo.sipbreakout.v1 import sipbreakout_pb2, sipbreakout_pb2_grpc
from tas.sandbox.breakout import BreakoutNotFound, BreakoutRejected

if TYPE_CHECKING:
    from tas.sandbox.grpc_server import ControlPlane

__all__ = ["SipBreakoutServicer", "abort_rpc"]

log = logging.getLogger("tas.sandbox.grpc_server")


async def abort_rpc(
    context: grpc.aio.ServicerContext, code: grpc.StatusCode, message: str
) -> NoReturn:
    """End the RPC with ``code`` and ``message`` (never returns)."""
    await context.abort(code, message)
    raise AssertionError("unreachable: context.abort raises")  # pragma: no cover


class SipBreakoutServicer(sipbreakout_pb2_grpc.SipBreakoutServiceServicer):
    """``wgtwo.sipbreakout.v1.SipBreakoutService`` over the plane's BreakoutTable."""

    def __init__(self, plane: ControlPlane) -> None:
        self._plane = plane

    async def UpsertRegistration(
        self, request: sipbreakout_pb2.UpsertRegistrationRequest, context: grpc.aio.ServicerContext
    ) -> sipbreakout_pb2.UpsertRegistrationResponse:
        await self._plane._authorize(context)
        reg = request.registration
        now = self._plane.clock()
        try:
            active = self._plane.breakouts.upsert(
                reg.phone_number.e164,
                reg.route_type,
                reg.sip_uri,
                reg.mobile_originating_prefix,
                reg.mobile_terminating_prefix,
                now=now,
            )
        except BreakoutRejected as exc:
            log.info("upsert refused: %s", exc)
            return sipbreakout_pb2.UpsertRegistrationResponse(
                status_code=sipbreakout_pb2.STATUS_CODE_NOT_ACCEPTABLE, error_message=str(exc)
            )
        if self._plane.breakout_file is not None:
            self._plane.breakout_file.put(active, now)
        log.info("registered %s -> %s (%s)", active.phone_number, active.sip_uri, active.route.name)
        response = sipbreakout_pb2.UpsertRegistrationResponse(
            status_code=sipbreakout_pb2.STATUS_CODE_OK
        )
        response.time_to_live.FromNanoseconds(round(self._plane.breakouts.ttl * 1e9))
        return response

    async def DeleteRegistration(
        self, request: sipbreakout_pb2.DeleteRegistrationRequest, context: grpc.aio.ServicerContext
    ) -> sipbreakout_pb2.DeleteRegistrationResponse:
        await self._plane._authorize(context)
        reg = request.registration
        try:
            removed = self._plane.breakouts.delete(
                reg.phone_number.e164, reg.sip_uri, now=self._plane.clock()
            )
        except BreakoutNotFound as exc:  # nothing to delete: NOT_FOUND, not a refusal
            log.info("delete of an unknown registration: %s", exc)
            await abort_rpc(context, grpc.StatusCode.NOT_FOUND, str(exc))
        except BreakoutRejected as exc:
            log.info("delete refused: %s", exc)
            return sipbreakout_pb2.DeleteRegistrationResponse(
                status_code=sipbreakout_pb2.STATUS_CODE_NOT_ACCEPTABLE, error_message=str(exc)
            )
        if self._plane.breakout_file is not None:
            self._plane.breakout_file.remove(removed.phone_number, removed.sip_uri)
        log.info("unregistered %s -> %s", removed.phone_number, removed.sip_uri)
        return sipbreakout_pb2.DeleteRegistrationResponse(
            status_code=sipbreakout_pb2.STATUS_CODE_OK
        )
