"""SmsService v1 client: send a text SMS to a subscriber (``wgtwo.sms.v1``, scope
``sms.text:send_to_subscriber``), on the same channel, token and retry code as the
SipBreakout client (:class:`~registrations.client.OperatorClient`).

``SEND_STATUS_REJECT`` becomes :class:`~registrations.errors.OperatorRejected` (permanent);
``SEND_STATUS_ERROR`` and ``UNSPECIFIED`` become :class:`~registrations.errors.OperatorUnreachable`
(upstream: "should be treated as temporary").
"""

from __future__ import annotations

from registrations.client import OperatorClient
from registrations.errors import OperatorRejected, OperatorUnreachable
from registrations.wgtwo.sms.v1 import sms_pb2, sms_pb2_grpc

__all__ = ["MAX_TEXT", "SmsClient"]

#: Upstream's bound on ``content`` (characters).
MAX_TEXT = 2000


class SmsClient(OperatorClient):
    """``send_text_to_subscriber()``; use as ``async with``."""

    stub_class = sms_pb2_grpc.SmsServiceStub

    async def send_text_to_subscriber(self, to: str, text: str, *, sender: str) -> str:
        """Send ``text`` (cut to :data:`MAX_TEXT`) to the subscriber ``to`` (E.164) as
        ``sender``; returns the operator's message id."""
        request = sms_pb2.SendTextToSubscriberRequest(
            content=text[:MAX_TEXT], to_subscriber=to, from_address=sender
        )
        response: sms_pb2.SendMessageResponse = await self._call(
            self._stub.SendTextToSubscriber, request
        )
        if response.status == sms_pb2.SendMessageResponse.SEND_STATUS_OK:
            return response.message_id
        name = sms_pb2.SendMessageResponse.SendStatus.Name(response.status)
        detail = f"SMS to {to}: {name}: {response.description or 'no description'}"
        if response.status == sms_pb2.SendMessageResponse.SEND_STATUS_REJECT:
            raise OperatorRejected(detail)
        raise OperatorUnreachable(detail)
