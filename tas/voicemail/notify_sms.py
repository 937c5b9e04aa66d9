"""SMS plug-in: the summary to the mailbox's own number through the operator's
``wgtwo.sms.v1.SmsService/SendTextToSubscriber`` (:class:`registrations.sms.SmsClient`)."""

from __future__ import annotations

from registrations.errors import AuthenticationFailed, OperatorRejected
from registrations.sms import SmsClient
from tas.voicemail.notify_channels import Notice, PermanentFailure, summary
from tas.voicemail.notify_models import Channel

__all__ = ["SmsNotifier"]


class SmsNotifier:
    channel = Channel.SMS

    def __init__(self, client: SmsClient, sender: str) -> None:
        self._client = client
        self._sender = sender

    async def send(self, target: str, notice: Notice) -> str:
        try:
            message_id = await self._client.send_text_to_subscriber(
                target, summary(notice.message), sender=self._sender
            )
        except (OperatorRejected, AuthenticationFailed) as exc:
            raise PermanentFailure(str(exc)) from exc
        return f"sms {message_id} to {target}"

    async def aclose(self) -> None:
        await self._client.close()
