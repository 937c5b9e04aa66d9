"""Did the call leave a voicemail? Asked through ``wgtwo.voicemail.v0.VoicemailMediaService``
(the operator's API, served by ``tas serve`` too; wgtwo-api.md §5) with a bearer token."""

from __future__ import annotations

import asyncio
import time

import grpc
import grpc.aio

from registrations.wgtwo.voicemail.v0 import voicemail_pb2, voicemail_pb2_grpc
from tas.harness.result import VoicemailCheck

__all__ = ["MailboxError", "MailboxProbe"]


class MailboxError(Exception):
    """The voicemail API could not be asked (unreachable, refused token, bad number)."""


class MailboxProbe:
    """``await probe.before()`` ahead of the call, ``await probe.after()`` once it ended."""

    def __init__(self, address: str, mailbox: str, token: str | None, caller: str | None) -> None:
        self.address = address
        self.mailbox = mailbox
        self.caller = caller
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._known: set[str] = set()

    async def _list(self) -> list[voicemail_pb2.VoicemailMetadata]:
        request = voicemail_pb2.GetAllVoicemailMetadataRequest()
        request.to.e164 = self.mailbox
        async with grpc.aio.insecure_channel(self.address) as channel:
            stub = voicemail_pb2_grpc.VoicemailMediaServiceStub(channel)  # type: ignore[no-untyped-call]
            try:
                reply = await stub.GetAllVoicemailMetadata(
                    request, metadata=self._metadata, timeout=5.0
                )
            except grpc.aio.AioRpcError as exc:
                raise MailboxError(
                    f"voicemail API {self.address}: {exc.code().name}: {exc.details()}"
                ) from exc
        return list(reply.metadata)

    async def before(self) -> None:
        """Remember the messages already there."""
        self._known = {m.voicemail_id for m in await self._list()}

    async def after(self, wait: float = 5.0) -> VoicemailCheck:
        """Poll up to ``wait`` s for a new message (from our caller when it is a number)."""
        deadline = time.monotonic() + wait
        while True:
            try:
                messages = await self._list()
            except MailboxError as exc:
                return VoicemailCheck(self.mailbox, False, detail=str(exc))
            for message in messages:
                sender = getattr(message, "from").e164
                if message.voicemail_id in self._known:
                    continue
                if self.caller and sender and sender != self.caller:
                    continue
                return VoicemailCheck(
                    self.mailbox,
                    True,
                    message.voicemail_id,
                    message.duration.ToTimedelta().total_seconds(),
                    sender,
                )
            if time.monotonic() >= deadline:
                return VoicemailCheck(
                    self.mailbox, False, detail=f"no new message in {wait:g} s after the call"
                )
            await asyncio.sleep(0.25)
