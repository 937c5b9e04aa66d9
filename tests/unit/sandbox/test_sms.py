"""The sandbox core's SmsService checks (tas.sandbox.sms): accepted SMS are kept, bounded;
bad requests are rejected with a description and kept nowhere."""

from __future__ import annotations

from typing import Any

import pytest

from registrations.wgtwo.sms.v1 import sms_pb2
from tas.sandbox.sms import SmsOutbox, SmsServicer

OK = sms_pb2.SendMessageResponse.SEND_STATUS_OK
REJECT = sms_pb2.SendMessageResponse.SEND_STATUS_REJECT


async def _allow(context: Any) -> None:
    return None


async def send(outbox: SmsOutbox, **fields: Any) -> sms_pb2.SendMessageResponse:
    request = sms_pb2.SendTextToSubscriberRequest(**fields)
    return await SmsServicer(outbox, _allow).SendTextToSubscriber(request, None)  # type: ignore[arg-type]


async def test_accepted_sms_is_kept_with_an_id() -> None:
    outbox = SmsOutbox(lambda: 42.0)
    response = await send(outbox, content="hi", to_subscriber="+4799990001", from_address="VM")
    assert response.status == OK and response.message_id == "sandbox-sms-1"
    [sms] = outbox.sent("+4799990001")
    assert (sms.to, sms.sender, sms.text, sms.at) == ("+4799990001", "VM", "hi", 42.0)
    assert outbox.sent("+4799990009") == []


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"content": "", "to_subscriber": "+4799990001", "from_address": "VM"}, "1-2000"),
        ({"content": "x" * 2001, "to_subscriber": "+4799990001", "from_address": "VM"}, "2001"),
        ({"content": "hi", "to_subscriber": "4799990001", "from_address": "VM"}, "E.164"),
        ({"content": "hi", "to_subscriber": "+4799990001"}, "from_address"),
    ],
)
async def test_bad_requests_are_rejected(fields: dict[str, str], text: str) -> None:
    outbox = SmsOutbox(lambda: 0.0)
    response = await send(outbox, **fields)
    assert response.status == REJECT and text in response.description
    assert outbox.sent() == []


def test_the_outbox_is_bounded() -> None:
    outbox = SmsOutbox(lambda: 0.0, limit=3)
    for n in range(5):
        outbox.accept("+4799990001", "VM", str(n))
    assert [s.text for s in outbox.sent()] == ["2", "3", "4"]
