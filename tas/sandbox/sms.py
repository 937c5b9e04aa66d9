"""The sandbox core's ``wgtwo.sms.v1.SmsService``: text SMS are not delivered anywhere, only
kept (bounded) in :class:`SmsOutbox` so tests and ``tas`` tools can see what was sent.

``SendTextToSubscriber`` checks what the operator checks (content 1-2000 characters,
``to_subscriber`` E.164, a sender) and answers ``SEND_STATUS_REJECT`` with a description
otherwise; the other two methods are not offered by the sandbox (``UNIMPLEMENTED``).
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import grpc

from registrations.model import is_e164
from registrations.wgtwo.sms.v1 import sms_pb2, sms_pb2_grpc

__all__ = ["SentSms", "SmsOutbox", "SmsServicer"]

_Status = sms_pb2.SendMessageResponse
MAX_KEPT = 1000
MAX_CONTENT = 2000


@dataclass(frozen=True, slots=True)
class SentSms:
    """One accepted SMS: the id we answered, to whom, as whom, the text, when (clock s)."""

    message_id: str
    to: str
    sender: str
    text: str
    at: float


class SmsOutbox:
    """The last :data:`MAX_KEPT` accepted SMS, oldest first."""

    def __init__(self, clock: Callable[[], float], limit: int = MAX_KEPT) -> None:
        self._clock = clock
        self._sent: deque[SentSms] = deque(maxlen=limit)
        self._ids = itertools.count(1)

    def accept(self, to: str, sender: str, text: str) -> SentSms:
        sms = SentSms(f"sandbox-sms-{next(self._ids)}", to, sender, text, self._clock())
        self._sent.append(sms)
        return sms

    def sent(self, to: str | None = None) -> list[SentSms]:
        """What was sent (to ``to`` only, if given)."""
        return [s for s in self._sent if to is None or s.to == to]


class SmsServicer(sms_pb2_grpc.SmsServiceServicer):
    """``SendTextToSubscriber`` into an :class:`SmsOutbox`, after ``authorize``."""

    def __init__(
        self,
        outbox: SmsOutbox,
        authorize: Callable[[grpc.aio.ServicerContext], Awaitable[None]],
    ) -> None:
        self._outbox = outbox
        self._authorize = authorize

    async def SendTextToSubscriber(  # noqa: N802 (gRPC method name)
        self, request: sms_pb2.SendTextToSubscriberRequest, context: grpc.aio.ServicerContext
    ) -> sms_pb2.SendMessageResponse:
        await self._authorize(context)
        problem = _problem(request)
        if problem:
            return sms_pb2.SendMessageResponse(
                status=_Status.SEND_STATUS_REJECT, description=problem
            )
        sms = self._outbox.accept(request.to_subscriber, request.from_address, request.content)
        return sms_pb2.SendMessageResponse(
            message_id=sms.message_id, status=_Status.SEND_STATUS_OK, num_fragments=1
        )


def _problem(request: sms_pb2.SendTextToSubscriberRequest) -> str:
    if not 1 <= len(request.content) <= MAX_CONTENT:
        return f"content must be 1-{MAX_CONTENT} characters, not {len(request.content)}"
    if not is_e164(request.to_subscriber):
        return f"to_subscriber {request.to_subscriber!r} is not an E.164 number"
    if not request.from_address:
        return "from_address is missing"
    return ""
